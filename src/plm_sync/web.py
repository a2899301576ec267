"""`plm-sync serve`: a read-only web view of the run log, with `/health` for monitoring."""

from __future__ import annotations

import io
import json
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import structlog

from plm_sync.config import Settings
from plm_sync.errors import UsageError
from plm_sync.reports import health, list_runs, read_report
from plm_sync.serving import BackgroundServer
from plm_sync.streamed_json import write_json
from plm_sync.views.html import render_report, render_runs

log = structlog.get_logger(__name__)
RUN_PAGE = re.compile(r"/runs/(\d+)(\.json)?")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
HISTORY = 30


class _Unclosed(io.RawIOBase):
    """The handler's socket file as a raw stream the text wrapper may close (it stays open)."""

    def __init__(self, target: Any) -> None:  # noqa: ANN401 - the handler's wfile
        self.target = target

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:  # noqa: ANN401 - bytes-like
        self.target.write(data)
        return len(data)


class _Handler(BaseHTTPRequestHandler):
    server: _WebServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002, ANN401 - stdlib API
        log.debug("web_request", line=format % args)

    def _send(self, status: int, body: str, content_type: str) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; "
            "script-src 'unsafe-inline'; img-src 'self'",
        )
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(data)

    def _send_json_streamed(self, document: dict[str, Any]) -> None:
        """A JSON answer written as it is read (HTTP/1.0: its end is the connection's)."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        with io.TextIOWrapper(
            io.BufferedWriter(_Unclosed(self.wfile), buffer_size=1 << 16), encoding="utf-8"
        ) as out:
            write_json(document, out.write, indent=None)

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        settings = self.server.settings
        try:
            if path == "/health":
                data = health(settings, self.server.max_age_hours)
                self._send(200 if data["ok"] else 503, json.dumps(data), "application/json")
                return
            if path in {"/", "/runs"}:
                runs = list_runs(settings, limit=100)
                self._send(200, render_runs(runs, lambda ident: f"/runs/{ident}"), "text/html")
                return
            match = RUN_PAGE.fullmatch(path)
            if match:
                report = read_report(settings, int(match.group(1)))
                if match.group(2):
                    with report.opened():
                        self._send_json_streamed(report.streamed())
                else:
                    history = list_runs(settings, limit=HISTORY)
                    page = render_report(
                        report.document,
                        report.shown,
                        report.total,
                        report.changes,
                        history=history,
                    )
                    self._send(200, page, "text/html")
                return
            self._send(404, "not found", "text/plain")
        except UsageError as error:
            self._send(404, str(error), "text/plain")

    def _read_only(self) -> None:
        self._send(405, "plm-sync serve is read-only", "text/plain")

    def do_POST(self) -> None:
        self._read_only()

    def do_PUT(self) -> None:
        self._read_only()

    def do_PATCH(self) -> None:
        self._read_only()

    def do_DELETE(self) -> None:
        self._read_only()


class _WebServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], settings: Settings, max_age_hours: float) -> None:
        self.settings = settings
        self.max_age_hours = max_age_hours
        super().__init__(address, _Handler)


class WebServer(BackgroundServer):
    """The read-only report server; binds to loopback unless `allow_remote`."""

    def __init__(
        self,
        settings: Settings,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        allow_remote: bool = False,
        max_age_hours: float = 26.0,
    ) -> None:
        if host not in LOOPBACK and not allow_remote:
            raise UsageError(
                f"refusing to serve reports on {host}: they show catalog data; "
                "pass --allow-remote to listen beyond loopback"
            )
        super().__init__(_WebServer((host, port), settings, max_age_hours), "plm-sync-web")

    @property
    def url(self) -> str:
        """Where it listens."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

"""`plm-sync serve`: a read-only web view of the run log, with `/health` for monitoring."""

from __future__ import annotations

import base64
import contextlib
import hmac
import io
import json
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import structlog

from plm_sync.config import Settings
from plm_sync.errors import UsageError
from plm_sync.infra.serving import BackgroundServer
from plm_sync.infra.streamed_json import write_json
from plm_sync.ops.reports import Reader
from plm_sync.ops.views.html import (
    SCRIPT_HASH,
    render_catalog,
    render_line,
    render_report,
    render_runs,
)
from plm_sync.store.database import ReadingDatabase

log = structlog.get_logger(__name__)
RUN_PAGE = re.compile(r"/runs/(\d+)(\.json)?")
DECIDE_PAGE = re.compile(r"/runs/(\d{1,10})/(approve|reject)")
LINE_PAGE = re.compile(r"/catalog/(PRD-[0-9-]{1,60})")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
HISTORY = 30
OPEN_PATHS = frozenset({"/health", "/metrics"})  # open with --public-metrics
METRICS_TYPE = "text/plain; version=0.0.4"  # Prometheus' text exposition format
MAX_CONNECTIONS = 64  # connections served at once
REQUEST_SECONDS = 5.0  # the longest a connection may stay silent
BUSY = (
    b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain\r\nRetry-After: 5\r\n"
    b"Content-Length: 29\r\n\r\nplm-sync serve is busy; retry"
)


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
    # a connection that sends nothing (half-open, slow) gives its worker back after this
    timeout = REQUEST_SECONDS
    head = False  # answering HEAD: headers only

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002, ANN401 - stdlib API
        log.debug("web_request", line=format % args)

    def _send(self, status: int, body: str, content_type: str) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header(
            "Content-Security-Policy",
            f"default-src 'none'; style-src 'unsafe-inline'; script-src '{SCRIPT_HASH}'; "
            "img-src 'self'",
        )
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if not self.head:
            self.wfile.write(data)

    def _send_json_streamed(self, document: dict[str, Any]) -> None:
        """A JSON answer written as it is read (HTTP/1.0: its end is the connection's)."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if self.head:
            return
        with io.TextIOWrapper(
            io.BufferedWriter(_Unclosed(self.wfile), buffer_size=1 << 16), encoding="utf-8"
        ) as out:
            write_json(document, out.write, indent=None)

    def do_HEAD(self) -> None:
        self.head = True
        self.do_GET()

    def _allowed(self) -> bool:
        """Whether the request may see the page: no token set, an open path, or the token."""
        token = self.server.token
        if token is None:
            return True
        if self.server.public_metrics and urlsplit(self.path).path in OPEN_PATHS:
            return True
        given = self.headers.get("Authorization", "")
        # http.server reads header bytes as Latin-1: back to the bytes the client sent, so a
        # token beyond ASCII compares as its UTF-8 bytes (as curl and browsers send it)
        raw = given.encode("latin-1", errors="replace")
        scheme, _, value = raw.partition(b" ")
        offered = b""
        if scheme.lower() == b"bearer":
            offered = value.strip()
        elif scheme.lower() == b"basic":
            try:
                offered = base64.b64decode(value.strip(), validate=True).partition(b":")[2]
            except ValueError:
                offered = b""
        return bool(offered) and hmac.compare_digest(offered, token.encode())

    def do_GET(self) -> None:
        if not self._allowed():
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="plm-sync", charset="UTF-8"')
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            body = b"plm-sync serve needs its token (PLM_SYNC_SERVE_TOKEN): bearer or password"
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not self.head:
                self.wfile.write(body)
            return
        try:
            self._get()
        except UsageError as error:
            self._send(404, str(error), "text/plain")
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            log.debug("web_client_gone", path=self.path)
        except Exception as error:  # one page failing never takes the server down
            log.exception("web_page_failed", path=self.path)
            self._send(
                500,
                f"plm-sync could not answer this page ({type(error).__name__}); "
                "see the server's log",
                "text/plain",
            )

    def _get(self) -> None:
        path = urlsplit(self.path).path
        settings = self.server.settings
        factory = self.server.database.factory()
        reader = Reader(factory)
        if path == "/health":
            data = reader.health(self.server.max_age_hours)
            self._send(200 if data["ok"] else 503, json.dumps(data), "application/json")
            return
        if path == "/metrics":
            from plm_sync.ops.metrics import metrics_text  # noqa: PLC0415 - loaded on first scrape

            self._send(200, metrics_text(settings, factory).decode(), METRICS_TYPE)
            return
        if path in {"/", "/runs"}:
            runs = reader.list_runs(limit=100)
            self._send(200, render_runs(runs, lambda ident: f"/runs/{ident}"), "text/html")
            return
        if path == "/catalog":
            query = parse_qs(urlsplit(self.path).query)
            search = (query.get("q") or [""])[0][:200]
            try:
                number = int((query.get("page") or ["1"])[0])
            except ValueError:
                number = 1
            found = reader.browse_lines(search, max(1, min(number, 1_000_000)))
            self._send(200, render_catalog(found), "text/html")
            return
        line = LINE_PAGE.fullmatch(path)
        if line:
            shown = reader.line_page(unquote(line.group(1)))
            if shown is None:
                self._send(404, f"no stored product line {line.group(1)[:64]}", "text/plain")
            else:
                self._send(200, render_line(shown), "text/html")
            return
        match = RUN_PAGE.fullmatch(path)
        if match:
            report = reader.read_report(int(match.group(1)))
            if match.group(2):
                with report.opened():
                    self._send_json_streamed(report.streamed())
            else:
                history = reader.list_runs(limit=HISTORY)
                page = render_report(
                    report.document,
                    report.shown,
                    report.total,
                    report.changes,
                    history=history,
                    decide=self.server.token is not None
                    and report.document.get("status") == "planned",
                )
                self._send(200, page, "text/html")
            return
        self._send(404, "not found", "text/plain")

    def _read_only(self) -> None:
        self._send(405, "plm-sync serve is read-only", "text/plain")

    def do_POST(self) -> None:
        """Only a plan's decision is posted (`/runs/N/approve|reject`), behind the token."""
        match = DECIDE_PAGE.fullmatch(urlsplit(self.path).path)
        if match is None:
            self._read_only()
            return
        if self.server.token is None:
            self._send(
                403,
                "deciding a plan from the page needs PLM_SYNC_SERVE_TOKEN; or run "
                f"`plm-sync {match.group(2)} {match.group(1)}`",
                "text/plain",
            )
            return
        if not self._allowed():
            self.do_GET()  # the 401 asking for the token
            return
        if not self._same_origin():
            self._send(403, "a decision is posted from plm-sync's own page only", "text/plain")
            return
        from plm_sync.delivery.approval import decide  # noqa: PLC0415 - Commerce code on use

        run_id, action = int(match.group(1)), match.group(2)
        try:
            decide(self.server.settings, run_id, action)
        except UsageError as error:
            self._send(409, str(error), "text/plain")
            return
        self.send_response(303)
        self.send_header("Location", f"/runs/{run_id}")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _same_origin(self) -> bool:
        """A browser's post names its page's origin: it must be this server (no CSRF)."""
        origin = self.headers.get("Origin") or self.headers.get("Referer")
        if not origin:
            return True  # not a browser (curl with the token)
        return urlsplit(origin).netloc == self.headers.get("Host", "")

    def do_PUT(self) -> None:
        self._read_only()

    def do_PATCH(self) -> None:
        self._read_only()

    def do_DELETE(self) -> None:
        self._read_only()


class _WebServer(ThreadingHTTPServer):
    """A thread per connection, at most MAX_CONNECTIONS at once; the rest are told 503.

    A connection that sends nothing gives its thread back after REQUEST_SECONDS, so a burst of
    half-open connections neither starves the pages asked for after it nor piles up threads.
    """

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        settings: Settings,
        max_age_hours: float,
        *,
        public_metrics: bool = False,
    ) -> None:
        self.settings = settings
        self.max_age_hours = max_age_hours
        self.token = settings.serve_token
        self.public_metrics = public_metrics
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        super().__init__(address, _Handler)  # binds first: a port in use leaves no engine behind
        self.database = ReadingDatabase(settings.database_url)  # one engine for the server's life

    def process_request(self, request: Any, client_address: Any) -> None:  # noqa: ANN401 - socketserver API
        if not self._slots.acquire(blocking=False):
            with contextlib.suppress(OSError):
                request.sendall(BUSY)
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:  # noqa: ANN401
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:  # noqa: ANN401, ARG002
        log.debug("web_connection_failed", client=str(client_address))


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
        public_metrics: bool = False,
    ) -> None:
        if host not in LOOPBACK and not allow_remote:
            raise UsageError(
                f"refusing to serve reports on {host}: they show catalog data; "
                "pass --allow-remote to listen beyond loopback"
            )
        if host not in LOOPBACK and not settings.serve_token:
            raise UsageError(
                f"refusing to serve reports on {host} without a token: set "
                "PLM_SYNC_SERVE_TOKEN (or PLM_SYNC_SERVE_TOKEN_FILE); pages then ask for it as a "
                "bearer token or HTTP Basic password"
            )
        self._web = _WebServer((host, port), settings, max_age_hours, public_metrics=public_metrics)
        super().__init__(self._web, "plm-sync-web")

    def stop(self) -> None:
        """Stop serving and release the database."""
        super().stop()
        self._web.database.close()

    @property
    def url(self) -> str:
        """Where it listens."""
        host, port = self._server.server_address[:2]
        return f"http://[{host!s}]:{port}" if ":" in str(host) else f"http://{host!s}:{port}"

"""A stdlib HTTP server run in a background thread: the sandbox and the report server."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, Self


@dataclass(frozen=True)
class RawBody:
    """An answer that is not JSON: its bytes and content type (a file download)."""

    data: bytes
    content_type: str


class JsonHandler(BaseHTTPRequestHandler):
    """A keep-alive handler that answers JSON (the Connect and Commerce sandboxes)."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle on, a small answer waits for the
    # client's delayed ACK (~40 ms per request on Linux loopback).
    disable_nagle_algorithm = True

    def _send(
        self,
        status: int,
        body: Any,  # noqa: ANN401 - any JSON value; None: an empty body
        headers: dict[str, str] | None = None,
        *,
        cut: bool = False,
    ) -> None:
        """Answer `body` as JSON; `cut` sends only the first half of it (a truncated answer)."""
        if isinstance(body, RawBody):
            data, content_type = body.data, body.content_type
        else:
            data = b"" if body is None else json.dumps(body).encode()
            content_type = "application/json"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data[: len(data) // 2] if cut else data)

    def _read_body(self) -> bytes:
        """The request's body, read whole.

        A body left unread would stay in the keep-alive connection and spoil the next request.
        """
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""


class BackgroundServer:
    """Starts, serves and stops one HTTP server; a context manager."""

    def __init__(self, server: HTTPServer, thread_name: str) -> None:
        self._server = server
        self._thread_name = thread_name
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        """Serve in a background thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=self._thread_name, daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted."""
        self._server.serve_forever()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

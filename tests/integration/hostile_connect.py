"""A Connect-style server of the tests' own that serves whatever a hostile test hands it.

Unlike the sandbox, it checks nothing: rows go out as the test wrote them (over-long values,
NUL, lone surrogates, escape sequences), pages are cut by `limit`/`offset` from lists the test
may change between two page reads, and a raw answer (a gzip bomb, say) can replace any path.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

API_KEY = "SU-HOSTILE-000:hostile-secret"
_ITEMS = re.compile(r"/public/v1/products/([^/]+)/items")
_NUMBER = {name: re.compile(rf"(?:^|&){name}=(\d+)") for name in ("limit", "offset")}


def product(ident: str, name: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": ident,
        "name": name or f"Product {ident}",
        "status": "published",
        "version": 1,
        "owner": {"id": "VA-000-000", "name": "Hostile Vendor"},
        **extra,
    }


def item(ident: str, mpn: str, name: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": ident,
        "mpn": mpn,
        "name": name or f"Cloud Service {ident}",
        "type": "reservation",
        "period": "monthly",
        "status": "published",
        "unit": {"id": "unit", "title": "licence"},
        **extra,
    }


Hook = Callable[["HostileConnect", str, int], None]


class HostileConnect:
    """Products and their items, served on loopback; `after_page` runs after each page."""

    def __init__(self) -> None:
        self.products: list[Any] = []
        self.items: dict[str, list[Any]] = {}
        self.raw: dict[str, tuple[dict[str, str], bytes]] = {}  # path -> headers, body
        self.after_page: Hook | None = None
        self.pages_served: dict[str, int] = {}
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/public/v1"

    def start(self) -> HostileConnect:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, path: str, query: str) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            if path in self.raw:
                headers, body = self.raw[path]
                return 200, headers, body
            match = _ITEMS.fullmatch(path)
            if match:
                rows = self.items.get(unquote(match.group(1)))
                if rows is None:
                    return 404, {}, b'{"error_code": "NOT_FOUND", "errors": ["no product"]}'
            elif path == "/public/v1/products":
                rows = self.products
            elif path.startswith(("/public/v1/offers", "/public/v1/offers-ns")):
                rows = []
            else:
                return 404, {}, b'{"error_code": "NOT_FOUND", "errors": ["no such path"]}'
            limit = int(_number(query, "limit", 100))
            offset = int(_number(query, "offset", 0))
            chunk = rows[offset : offset + limit]
            last = offset + len(chunk) - 1 if chunk else 0
            headers = {"Content-Range": f"items {offset if chunk else 0}-{last}/{len(rows)}"}
            body = json.dumps(chunk).encode()  # ensure_ascii: NUL and surrogates as \\u escapes
            served = self.pages_served.get(path, 0) + 1
            self.pages_served[path] = served
        if self.after_page is not None:
            self.after_page(self, path, served)
        return 200, headers | {"Content-Type": "application/json"}, body


def _number(query: str, name: str, default: int) -> int:
    found = _NUMBER[name].search(query)
    return int(found.group(1)) if found else default


def _handler(connect: HostileConnect) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: object) -> None:
            return

        def do_GET(self) -> None:
            if self.headers.get("Authorization") != f"ApiKey {API_KEY}":
                status, headers, body = 401, {}, b'{"error_code": "AUTH", "errors": ["key"]}'
            else:
                parts = urlsplit(self.path)
                status, headers, body = connect.answer(parts.path, parts.query)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler

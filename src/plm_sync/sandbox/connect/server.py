"""The sandbox HTTP server: Connect's products/items API shape on loopback, with faults."""

from __future__ import annotations

import json
import secrets
import socket
import struct
import time
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

import structlog

from plm_sync.infra.serving import BackgroundServer, JsonHandler, RawBody
from plm_sync.sandbox.binding import loopback_only
from plm_sync.sandbox.connect.catalog import OFFER_PARTS, CatalogError, SandboxCatalog
from plm_sync.sandbox.connect.faults import FaultPlan, FaultSpec
from plm_sync.sandbox.connect.rql_eval import RqlSyntaxError, load_schemas, parse_query

log = structlog.get_logger(__name__)

SCHEMAS = load_schemas()  # what each collection filters, orders and searches on
API_PREFIX = "/public/v1"
CONTROL_PREFIX = "/_sandbox"


@dataclass
class SandboxOptions:
    """How the sandbox behaves: key, paging cap, faults."""

    api_key: str
    max_limit: int = 1000
    faults: FaultSpec = field(default_factory=FaultSpec)
    seed: int | None = None
    retry_after: float = 1.0
    slow_seconds: float = 5.0


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error_code": code, "errors": [message]}


class _Handler(JsonHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002, ANN401 - stdlib signature
        log.debug("sandbox_request", line=format % args)

    # -- responses --------------------------------------------------------------------

    def _reset(self) -> None:
        # SO_LINGER 0 makes close() send RST: the client sees a connection reset.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def _truncated(self, status: int, body: Any, headers: dict[str, str]) -> None:  # noqa: ANN401
        self._send(status, body, headers, cut=True)
        self.wfile.flush()
        self._reset()

    # -- requests ---------------------------------------------------------------------

    def _authorised(self) -> bool:
        given = self.headers.get("Authorization", "")
        key = self.server.options.api_key
        return given in {key, f"ApiKey {key}"}

    def do_GET(self) -> None:  # noqa: PLR0911 - one return per kind of answer
        url = urlsplit(self.path)
        if url.path == f"{CONTROL_PREFIX}/health":
            self._send(200, {"status": "ok", "items": self.server.catalog.item_count()})
            return
        if not self._authorised():
            self._send(401, _error("AUTH_001", "API key is not valid."))
            return
        if not url.path.startswith(API_PREFIX + "/"):
            self._send(404, _error("CNCT_001", f"{url.path} not found"))
            return
        fault = self.server.faults.draw()
        if fault == "reset":
            self._reset()
            return
        if fault == "slow":
            time.sleep(self.server.options.slow_seconds)
        if fault is not None and fault.isdigit():
            headers = {"Retry-After": f"{self.server.options.retry_after:g}"}
            self._send(int(fault), _error("SANDBOX_FAULT", f"injected {fault}"), headers)
            return
        try:
            status, body, headers = self._api(url.path[len(API_PREFIX) :], url.query)
        except RqlSyntaxError as error:
            self._send(400, _error("RQL_001", str(error)))
            return
        if fault == "truncate":
            self._truncated(status, body, headers)
            return
        self._send(status, body, headers)

    def _api(self, path: str, query: str) -> tuple[int, Any, dict[str, str]]:  # noqa: PLR0911
        parts = [unquote(part) for part in path.strip("/").split("/")]
        catalog = self.server.catalog
        if parts == ["products"]:
            return self._collection(catalog.products(), query, "products")
        if len(parts) == 2 and parts[0] == "products":  # noqa: PLR2004
            product = catalog.product(parts[1])
            if product is None:
                return 404, _error("CNCT_001", f"Product {parts[1]} not found."), {}
            return 200, product, {}
        if len(parts) == 3 and parts[0] == "products" and parts[2] == "items":  # noqa: PLR2004
            if parts[1] in catalog.broken:
                return 500, _error("SANDBOX_BROKEN", f"items of {parts[1]} are broken"), {}
            catalog.wait_at_gate(parts[1])
            rows = catalog.items(parts[1])
            if rows is None:
                return 404, _error("CNCT_001", f"Product {parts[1]} not found."), {}
            return self._collection(rows, query, "items")
        if len(parts) == 4 and parts[0] == "products" and parts[2] == "items":  # noqa: PLR2004
            found = [row for row in catalog.items(parts[1]) or [] if row.get("id") == parts[3]]
            if not found:
                return 404, _error("CNCT_001", f"Item {parts[3]} not found."), {}
            return 200, found[0], {}
        if parts[0] in {"marketplaces", "listings", "pricing", "media"}:
            return self._markets_api(parts, query)
        return self._offers_api(parts, query)

    def _markets_api(self, parts: list[str], query: str) -> tuple[int, Any, dict[str, str]]:  # noqa: PLR0911
        markets = self.server.catalog.markets
        collections = {
            ("marketplaces",): "marketplaces",
            ("listings",): "listings",
            ("pricing", "batches"): "pricing_batches",
            ("pricing", "lists"): "price_lists",
            ("pricing", "versions"): "price_versions",
        }
        name = collections.get(tuple(parts))
        if name is not None:
            return self._collection(markets.rows(name), query, name)
        if len(parts) == 4 and parts[:2] == ["pricing", "batches"] and parts[3] == "files":  # noqa: PLR2004
            files = markets.batch_files(parts[2])
            if files is None:
                return 404, _error("PRC_001", f"Batch {parts[2]} not found."), {}
            return self._collection(files, query, "batch_files")
        if len(parts) == 4 and parts[:2] == ["pricing", "versions"] and parts[3] == "points":  # noqa: PLR2004
            points = markets.points(parts[2])
            if points is None:
                return 404, _error("PRC_001", f"Version {parts[2]} not found."), {}
            return self._collection(points, query, "price_points")
        if parts[:3] == ["media", "pricing", "batches"] and len(parts) == 6:  # noqa: PLR2004
            body = markets.output_workbook(parts[3])
            if body is None:
                return 404, _error("MED_001", "File not found."), {}
            return 200, RawBody(body, XLSX), {}
        return 404, _error("CNCT_001", f"/{'/'.join(parts)} not found"), {}

    def _offers_api(self, parts: list[str], query: str) -> tuple[int, Any, dict[str, str]]:  # noqa: PLR0911
        catalog = self.server.catalog
        if parts == ["offers"]:
            return self._collection(catalog.offers(), query, "offers")
        if parts == ["offers-ns", "presets"]:
            return self._collection(catalog.presets(), query, "presets")
        if len(parts) == 2 and parts[0] == "offers":  # noqa: PLR2004
            found = [row for row in catalog.offers() if row.get("id") == parts[1]]
            if not found:
                return 404, _error("OFR_001", f"Offer {parts[1]} not found."), {}
            return 200, found[0], {}
        if len(parts) == 3 and parts[0] == "offers":  # noqa: PLR2004
            rows = catalog.offer_part(parts[1], parts[2].replace("-", "_"))
            if rows is not None and parts[2].replace("-", "_") in OFFER_PARTS:
                return self._collection(rows, query)
            return 404, _error("OFR_001", f"Offer {parts[1]} has no {parts[2]}."), {}
        return 404, _error("CNCT_001", f"/{'/'.join(parts)} not found"), {}

    def _collection(
        self, rows: list[Any], raw_query: str, collection: str | None = None
    ) -> tuple[int, Any, dict[str, str]]:
        """One page of a collection, as Connect's django-rql paging answers it.

        Filters, lookups and orderings the collection's spec does not declare are refused
        (400 naming the field); `Content-Range` is `items <offset>-<last>/<total>`, also past
        the end (`items 25-25/20`); `limit=0` answers no rows and the total.
        """
        query = parse_query(raw_query, SCHEMAS.get(collection) if collection else None)
        selected = query.apply(rows)
        total = len(selected)
        limit = min(query.limit if query.limit is not None else 100, self.server.options.max_limit)
        offset = 0 if limit == 0 else query.offset
        page = query.project(selected[offset : offset + limit] if limit else [])
        last = offset + max(len(page) - 1, 0)
        return 200, page, {"Content-Range": f"items {offset}-{last}/{total}"}

    # -- test mutations -----------------------------------------------------------------

    def _control(self, method: str, raw: bytes) -> None:  # noqa: C901, PLR0912 - one case per endpoint
        if not self._authorised():
            self._send(401, _error("AUTH_001", "API key is not valid."))
            return
        url = urlsplit(self.path)
        parts = [unquote(p) for p in url.path.strip("/").split("/")]
        # `?stamp=false`: change a row as real Connect sometimes does, without a new
        # `events.updated` on the item or its product
        stamp = "stamp=false" not in url.query.split("&")
        catalog = self.server.catalog
        try:
            body: Any = json.loads(raw) if raw else {}
            match method, parts[1:]:
                case "POST", ["items", item_id, "touch"]:
                    self._send(200, catalog.update_item(item_id, {}))
                case "PATCH", ["items", item_id]:
                    self._send(200, catalog.update_item(item_id, body, stamp=stamp))
                case "POST", ["products"]:
                    items = body.pop("items", []) if isinstance(body, dict) else []
                    self._send(201, catalog.add_product(body, items))
                case "DELETE", ["items", item_id]:
                    catalog.remove_item(item_id)
                    self._send(200, {"deleted": item_id})
                case "POST", ["products", product_id, "items"]:
                    self._send(201, catalog.add_item(product_id, body))
                case "PATCH", ["products", product_id]:
                    self._send(200, catalog.update_product(product_id, body, stamp=stamp))
                case "POST", ["products", product_id, "break"]:
                    catalog.break_product(product_id, broken=bool(body.get("broken", True)))
                    self._send(200, {"broken": sorted(catalog.broken)})
                case "PUT", ["offers", offer_id, part]:
                    catalog.update_offer(offer_id, part.replace("-", "_"), body)
                    self._send(200, {"updated": offer_id, "part": part})
                case "POST", ["products", product_id, "touch"]:
                    catalog.touch_product(product_id)
                    self._send(200, {"touched": product_id})
                case "POST", ["key", "revoke"]:
                    self.server.revoke_key()
                    self._send(200, {"revoked": True})
                case _:
                    self._send(404, _error("SANDBOX_404", f"no control endpoint {self.path}"))
        except (CatalogError, ValueError) as error:
            self._send(400, _error("SANDBOX_400", str(error)))

    def do_POST(self) -> None:
        self._dispatch_control("POST")

    def do_PATCH(self) -> None:
        self._dispatch_control("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch_control("DELETE")

    def do_PUT(self) -> None:
        self._dispatch_control("PUT")

    def _dispatch_control(self, method: str) -> None:
        raw = self._read_body()  # whatever the answer, the body leaves the connection
        if not self.path.startswith(CONTROL_PREFIX + "/"):
            self._send(405, _error("SANDBOX_405", "the Connect API sandbox is read-only"))
            return
        self._control(method, raw)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], catalog: SandboxCatalog, options: SandboxOptions
    ) -> None:
        self.catalog = catalog
        self.options = options
        self.faults = FaultPlan(options.faults, options.seed)
        super().__init__(address, _Handler)

    def revoke_key(self) -> None:
        """The account's API key is revoked: every later request, control ones too, is 401."""
        self.options.api_key = f"SU-REVOKED:{secrets.token_hex(8)}"


class SandboxServer(BackgroundServer):
    """A running sandbox; `url` is the base URL a ConnectClient takes."""

    def __init__(
        self,
        catalog: SandboxCatalog,
        options: SandboxOptions,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        allow_remote: bool = False,
    ) -> None:
        loopback_only(host, allow_remote=allow_remote, what="the Connect sandbox")
        self.catalog = catalog
        self._server: _Server
        super().__init__(_Server((host, port), catalog, options), "plm-sync-sandbox")

    @property
    def port(self) -> int:
        """The port it listens on (a free one when 0 was asked)."""
        return int(self._server.server_address[1])

    @property
    def host(self) -> str:
        """The address it listens on."""
        return str(self._server.server_address[0])

    @property
    def url(self) -> str:
        """Base URL of the Connect-style API."""
        return f"http://{self.host}:{self.port}{API_PREFIX}"

    @property
    def control_url(self) -> str:
        """Base URL of the test mutation endpoints."""
        return f"http://{self.host}:{self.port}{CONTROL_PREFIX}"

    def revoke_key(self) -> None:
        """Revoke the account's API key (also `POST /_sandbox/key/revoke`)."""
        self._server.revoke_key()

    @property
    def injected(self) -> dict[str, int]:
        """How many faults of each kind were injected so far."""
        return dict(self._server.faults.injected)

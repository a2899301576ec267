"""The Commerce sandbox HTTP server: the APS calls plm-sync makes, after PROTOCOL.md §8.

OAuth 1.0a signatures are verified with oauthlib's own endpoint (HMAC-SHA1, two-legged),
`aps-resource-id` must name the app id; errors are HTTP 500 (or 401) with an APSError body;
`parseConfig` reads the workbook and answers in the real shape or with a 2xx
`{error, message}`; `applyConfig` answers 202 with `APS-Info`; the task log moves n -> r -> s
(or f with `actionOutput`) over `task_seconds` (`tasks`); faults as in the Connect sandbox.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
import uuid
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

import structlog

from plm_sync.commerce.client import ADAPTER_TYPE, PLM_TYPE
from plm_sync.commerce.wizard import ACCOUNT_TYPE, FLAT_CATALOG_TYPE
from plm_sync.infra.serving import BackgroundServer, JsonHandler
from plm_sync.sandbox.binding import loopback_only
from plm_sync.sandbox.commerce.oauth import consumer_endpoint
from plm_sync.sandbox.commerce.options import (
    DEFAULT_FAILURE,
    RESOURCE_IDS,
    SANDBOX_APP_ID,
    SANDBOX_OAUTH_KEY,
    SANDBOX_OAUTH_SECRET,
    CommerceSandboxOptions,
)
from plm_sync.sandbox.commerce.plm import SandboxPlm, WorkbookRefused
from plm_sync.sandbox.commerce.tasks import TaskLog
from plm_sync.sandbox.commerce.wizard import FLAT_CATALOG_ID, SandboxWizard
from plm_sync.sandbox.connect.faults import FaultPlan

log = structlog.get_logger(__name__)

__all__ = [
    "DEFAULT_FAILURE",
    "SANDBOX_APP_ID",
    "SANDBOX_OAUTH_KEY",
    "SANDBOX_OAUTH_SECRET",
    "CommerceSandbox",
    "CommerceSandboxOptions",
]

CONTROL_PREFIX = "/_sandbox"
APS_ERROR = "com.ingrammicro.imcp.library.aps.exception.APSError"
APS_VERSIONS = {
    version: {
        "features": {"navigation": {"vars": []}, "async": {"customOperation": True}, "rql": []},
        "version": "2.3.0",
        "href": "/aps/2.3",
    }
    for version in ("2.0", "2.1", "2.2", "2.3")
}


def _resource(aps_type: str, ident: str) -> dict[str, Any]:
    """A resource as a lookup lists it."""
    return {
        "aps": {
            "id": ident,
            "type": aps_type,
            "status": "aps:ready",
            "revision": 1,
            "modified": "2026-01-01T00:00:00Z",
        }
    }


def _aps_error(message: str, method: str, path: str) -> dict[str, Any]:
    return {
        "error": APS_ERROR,
        "packageId": str(uuid.uuid5(uuid.NAMESPACE_URL, "plm-sync-sandbox-package")),
        "message": message,
        "http_request": f"{method} https://inhouse-products:8081/rest/{path.lstrip('/')}",
    }


HOLD_STEPS = (
    "parse",
    "apply",
    "poll",
    "poll-success",
    "upload",
    "prepare-proposals",
    "set-prices",
    "download",
)
# what a step answers once instead of its JSON (`/_sandbox/hold` with `answer`): a proxy's
# HTML page, or JSON of another type than the call returns
GARBLED = ("html", "wrongtype")
HTML_PAGE = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>"


class _Handler(JsonHandler):
    server: _Server
    product_id: str | None = None  # the last appDetails asked on this connection
    _silent = False  # a `truncate` fault: the work is done, no answer is sent

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002, ANN401 - stdlib signature
        log.debug("commerce_sandbox_request", line=format % args)

    def _send(
        self,
        status: int,
        body: Any,  # noqa: ANN401 - JSON
        headers: dict[str, str] | None = None,
        *,
        cut: bool = False,
    ) -> None:
        if not self._silent:
            super()._send(status, body, headers, cut=cut)

    def _garbled(self, step: str, *, status: int = 200) -> bool:
        """Answer this step with what a test asked for instead of its JSON, once."""
        kind = self.server.garbled.pop(step, None)
        if kind is None:
            return False
        if kind == "html":
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(HTML_PAGE)))
            self.end_headers()
            self.wfile.write(HTML_PAGE)
        else:
            self._send(200, "OK")
        return True

    def _signed(self, method: str) -> str | None:
        """None when the request is signed by the consumer and names the app; else why not."""
        address = self.server.server_address
        host = self.headers.get("Host") or f"{address[0]!s}:{address[1]}"
        uri = f"http://{host}{self.path}"
        headers = {"Authorization": self.headers.get("Authorization", "")}
        if not headers["Authorization"].startswith("OAuth "):
            return "the request is not signed with OAuth 1.0a"
        valid, _ = self.server.endpoint.validate_request(uri, method, None, headers)
        if not valid:
            return "OAuth signature verification failed (consumer key or secret)"
        if self.headers.get("aps-resource-id") != self.server.options.app_id:
            return "aps-resource-id does not name the Connect extension's app instance"
        return None

    def do_GET(self) -> None:
        self._handle("GET", b"")

    def do_POST(self) -> None:
        self._handle("POST", self._read_body())

    def _handle(self, method: str, raw: bytes) -> None:
        url = urlsplit(self.path)
        if url.path.startswith(CONTROL_PREFIX + "/"):
            self._control(method, url.path[len(CONTROL_PREFIX) :], raw)
            return
        if "aps-token" in self.headers:  # a reseller's call: no OAuth, an APS token
            self._as_reseller(method, url.path, unquote(url.query), raw)
            return
        refused = self._signed(method)
        if refused is not None:
            self._send(401, _aps_error(refused, method, url.path))
            return
        self.server.tasks.settle()  # PLM's tasks run whether anyone polls them or not
        if self._fault(method, url.path, unquote(url.query), raw):
            return
        try:
            self._api(method, url.path, unquote(url.query), raw)
        except (KeyError, TypeError, ValueError) as error:
            self._send(500, _aps_error(f"bad request: {error}", method, url.path))

    def _as_reseller(self, method: str, path: str, query: str, raw: bytes) -> None:
        """The flat catalog, with a reseller's token (refused: 401, as an expired token)."""
        wizard = self.server.wizard
        account = wizard.reseller(
            self.headers.get("aps-token"), self.headers.get("aps-identity-id")
        )
        if account is None:
            self._send(401, _aps_error("APS token expired or not valid", method, path))
            return
        if path == "/aps/2/resources/" and method == "GET":
            found = f"implementing({FLAT_CATALOG_TYPE})" in query
            self._send(200, [_resource(FLAT_CATALOG_TYPE, FLAT_CATALOG_ID)] if found else [])
            return
        parts = path.strip("/").split("/")
        if parts[:4] != ["aps", "2", "resources", FLAT_CATALOG_ID]:
            self._send(
                403, _aps_error("a reseller's token opens the flat catalog only", method, path)
            )
            return
        status, body, answer_headers = wizard.handle(account, method, parts[4:], query, raw)
        if parts[-1] in HOLD_STEPS:  # taken: a client cut off now never hears the answer
            self.server.hold(parts[-1])
        if status >= 400:  # noqa: PLR2004 - APS answers errors as 500 with an APSError
            self._send(500, _aps_error(body["message"], method, path))
            return
        self._send(status, body, answer_headers)

    def _fault(self, method: str, path: str, query: str, raw: bytes) -> bool:
        """Inject the drawn fault; True when it took the place of the answer.

        `reset` drops the connection before any work; `truncate` does the work (an
        `applyConfig` starts its task) and drops the connection instead of answering: the
        answer is lost after the request was taken.
        """
        fault = self.server.faults.draw()
        if fault is not None and fault.isdigit():
            headers = {"Retry-After": f"{self.server.options.retry_after:g}"}
            self._send(int(fault), _aps_error(f"injected {fault}", method, path), headers)
            return True
        if fault == "slow":
            time.sleep(self.server.options.slow_seconds)
        if fault not in {"reset", "truncate"}:
            return False
        if fault == "truncate":
            self._silent = True
            try:
                self._api(method, path, query, raw)
            except (KeyError, TypeError, ValueError):
                pass
            finally:
                self._silent = False
        self.close_connection = True
        self.connection.close()
        return True

    def _api(self, method: str, path: str, query: str, raw: bytes) -> None:  # noqa: C901, PLR0911, PLR0912
        plm = self.server.plm
        if path == "/aps" and method == "GET":
            self._send(200, {"versions": APS_VERSIONS})
            return
        if path == "/aps/2/resources/" and method == "GET":
            self._send(200, self._lookup(query))
            return
        if path == "/aps/2/collections/admin-users" and method == "GET":
            account = query.partition("organization.id=")[2].split("&")[0]
            self._send(200, self.server.wizard.admin_users(account))
            return
        parts = path.strip("/").split("/")
        if parts[:3] != ["aps", "2", "resources"] or len(parts) < 5:  # noqa: PLR2004
            self._send(500, _aps_error(f"404 Not Found {path}", method, path))
            return
        resource, operation = parts[3], parts[4:]
        if resource == RESOURCE_IDS[PLM_TYPE]:
            match method, operation:
                case "GET", ["appDetails", product_id]:
                    details = plm.app_details(product_id)
                    self.product_id = product_id
                    if details is None:
                        message = (
                            "404 Not Found ConnectError(error_code=CNCT_001, errors=[Not found.], "
                            "params=null)"
                        )
                        self._send(500, _aps_error(message, method, path))
                    else:
                        self._send(200, details)
                    return
                case "POST", ["appDetails", product_id, "upgrade" | "import"]:
                    self._send(202, plm.upgrade(product_id))
                    return
                case "POST", ["parseConfig"]:
                    self.server.hold("parse")
                    if not self._garbled("parse"):
                        self._parse(raw)
                    return
                case "GET", ["downloadConfig"]:
                    self.server.hold("download")
                    if not self._garbled("download"):
                        self._download(query, method, path)
                    return
                case "POST", ["applyConfig"]:
                    self._apply(raw, path)
                    return
        if resource == RESOURCE_IDS[ADAPTER_TYPE] and operation == ["getToken"]:
            token = self.server.wizard.token(query.partition("user_id=")[2].split("&")[0])
            if token is None:
                self._send(500, _aps_error("no such user", method, path))
            else:
                self._send(200, token)
            return
        if resource == RESOURCE_IDS[ADAPTER_TYPE] and operation == ["getTaskLog"]:
            rows = self.server.tasks.rows(query)
            statuses = {row["status"] for row in rows}
            step = "poll-success" if statuses == {"s"} else "poll"
            self.server.hold(step)
            if not self._garbled(step) and not self._garbled("poll"):
                self._send(200, rows)
            return
        self._send(500, _aps_error(f"404 Not Found {path}", method, path))

    def _lookup(self, query: str) -> list[dict[str, Any]]:
        if f"implementing({ACCOUNT_TYPE})" in query:
            return self.server.wizard.accounts(query.partition("&id=")[2].split("&")[0])
        for aps_type, ident in RESOURCE_IDS.items():
            if f"implementing({aps_type})" in query:
                return [_resource(aps_type, ident)]
        return []

    def _parse(self, raw: bytes) -> None:
        try:
            encoded = json.loads(raw)["excelConfig"]
            data = base64.b64decode(encoded, validate=True)
            answer = self.server.plm.parse(data, self.product_id)
        except (ValueError, KeyError, TypeError, binascii.Error) as error:
            message = str(error) if isinstance(error, WorkbookRefused) else "bad excelConfig"
            self._send(200, {"error": "ParseConfigError", "message": message})
            return
        self._send(200, answer)

    def _download(self, query: str, method: str, path: str) -> None:
        fields = dict(part.partition("=")[::2] for part in query.split("&") if part)
        config = self.server.plm.download(
            fields.get("appId", ""), fields.get("bssServiceTemplateId", "")
        )
        if config is None:
            message = "404 Not Found: no such application or service template"
            self._send(500, _aps_error(message, method, path))
            return
        self._send(200, config)

    def _apply(self, raw: bytes, path: str) -> None:
        body = json.loads(raw)
        if not self.server.plm.known_answer(body):
            message = "applyConfig body is not a parseConfig answer of this hub (changed?)"
            self._send(500, _aps_error(message, "POST", path))
            return
        tracking = self.server.tasks.start(body)
        self.server.hold("apply")  # taken: a client cut off now never hears of its task
        if self._garbled("apply", status=502):  # taken, and its answer a proxy's page
            return
        headers = {"APS-Info": f"Importing configuration for request {tracking}"}
        self._send(202, None, headers)

    def _control(self, method: str, path: str, raw: bytes) -> None:  # noqa: C901, PLR0912, PLR0915 - one case per endpoint
        plm = self.server.plm
        body: Any = json.loads(raw) if raw else {}
        match method, path.strip("/").split("/"):
            case "GET", ["health"]:
                self._send(200, {"status": "ok"})
            case "GET", ["state"]:
                self._send(200, plm.state() | self.server.wizard.state())
            case "POST", ["products", product_id]:
                with plm.lock:
                    for flag, names in (
                        ("installed", plm.not_installed),
                        ("known", plm.unknown),
                    ):
                        if flag in body:
                            (names.discard if body[flag] else names.add)(product_id)
                    if "update_available" in body:
                        target = plm.update_available
                        (target.add if body["update_available"] else target.discard)(product_id)
                self._send(200, {"product": product_id})
            case "POST", ["fail-task"]:
                self.server.options.fail_task = bool(body.get("fail", True))
                self._send(200, {"fail_task": self.server.options.fail_task})
            case "POST", ["hold"]:
                step = str(body.get("step") or "")
                if step not in HOLD_STEPS:
                    self._send(400, {"error": "SANDBOX_400", "message": f"steps: {HOLD_STEPS}"})
                    return
                answer = body.get("answer")
                if answer is not None:
                    if answer not in GARBLED:
                        self._send(400, {"error": "SANDBOX_400", "message": f"answers: {GARBLED}"})
                        return
                    self.server.garbled[step] = str(answer)
                    self._send(200, {"garbled": sorted(self.server.garbled)})
                    return
                self.server.holds[step] = float(body.get("seconds", 30))
                self._send(200, {"holding": sorted(self.server.holds)})
            case "POST", ["edit"]:  # what an operator changes by hand in Commerce
                if "account" in body:
                    edited = self.server.wizard.edit_price(
                        str(body["account"]),
                        str(body.get("mpn", "")),
                        str(body.get("billing_period", "")),
                        str(body.get("subscription_period", "")),
                        str(body.get("price", "")),
                    )
                else:
                    edited = plm.edit(str(body.get("product", "")), str(body.get("plan", "")), body)
                self._send(200 if edited else 404, {"edited": edited})
            case "POST", ["release"]:
                self.server.release()
                self._send(200, {"released": True})
            case "GET", ["waiting"]:
                self._send(200, {"waiting": sorted(self.server.waiting)})
            case "POST", ["expire-tokens"]:
                self.server.wizard.expire_tokens(int(body.get("next", 0)))
                self._send(200, {"expired": True})
            case "GET", ["prices", account]:  # a reseller's flat catalog, every vendor
                self._send(200, self.server.wizard.products(account, ""))
            case "POST", ["remove-price"]:  # what an operator does in Commerce's UI
                removed = self.server.wizard.remove_price(
                    str(body.get("account", "")),
                    str(body.get("mpn", "")),
                    str(body.get("billing_period", "")),
                    str(body.get("subscription_period", "")),
                )
                self._send(200 if removed else 404, {"removed": removed})
            case _:
                self._send(404, {"error": "SANDBOX_404", "message": f"no control endpoint {path}"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], plm: SandboxPlm, options: CommerceSandboxOptions
    ) -> None:
        self.plm = plm
        self.options = options
        self.wizard = SandboxWizard(token_seconds=options.token_seconds)
        for account in options.resellers:
            self.wizard.add_reseller(account)
        self.faults = FaultPlan(options.faults, options.seed)
        self.endpoint = consumer_endpoint(options.oauth_key, options.oauth_secret)
        self.tasks = TaskLog(plm, options)
        # the crash matrix: a step held (its request arrived, its answer not sent) until
        # released or its seconds ran out; `waiting` names the steps held right now
        self.holds: dict[str, float] = {}
        self.garbled: dict[str, str] = {}  # step -> what it answers once instead (GARBLED)
        self.waiting: set[str] = set()
        self._released = threading.Event()
        super().__init__(address, _Handler)

    def hold(self, step: str) -> None:
        """Hold this request at `step` if a test asked for it (once per ask)."""
        seconds = self.holds.pop(step, None)
        if seconds is None:
            return
        self._released.clear()
        self.waiting.add(step)
        try:
            self._released.wait(timeout=seconds)
        finally:
            self.waiting.discard(step)

    def release(self) -> None:
        """Let every held request go on."""
        self.holds.clear()
        self.garbled.clear()
        self._released.set()


class CommerceSandbox(BackgroundServer):
    """A running Commerce sandbox; `url` is the controller URL a CommerceClient takes."""

    def __init__(
        self,
        options: CommerceSandboxOptions | None = None,
        plm: SandboxPlm | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        allow_remote: bool = False,
    ) -> None:
        loopback_only(host, allow_remote=allow_remote, what="the Commerce sandbox")
        self.options = options or CommerceSandboxOptions()
        self.plm = plm or SandboxPlm()
        self._server: _Server
        super().__init__(_Server((host, port), self.plm, self.options), "plm-sync-commerce")
        self.wizard = self._server.wizard  # resellers and the prices set

    @property
    def url(self) -> str:
        """The hub's controller URL."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def control_url(self) -> str:
        """Base URL of the test endpoints (`/state`, `/products/<id>`, `/fail-task`)."""
        return self.url + CONTROL_PREFIX

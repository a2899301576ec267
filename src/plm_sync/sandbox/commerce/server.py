"""The Commerce sandbox HTTP server: the APS calls plm-sync makes, after PROTOCOL.md §8.

OAuth 1.0a signatures are verified with oauthlib's own endpoint (HMAC-SHA1, two-legged),
`aps-resource-id` must name the app id; errors are HTTP 500 (or 401) with an APSError body;
`parseConfig` reads the workbook and answers in the real shape or with a 2xx
`{error, message}`; `applyConfig` answers 202 with `APS-Info`; the task log moves n -> r -> s
(or f with `actionOutput`) over `task_seconds`; faults as in the Connect sandbox.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

import structlog
from oauthlib.oauth1 import RequestValidator, SignatureOnlyEndpoint

from plm_sync.commerce.client import ADAPTER_TYPE, PLM_TYPE, SUBSCRIPTION_TYPE
from plm_sync.commerce.wizard import ACCOUNT_TYPE, FLAT_CATALOG_TYPE
from plm_sync.infra.serving import BackgroundServer, JsonHandler
from plm_sync.sandbox.commerce.plm import SandboxPlm, WorkbookRefused
from plm_sync.sandbox.commerce.wizard import FLAT_CATALOG_ID, SandboxWizard
from plm_sync.sandbox.connect.faults import FaultPlan, FaultSpec
from plm_sync.sandbox.connect.server import SandboxBindError, is_loopback

log = structlog.get_logger(__name__)

CONTROL_PREFIX = "/_sandbox"
SANDBOX_OAUTH_KEY = "plm-sync-sandbox-consumer"
SANDBOX_OAUTH_SECRET = "plm-sync-sandbox-secret"  # noqa: S105 - the sandbox's published test secret
SANDBOX_APP_ID = "6f0b2a4e-55d3-4c55-9a1e-5a0d5d3e0c11"
RESOURCE_IDS = {
    PLM_TYPE: "0c4f6a52-6d7e-4b1f-8a43-7e9f3b2d1a01",
    ADAPTER_TYPE: "1d5e7b63-7e8f-4c20-9b54-8fa04c3e2b02",
    SUBSCRIPTION_TYPE: "2e6f8c74-8f90-4d31-8c65-90b15d4f3c03",
}
APS_ERROR = "com.ingrammicro.imcp.library.aps.exception.APSError"
DEFAULT_FAILURE = (
    "Error while applying configuration: service plan validation failed "
    "(sandbox --fail-task): the plan's resource rates do not match its resources"
)
APS_VERSIONS = {
    version: {
        "features": {"navigation": {"vars": []}, "async": {"customOperation": True}, "rql": []},
        "version": "2.3.0",
        "href": "/aps/2.3",
    }
    for version in ("2.0", "2.1", "2.2", "2.3")
}


@dataclass
class CommerceSandboxOptions:
    """How the sandbox hub behaves."""

    oauth_key: str = SANDBOX_OAUTH_KEY
    oauth_secret: str = field(default=SANDBOX_OAUTH_SECRET, repr=False)
    app_id: str = SANDBOX_APP_ID
    task_seconds: float = 1.0  # how long an applyConfig task takes
    fail_task: bool = False  # every task ends `f` with an actionOutput
    failure_output: str = DEFAULT_FAILURE
    faults: FaultSpec = field(default_factory=FaultSpec)
    seed: int | None = None
    retry_after: float = 1.0
    slow_seconds: float = 5.0
    # reseller accounts (CBC ids) the price wizard knows, and how long their tokens live
    resellers: tuple[str, ...] = ("1000001", "1000002")
    token_seconds: float = 300.0


class _Validator(RequestValidator):
    """Two-legged OAuth 1.0a: one consumer, no tokens; nonces remembered for ten minutes."""

    def __init__(self, key: str, secret: str) -> None:
        super().__init__()
        self._key = key
        self._secret = secret
        self._nonces: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    # the defaults expect 20-30 character keys and nonces of certain characters; a hub's
    # consumer keys are whatever it issued
    @property
    def enforce_ssl(self) -> bool:
        return False

    @property
    def client_key_length(self) -> tuple[int, int]:
        return 1, 200

    @property
    def nonce_length(self) -> tuple[int, int]:
        return 8, 200

    @property
    def safe_characters(self) -> set[str]:
        return set(map(chr, range(33, 127)))

    @property
    def dummy_client(self) -> str:
        return "dummy-consumer"

    def get_client_secret(self, client_key: str, request: Any) -> str:  # noqa: ANN401, ARG002
        return self._secret if client_key == self._key else "dummy-secret"

    def validate_client_key(self, client_key: str, request: Any) -> bool:  # noqa: ANN401, ARG002
        return client_key == self._key

    def validate_timestamp_and_nonce(  # noqa: PLR0917 - oauthlib's signature
        self,
        client_key: str,
        timestamp: str,
        nonce: str,
        request: Any,  # noqa: ANN401, ARG002
        request_token: str | None = None,  # noqa: ARG002
        access_token: str | None = None,  # noqa: ARG002
    ) -> bool:
        now = time.time()
        with self._lock:
            self._nonces = {k: t for k, t in self._nonces.items() if now - t < 600}  # noqa: PLR2004
            if (client_key, nonce) in self._nonces:
                return False  # a replayed request
            self._nonces[(client_key, nonce)] = now
        return abs(now - float(timestamp)) < 600  # noqa: PLR2004 - oauthlib's window


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


@dataclass
class _Task:
    tracking_id: str
    task_id: int
    started: float
    fail: bool
    body: dict[str, Any]
    applied: bool = False


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
        self.server.settle()  # PLM's tasks run whether anyone polls them or not
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
            rows = self.server.task_log(query)
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
        tracking = self.server.new_task(body)
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
        self.endpoint = SignatureOnlyEndpoint(_Validator(options.oauth_key, options.oauth_secret))
        self.tasks: dict[str, _Task] = {}
        self._lock = threading.Lock()
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

    def settle(self) -> None:
        """Carry out every task whose time has come (PLM works without being polled)."""
        with self._lock:
            due = [
                task
                for task in self.tasks.values()
                if not task.applied
                and not task.fail
                and time.monotonic() - task.started >= self.options.task_seconds
            ]
            for task in due:
                task.applied = True
        for task in due:
            self.plm.apply(task.tracking_id, task.body)

    def new_task(self, body: dict[str, Any]) -> str:
        tracking = str(uuid.uuid4())
        with self._lock:
            self.tasks[tracking] = _Task(
                tracking, 1000 + len(self.tasks), time.monotonic(), self.options.fail_task, body
            )
        return tracking

    def task_log(self, query: str) -> list[dict[str, Any]]:
        """`getTaskLog?task_name=%…%`: the rows whose task name matches, newest first.

        The name is matched as a LIKE pattern (`%` any text); [] before any task exists.
        """
        pattern = query.partition("task_name=")[2].split("&")[0]
        like = re.compile(".*".join(re.escape(part) for part in pattern.split("%")), re.DOTALL)
        self.settle()
        with self._lock:
            tasks = sorted(self.tasks.values(), key=lambda task: -task.task_id)
            return [self._row(task) for task in tasks if like.fullmatch(self._name(task))]

    @staticmethod
    def _name(task: _Task) -> str:
        return (
            f"Execute operation '/applyConfig'({task.tracking_id}) on resource "
            f"application({RESOURCE_IDS[PLM_TYPE]})"
        )

    def _row(self, task: _Task) -> dict[str, Any]:
        elapsed = time.monotonic() - task.started
        duration = self.options.task_seconds
        if elapsed < duration * 0.2:
            status = "n"
        elif elapsed < duration:
            status = "r"
        else:  # done once PLM carried it out (`settle`): success is never shown before
            status = "f" if task.fail else ("s" if task.applied else "r")
        output = self.options.failure_output if status == "f" else ""
        return {
            "task_id": task.task_id,
            "name": self._name(task),
            "status": status,
            "startedAt": int(time.time() - elapsed),
            "method": "APSAsyncOperations",
            "location": "SCREF:JMSQueue:0",
            "mutex": "PL:8",
            "actionOutput": output,
            "orderId": None,
            "subscription_id": None,
        }


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
        if not allow_remote and not is_loopback(host):
            msg = (
                f"refusing to listen on {host}: the Commerce sandbox is a test double for "
                "loopback only; pass --allow-remote to listen elsewhere"
            )
            raise SandboxBindError(msg)
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

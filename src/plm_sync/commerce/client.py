"""The CloudBlue Commerce APS client: OAuth 1.0a, service lookup, PLM calls, task polling.

Every call is signed (OAuth 1.0a HMAC-SHA1, two-legged) and carries `aps-resource-id`. GETs,
polls and `parseConfig` (which changes nothing) are retried with backoff; `applyConfig` is
not retried once it may have reached the hub: a lost answer is an unknown outcome.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests
import structlog
from requests_oauthlib import OAuth1

from plm_sync.commerce.answers import (
    TaskResult,
    TaskRow,
    refusal,
    task_result,
    task_rows,
    tracking_id,
)
from plm_sync.commerce.hubs import hub_key, missing_settings, normal_url
from plm_sync.commerce.responses import aps_message, never_connected, shaped
from plm_sync.config import Settings
from plm_sync.errors import (
    CommerceApiError,
    CommerceAuthError,
    CommerceError,
    CommerceRefusedError,
    CommerceServiceError,
    CommerceTransientError,
    CommerceUnknownOutcomeError,
    UsageError,
)
from plm_sync.infra.retrying import Retrier, RetryPolicy, parse_retry_after

log = structlog.get_logger(__name__)

PLM_TYPE = "http://com.odin.platform/inhouse-products/application"
ADAPTER_TYPE = "http://connect.cloudblue.com/aps-openapi-adapter/app"
SUBSCRIPTION_TYPE = "http://parallels.com/aps/types/pa/subscription"
USER_AGENT = "plm-sync"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RETRIABLE_STATUS = frozenset({429, 502, 503, 504})
BUSY_STATUS = frozenset({429, 503})  # the hub refused before doing anything
# bounded retries of the calls that may be repeated
COMMERCE_RETRY = RetryPolicy(
    max_attempts=5, max_total_wait=120.0, initial_backoff=1.0, max_backoff=20.0
)


@dataclass(frozen=True)
class AppDetails:
    """What PLM knows of a Connect product (`appDetails/<id>`)."""

    product_id: str
    installed: bool
    update_available: bool
    importing: bool
    version: str | None


class CommerceClient:
    """Talks to one Commerce hub as the Connect extension's app instance."""

    def __init__(
        self,
        url: str,
        oauth_key: str,
        oauth_secret: str,
        app_id: str,
        *,
        verify_tls: bool = True,
        connect_timeout: float = 10.0,
        read_timeout: float = 120.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
    ) -> None:
        if not (url and oauth_key and oauth_secret and app_id):
            msg = "a Commerce client needs the hub URL, OAuth key and secret, and the app id"
            raise UsageError(msg)
        self.base = normal_url(url) if "@" not in url else url.strip().rstrip("/")
        self.app_id = app_id
        self.retry = retry or COMMERCE_RETRY
        self.timeout = (connect_timeout, read_timeout)
        self._retrier = Retrier(self.retry, event="commerce_retry", sleep=sleep)
        self._sleep = sleep
        self._services: dict[str, str] = {}
        self._session = session or requests.Session()
        # a reseller's calls (the price wizard) carry an APS token, no OAuth, no app id
        self._plain = requests.Session()
        self._plain.verify = verify_tls
        self._plain.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        self._session.auth = OAuth1(oauth_key, client_secret=oauth_secret)
        self._session.verify = verify_tls
        self._session.headers.update(
            {"aps-resource-id": app_id, "User-Agent": USER_AGENT, "Accept": "application/json"}
        )
        if not verify_tls:
            log.warning("commerce_tls_unverified", url=self.base)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        timeout: tuple[float, float] | None = None,
        retry: RetryPolicy | None = None,
    ) -> CommerceClient:
        """The client the settings describe; a missing setting is a usage error naming it.

        `timeout` (connect, read) and `retry` replace the settings' timeouts and the default
        retries (a quick probe, say).
        """
        missing = missing_settings(settings)
        if missing:
            raise UsageError(
                f"pushing to Commerce needs {', '.join(missing)} (or the _FILE variants of the "
                "OAuth key and secret); see README 'Pushing to Commerce'"
            )
        assert settings.commerce_url is not None  # noqa: S101 - checked just above
        assert settings.commerce_oauth_key is not None  # noqa: S101
        assert settings.commerce_oauth_secret is not None  # noqa: S101
        assert settings.commerce_app_id is not None  # noqa: S101
        connect_timeout, read_timeout = timeout or (settings.connect_timeout, settings.read_timeout)
        return cls(
            settings.commerce_url,
            settings.commerce_oauth_key,
            settings.commerce_oauth_secret,
            settings.commerce_app_id,
            verify_tls=settings.commerce_verify_tls,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retry=retry,
        )

    def close(self) -> None:
        """Release the connection pools."""
        self._session.close()
        self._plain.close()

    @property
    def hub(self) -> str:
        """Which hub this is, as the memory of pushes keys it (`hub_key`)."""
        return hub_key(self.base, self.app_id)

    # -- transport -------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,  # noqa: ANN401 - JSON
        data: bytes | None = None,
        reseller: dict[str, str] | None = None,
    ) -> requests.Response:
        """One request; transport failures become CommerceTransientError.

        `reseller`: the headers of a reseller's call (APS token), sent without OAuth.
        """
        where = f"{method} {path.split('?', maxsplit=1)[0]}"
        session = self._session if reseller is None else self._plain
        headers = dict(reseller or {})
        if data is not None:
            headers["Content-Type"] = XLSX_TYPE
        try:
            response = session.request(
                method,
                self.base + path,
                json=json,
                data=data,
                headers=headers or None,
                timeout=self.timeout,
            )
        except requests.exceptions.SSLError as error:
            raise CommerceError(
                f"Commerce at {self.base}: TLS verification failed ({error.__class__.__name__}); "
                "fix the hub's certificate or, for a test hub only, set "
                "PLM_SYNC_COMMERCE_VERIFY_TLS=false"
            ) from None
        except (requests.ConnectionError, requests.Timeout) as error:
            raise CommerceTransientError(
                f"Commerce at {self.base} did not answer {where} ({error.__class__.__name__})",
                sent=not never_connected(error),
            ) from None
        return self._check(response, where)

    def _check(self, response: requests.Response, where: str) -> requests.Response:
        status = response.status_code
        if 200 <= status < 300:  # noqa: PLR2004 - the 2xx class
            return response
        message = aps_message(response)
        detail = f": {message}" if message else ""
        if status in {401, 403}:
            raise CommerceAuthError(
                f"Commerce refused the credentials (HTTP {status}) for {where}{detail}: check "
                "PLM_SYNC_COMMERCE_OAUTH_KEY, PLM_SYNC_COMMERCE_OAUTH_SECRET and "
                "PLM_SYNC_COMMERCE_APP_ID (the Connect extension's app instance on the hub)"
            )
        if status in RETRIABLE_STATUS or (status >= 500 and message is None):  # noqa: PLR2004
            raise CommerceTransientError(
                f"Commerce answered HTTP {status} for {where}{detail}",
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
                status=status,
            )
        raise CommerceApiError(
            f"Commerce answered HTTP {status} for {where}{detail}", status=status, detail=message
        )

    @property
    def retries(self) -> int:
        """Retries made so far."""
        return self._retrier.retries

    def _retried(self, method: str, path: str, *, json: Any = None) -> requests.Response:  # noqa: ANN401
        return self._retrier.call(self._send, method, path, json=json)

    def get_json(self, path: str) -> Any:  # noqa: ANN401 - JSON
        """A signed GET, retried; its JSON body (None when not JSON)."""
        return self._body(self._retried("GET", path))

    def _retried_json(
        self,
        method: str,
        path: str,
        kind: type | tuple[type, ...],
        *,
        json: Any = None,  # noqa: ANN401 - JSON
    ) -> Any:  # noqa: ANN401 - JSON
        """A retried call whose answer must be JSON of `kind` (a list, an object).

        Any other answer (an HTML page from a proxy or a login, a JSON of another type) is a
        transient error, retried and then failed naming what came: never read as "empty".
        """

        def once() -> Any:  # noqa: ANN401 - JSON
            response = self._send(method, path, json=json)
            return shaped(response, f"{method} {path.split('?', maxsplit=1)[0]}", kind)

        return self._retrier.call(once)

    def reseller_service(self, aps_type: str, headers: dict[str, str]) -> str:
        """The path of the one resource implementing `aps_type` as a reseller sees it."""
        found = self._body(
            self._retrier.call(
                self._send, "GET", f"/aps/2/resources/?implementing({aps_type})", reseller=headers
            )
        )
        return self._one_resource(aps_type, found)

    def reseller_call(
        self,
        path: str,
        headers: dict[str, str],
        *,
        json: Any = None,  # noqa: ANN401 - JSON
        data: bytes | None = None,
        once: bool = False,
    ) -> tuple[Any, dict[str, str]]:
        """A reseller's call (POST with a body, else GET): its JSON body and headers.

        `once`: a call that changes prices, never repeated once it may have reached the hub.
        """
        method = "POST" if json is not None or data is not None else "GET"
        if once:
            try:
                response = self._send(method, path, json=json, data=data, reseller=headers)
            except CommerceTransientError as error:
                if not error.sent or error.status in BUSY_STATUS:
                    raise CommerceApiError(
                        f"{path.rsplit('/', 1)[-1]} was not taken: {error}; nothing was set, "
                        "push again later",
                        status=error.status or 0,
                    ) from None
                raise CommerceUnknownOutcomeError(
                    f"the answer to {path.rsplit('/', 1)[-1]} was lost ({error}); the hub may "
                    "or may not have set the prices"
                ) from None
        else:
            response = self._retrier.call(
                self._send, method, path, json=json, data=data, reseller=headers
            )
        return self._body(response), dict(response.headers)

    @staticmethod
    def _body(response: requests.Response) -> Any:  # noqa: ANN401 - JSON
        try:
            return response.json()
        except ValueError:
            return None

    # -- calls -------------------------------------------------------------------------------

    def check_credentials(self) -> None:
        """A signed `GET /aps`: any refusal means the credentials (or the app id) are wrong.

        Only a JSON answer is the APS controller's: an HTML page (a login page, a proxy's or
        a web server's) at that URL is refused too, naming what answered.
        """
        try:
            response = self._retried("GET", "/aps")
        except CommerceApiError as error:
            raise CommerceAuthError(
                f"Commerce at {self.base} refused the credentials check (GET /aps, HTTP "
                f"{error.status}{': ' + error.detail if error.detail else ''}): check "
                "PLM_SYNC_COMMERCE_URL (the hub's controller URL), PLM_SYNC_COMMERCE_OAUTH_KEY, "
                "PLM_SYNC_COMMERCE_OAUTH_SECRET and PLM_SYNC_COMMERCE_APP_ID"
            ) from None
        body = self._body(response)
        if not isinstance(body, dict | list):
            kind = response.headers.get("Content-Type", "no content type").split(";")[0][:60]
            raise CommerceAuthError(
                f"Commerce at {self.base} answered GET /aps with {kind}, not the APS "
                "controller's JSON: PLM_SYNC_COMMERCE_URL must be the hub's controller URL "
                "(not a login page, a proxy or a web site)"
            )

    def service(self, aps_type: str) -> str:
        """The path of the one resource implementing `aps_type` (looked up once)."""
        if aps_type not in self._services:
            body = self._retried_json("GET", f"/aps/2/resources/?implementing({aps_type})", list)
            self._services[aps_type] = self._one_resource(aps_type, body)
        return self._services[aps_type]

    def _one_resource(self, aps_type: str, body: Any) -> str:  # noqa: ANN401 - JSON
        """The path of the one resource a lookup found (CommerceServiceError: none or more)."""
        rows = body if isinstance(body, list) else []
        if len(rows) != 1:
            found = "no instance" if not rows else f"{len(rows)} instances"
            raise CommerceServiceError(
                f"Commerce at {self.base} has {found} of {aps_type}; plm-sync needs exactly "
                "one (is the Connect extension installed on this hub?)"
            )
        ident = (rows[0].get("aps") or {}).get("id") if isinstance(rows[0], dict) else None
        if not ident:
            raise CommerceError(f"Commerce's {aps_type} resource has no aps.id")
        return f"/aps/2/resources/{ident}"

    def app_details(self, product_id: str) -> AppDetails | None:
        """PLM's view of a Connect product; None when PLM does not know it at all."""
        path = f"{self.service(PLM_TYPE)}/appDetails/{product_id}?fulfillmentSystem=connect"
        try:
            body = self._retried_json("GET", path, dict)
        except CommerceApiError as error:
            if error.detail and ("404" in error.detail or "not found" in error.detail.lower()):
                return None
            raise
        message = refusal(body)
        if message is not None:
            raise CommerceRefusedError(
                f"PLM refused appDetails of {product_id}: {message}", detail=message
            )
        if not isinstance(body, dict):
            raise CommerceError(f"PLM's appDetails of {product_id} is not a JSON object")
        return AppDetails(
            product_id,
            installed=bool(body.get("isInstalled")),
            update_available=bool(body.get("isUpdateAvailable")),
            importing=bool(body.get("isImporting")),
            version=None if body.get("version") is None else str(body["version"]),
        )

    def upgrade(self, product_id: str) -> None:
        """Upgrade the product in PLM to its latest Connect version (not retried)."""
        found = self._body(
            self._retried(
                "GET", f"/aps/2/resources/?implementing({SUBSCRIPTION_TYPE})&subscriptionId=1"
            )
        )
        if not isinstance(found, list) or not found:
            raise CommerceServiceError("Commerce has no provider subscription #1 to upgrade with")
        subscription = (found[0].get("aps") or {}).get("id")
        path = f"{self.service(PLM_TYPE)}/appDetails/{product_id}/upgrade"
        body = {"subscriptionId": subscription, "fulfillmentSystem": "connect"}
        answer = self._body(self._send_once("POST", path, body, what=f"upgrade of {product_id}"))
        message = refusal(answer)
        if message is not None:
            raise CommerceRefusedError(
                f"PLM refused to upgrade {product_id}: {message}", detail=message
            )

    def parse_config(self, workbook: bytes) -> dict[str, Any]:
        """PLM's reading of a workbook (changes nothing, so retried)."""
        payload = {"excelConfig": base64.b64encode(workbook).decode("ascii")}
        body = self._retried_json(
            "POST", f"{self.service(PLM_TYPE)}/parseConfig", dict, json=payload
        )
        message = refusal(body)
        if message is not None:
            raise CommerceRefusedError(f"PLM refused the workbook: {message}", detail=message)
        if not isinstance(body, dict):
            raise CommerceError("PLM's parseConfig answer is not a JSON object")
        return body

    def _send_once(self, method: str, path: str, body: Any, *, what: str) -> requests.Response:  # noqa: ANN401
        """A call that changes PLM: never repeated once it may have reached the hub."""
        try:
            return self._send(method, path, json=body)
        except CommerceTransientError as error:
            if not error.sent or error.status in BUSY_STATUS:
                # never connected, or the hub said it was too busy to take it: nothing applied
                raise CommerceApiError(
                    f"{what} was not taken: {error}; nothing was applied, push again later",
                    status=error.status or 0,
                ) from None
            raise CommerceUnknownOutcomeError(
                f"the answer to {what} was lost ({error}); PLM may or may not have taken it: "
                "check the hub's task log (Operations > Tasks) before pushing again"
            ) from None

    def apply_config(self, parsed: dict[str, Any]) -> str:
        """Send the parse answer back unchanged; the tracking id of the PLM task it started."""
        response = self._send_once(
            "POST", f"{self.service(PLM_TYPE)}/applyConfig", parsed, what="applyConfig"
        )
        message = refusal(self._body(response))
        if message is not None:
            raise CommerceRefusedError(
                f"PLM refused to apply the workbook: {message}", detail=message
            )
        tracking = tracking_id(response.headers.get("APS-Info"))
        if tracking is None:
            raise CommerceUnknownOutcomeError(
                "PLM accepted applyConfig but its APS-Info header names no task "
                f"({response.headers.get('APS-Info')!r}): check the hub's task log"
            )
        return tracking

    def task(self, tracking: str) -> TaskResult:
        """The PLM task's state in the adapter's task log."""
        path = f"{self.service(ADAPTER_TYPE)}/getTaskLog?task_name=%25{tracking}%25"
        return task_result(tracking, self._retried_json("GET", path, list))

    def running_applies(self) -> list[str]:
        """The `applyConfig` tasks the task log shows not finished (their names).

        What a push waits for when an earlier apply's answer was lost: its task is not known
        by id, only as one of the hub's applies.
        """
        return [task.name for task in self.applies() if not task.state.finished]

    def applies(self) -> list[TaskRow]:
        """Every `applyConfig` task the adapter's task log shows, newest first."""
        path = f"{self.service(ADAPTER_TYPE)}/getTaskLog?task_name=%25applyConfig%25"
        return task_rows(self._retried_json("GET", path, list))

    def download_config(self, product_id: str, template_id: object) -> dict[str, Any]:
        """PLM's export of the product's configuration (`downloadConfig`, `ExcelConfigData`).

        A GET on the PLM application with `appId` (the Connect product) and
        `bssServiceTemplateId` (from the parse answer's `serviceTemplateId`). The shape
        read is that of `parseConfig`'s `excelConfig` (the public type names it, not its
        layout: see README 'Reading Commerce back').
        """
        path = (
            f"{self.service(PLM_TYPE)}/downloadConfig?appId={quote(product_id, safe='')}"
            f"&bssServiceTemplateId={quote(str(template_id), safe='')}"
        )
        body = self._retried_json("GET", path, dict)
        message = refusal(body)
        if message is not None:
            raise CommerceRefusedError(
                f"PLM refused downloadConfig of {product_id}: {message}", detail=message
            )
        return dict(body)

    def wait_for_task(
        self,
        tracking: str,
        *,
        poll_seconds: float,
        timeout: float,
        clock: Callable[[], float] = time.monotonic,
        on_poll: Callable[[TaskResult], None] | None = None,
    ) -> TaskResult:
        """Poll the task until it is done or `timeout` seconds passed (then its last state)."""
        deadline = clock() + timeout
        while True:
            result = self.task(tracking)
            if on_poll is not None:
                on_poll(result)
            if result.state.finished or clock() >= deadline:
                return result
            self._sleep(min(poll_seconds, max(deadline - clock(), 0.0)))

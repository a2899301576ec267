"""The Commerce client against mocked APS answers: signing, lookups, errors, retry rules."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace

import pytest
import requests
import responses
from structlog.testing import capture_logs

from plm_sync.commerce.answers import TaskState
from plm_sync.commerce.client import (
    ADAPTER_TYPE,
    COMMERCE_RETRY,
    PLM_TYPE,
    CommerceClient,
)
from plm_sync.config import Settings
from plm_sync.errors import (
    EXIT_USAGE,
    CommerceApiError,
    CommerceAuthError,
    CommerceRefusedError,
    CommerceServiceError,
    CommerceTransientError,
    CommerceUnknownOutcomeError,
    UsageError,
)

BASE = "https://hub.example.com/api/v1"
KEY = "consumer-key-1234"
SECRET = "very-secret-oauth-value"
APP = "5b5e1d0a-0000-4000-8000-000000000001"
PLM_ID = "0c4f6a52-6d7e-4b1f-8a43-7e9f3b2d1a01"
ADAPTER_ID = "1d5e7b63-7e8f-4c20-9b54-8fa04c3e2b02"
PLM = f"{BASE}/aps/2/resources/{PLM_ID}"
ADAPTER = f"{BASE}/aps/2/resources/{ADAPTER_ID}"
TRACKING = "b09b2497-484c-4b1c-92a6-73a0443193ac"
APS_NOT_FOUND = {
    "error": "com.ingrammicro.imcp.library.aps.exception.APSError",
    "message": "404 Not Found ConnectError(error_code=CNCT_001, errors=[Not found.], params=null)",
}


@pytest.fixture
def client() -> Iterator[CommerceClient]:
    sleeps: list[float] = []
    commerce = CommerceClient(
        BASE,
        KEY,
        SECRET,
        APP,
        retry=replace(COMMERCE_RETRY, max_attempts=3, initial_backoff=0.01, max_backoff=0.02),
        sleep=sleeps.append,
    )
    yield commerce
    commerce.close()


def lookup(mocked: responses.RequestsMock, aps_type: str, ident: str) -> None:
    mocked.get(
        f"{BASE}/aps/2/resources/?implementing({aps_type})",
        json=[{"aps": {"id": ident, "type": aps_type}}],
    )


@responses.activate
def test_every_call_is_oauth1_signed_and_names_the_app(client: CommerceClient) -> None:
    responses.get(f"{BASE}/aps", json={"versions": {}})
    client.check_credentials()
    sent = responses.calls[0].request
    raw = sent.headers["Authorization"]
    auth = raw.decode() if isinstance(raw, bytes) else raw  # requests-oauthlib sends bytes
    assert auth.startswith("OAuth ")
    assert 'oauth_signature_method="HMAC-SHA1"' in auth
    assert f'oauth_consumer_key="{KEY}"' in auth
    assert "oauth_token" not in auth  # two-legged
    app = sent.headers["aps-resource-id"]
    assert (app.decode() if isinstance(app, bytes) else app) == APP
    assert SECRET not in auth


@responses.activate
@pytest.mark.parametrize("status", [401, 403, 404, 500])
def test_a_refused_credentials_check_is_a_usage_error(client: CommerceClient, status: int) -> None:
    responses.get(f"{BASE}/aps", status=status, json={"error": "APSError", "message": "denied"})
    with pytest.raises(CommerceAuthError) as raised:
        client.check_credentials()
    assert raised.value.exit_code == EXIT_USAGE
    assert "PLM_SYNC_COMMERCE_OAUTH_KEY" in str(raised.value)
    assert len(responses.calls) == 1  # never retried


@responses.activate
@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("<html><body>Sign in</body></html>", "text/html"),
        ("", "text/plain"),
        ('"just a string"', "application/json"),
    ],
)
def test_a_page_that_is_not_the_aps_controller_fails_the_credentials_check(
    client: CommerceClient, body: str, kind: str
) -> None:
    responses.get(f"{BASE}/aps", body=body, content_type=kind)
    with pytest.raises(CommerceAuthError) as raised:
        client.check_credentials()
    assert f"answered GET /aps with {kind}" in str(raised.value)
    assert raised.value.exit_code == EXIT_USAGE


@responses.activate
@pytest.mark.parametrize("found", [0, 2])
def test_a_service_must_have_exactly_one_instance(client: CommerceClient, found: int) -> None:
    responses.get(
        f"{BASE}/aps/2/resources/?implementing({PLM_TYPE})",
        json=[{"aps": {"id": f"id-{n}"}} for n in range(found)],
    )
    with pytest.raises(CommerceServiceError, match="exactly one"):
        client.app_details("PRD-1")


@responses.activate
def test_services_are_looked_up_once(client: CommerceClient) -> None:
    lookup(responses.mock, PLM_TYPE, PLM_ID)
    responses.get(f"{PLM}/appDetails/PRD-1", json={"isInstalled": True})
    client.app_details("PRD-1")
    client.app_details("PRD-1")
    lookups = [call for call in responses.calls if "implementing" in call.request.url]
    assert len(lookups) == 1


@responses.activate
def test_app_details_of_an_unknown_product_is_none(client: CommerceClient) -> None:
    lookup(responses.mock, PLM_TYPE, PLM_ID)
    responses.get(f"{PLM}/appDetails/PRD-404", status=500, json=APS_NOT_FOUND)
    assert client.app_details("PRD-404") is None
    # an APSError is an answer: not retried like a lost connection
    assert sum(1 for call in responses.calls if "appDetails" in call.request.url) == 1


@responses.activate
def test_app_details_reads_the_flags(client: CommerceClient) -> None:
    lookup(responses.mock, PLM_TYPE, PLM_ID)
    responses.get(
        f"{PLM}/appDetails/PRD-1",
        json={"isInstalled": True, "isUpdateAvailable": True, "isImporting": False, "version": 3},
    )
    details = client.app_details("PRD-1")
    assert details is not None
    assert (details.installed, details.update_available, details.version) == (True, True, "3")
    assert "fulfillmentSystem=connect" in responses.calls[-1].request.url


@responses.activate
def test_other_aps_errors_raise_with_their_message(client: CommerceClient) -> None:
    lookup(responses.mock, PLM_TYPE, PLM_ID)
    body = {"error": "APSError", "message": "NullPointerException: product is null"}
    responses.get(f"{PLM}/appDetails/PRD-1", status=500, json=body)
    with pytest.raises(CommerceApiError, match="NullPointerException"):
        client.app_details("PRD-1")


@responses.activate
def test_parse_config_is_retried_and_sends_base64(client: CommerceClient) -> None:
    lookup(responses.mock, PLM_TYPE, PLM_ID)
    responses.post(f"{PLM}/parseConfig", status=503)
    responses.post(f"{PLM}/parseConfig", json={"excelConfig": {}, "existingPdiPlans": {}})
    assert client.parse_config(b"PK\x03\x04 workbook") == {
        "excelConfig": {},
        "existingPdiPlans": {},
    }
    body = json.loads(responses.calls[-1].request.body or b"{}")
    assert body == {"excelConfig": "UEsDBCB3b3JrYm9vaw=="}
    assert client.retries == 1


@responses.activate
def test_a_2xx_error_body_is_a_refusal(client: CommerceClient) -> None:
    lookup(responses.mock, PLM_TYPE, PLM_ID)
    responses.post(f"{PLM}/parseConfig", json={"error": "X", "message": "sheet missing"})
    with pytest.raises(CommerceRefusedError, match="sheet missing"):
        client.parse_config(b"x")


@responses.activate
def test_apply_config_takes_the_tracking_id_from_aps_info(client: CommerceClient) -> None:
    lookup(responses.mock, PLM_TYPE, PLM_ID)
    responses.post(
        f"{PLM}/applyConfig",
        status=202,
        headers={"aps-info": f"Importing configuration for request {TRACKING} (2 plans)"},
    )
    parsed = {"excelConfig": {"servicePlans": []}, "existingPdiPlans": {}}
    assert client.apply_config(parsed) == TRACKING
    assert json.loads(responses.calls[-1].request.body or b"{}") == parsed  # unchanged


@responses.activate
@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ({"status": 502}, CommerceUnknownOutcomeError),
        ({"status": 504}, CommerceUnknownOutcomeError),
        (
            {"body": requests.ConnectionError("connection reset by peer")},
            CommerceUnknownOutcomeError,
        ),
        ({"body": requests.ReadTimeout("read timed out")}, CommerceUnknownOutcomeError),
        ({"status": 202}, CommerceUnknownOutcomeError),  # no APS-Info: no task to follow
        ({"status": 503}, CommerceApiError),  # the hub was too busy: nothing applied
        ({"status": 429}, CommerceApiError),
        ({"body": requests.exceptions.ConnectTimeout("no route")}, CommerceApiError),
        ({"status": 500, "json": {"error": "APSError", "message": "bad"}}, CommerceApiError),
    ],
)
def test_apply_config_is_never_retried(
    client: CommerceClient, answer: dict[str, object], error: type[Exception]
) -> None:
    lookup(responses.mock, PLM_TYPE, PLM_ID)
    responses.post(f"{PLM}/applyConfig", **answer)  # type: ignore[arg-type]
    with pytest.raises(error) as raised:
        client.apply_config({"excelConfig": {}})
    applies = [call for call in responses.calls if call.request.url.endswith("applyConfig")]
    assert len(applies) == 1
    if error is CommerceUnknownOutcomeError:
        assert "task log" in str(raised.value)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f"Importing configuration for request {TRACKING}", TRACKING),
        (f"request {TRACKING.upper()} then {TRACKING}", TRACKING),  # the first lowercase one
        ("Importing configuration for request 123", None),
        ("00000000-0000-0000-0000-000000000000", None),  # version 0 is not RFC 4122
        (None, None),
    ],
)
def test_tracking_id(header: str | None, expected: str | None) -> None:
    from plm_sync.commerce.answers import tracking_id  # noqa: PLC0415

    assert tracking_id(header) == expected


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def task_client(clock: FakeClock) -> CommerceClient:
    return CommerceClient(BASE, KEY, SECRET, APP, sleep=clock.sleep)


def task_rows(status: str, output: str = "") -> list[dict[str, object]]:
    return [{"task_id": 77, "status": status, "actionOutput": output, "name": TRACKING}]


@responses.activate
def test_polling_goes_until_the_task_is_done() -> None:
    clock = FakeClock()
    commerce = task_client(clock)
    lookup(responses.mock, ADAPTER_TYPE, ADAPTER_ID)
    for rows in ([], task_rows("n"), task_rows("r"), task_rows("s")):
        responses.get(re.compile(re.escape(f"{ADAPTER}/getTaskLog") + ".*"), json=rows)
    result = commerce.wait_for_task(TRACKING, poll_seconds=10, timeout=600, clock=clock)
    assert result.state is TaskState.SUCCEEDED
    assert result.task_id == "77"
    assert clock.now == 30
    assert f"task_name=%25{TRACKING}%25" in responses.calls[-1].request.url


@responses.activate
def test_a_failed_task_keeps_its_output() -> None:
    clock = FakeClock()
    commerce = task_client(clock)
    lookup(responses.mock, ADAPTER_TYPE, ADAPTER_ID)
    responses.get(
        re.compile(re.escape(f"{ADAPTER}/getTaskLog") + ".*"),
        json=task_rows("f", "plan X: duplicate MPN"),
    )
    result = commerce.wait_for_task(TRACKING, poll_seconds=10, timeout=600, clock=clock)
    assert (result.state, result.output) == (TaskState.FAILED, "plan X: duplicate MPN")


@responses.activate
def test_polling_stops_at_the_task_timeout() -> None:
    clock = FakeClock()
    commerce = task_client(clock)
    lookup(responses.mock, ADAPTER_TYPE, ADAPTER_ID)
    responses.get(re.compile(re.escape(f"{ADAPTER}/getTaskLog") + ".*"), json=task_rows("r"))
    result = commerce.wait_for_task(TRACKING, poll_seconds=10, timeout=45, clock=clock)
    assert result.state is TaskState.RUNNING
    assert clock.now == 45


@responses.activate
def test_polls_are_retried_on_transient_answers(client: CommerceClient) -> None:
    lookup(responses.mock, ADAPTER_TYPE, ADAPTER_ID)
    url = re.compile(re.escape(f"{ADAPTER}/getTaskLog") + ".*")
    responses.get(url, status=502)
    responses.get(url, body=requests.ConnectionError("reset"))
    responses.get(url, json=task_rows("s"))
    assert client.task(TRACKING).state is TaskState.SUCCEEDED
    assert client.retries == 2


@responses.activate
def test_retries_run_out(client: CommerceClient) -> None:
    lookup(responses.mock, ADAPTER_TYPE, ADAPTER_ID)
    responses.get(re.compile(re.escape(f"{ADAPTER}/getTaskLog") + ".*"), status=503)
    with pytest.raises(CommerceTransientError, match="503"):
        client.task(TRACKING)


@responses.activate
def test_no_secret_in_logs_or_errors(client: CommerceClient) -> None:
    responses.get(f"{BASE}/aps", status=401, json={"error": "APSError", "message": "bad sig"})
    lookup(responses.mock, PLM_TYPE, PLM_ID)
    responses.post(f"{PLM}/parseConfig", status=503)
    with capture_logs() as logs:
        with pytest.raises(CommerceAuthError) as auth:
            client.check_credentials()
        with pytest.raises(CommerceTransientError) as transient:
            client.parse_config(b"x")
    text = repr(logs) + str(auth.value) + str(transient.value)
    assert SECRET not in text
    assert "oauth_signature" not in text
    assert any(entry["event"] == "commerce_retry" for entry in logs)


def test_settings_hide_the_commerce_secrets() -> None:
    settings = Settings(commerce_oauth_key=KEY, commerce_oauth_secret=SECRET)
    assert SECRET not in repr(settings)
    assert KEY not in repr(settings)


def test_missing_settings_are_named() -> None:
    with pytest.raises(UsageError, match=r"PLM_SYNC_COMMERCE_URL.*PLM_SYNC_COMMERCE_APP_ID"):
        CommerceClient.from_settings(Settings(commerce_oauth_key=KEY, commerce_oauth_secret=SECRET))


def test_tls_is_verified_unless_opted_out() -> None:
    verified = CommerceClient(BASE, KEY, SECRET, APP)
    with capture_logs() as logs:
        unverified = CommerceClient(BASE, KEY, SECRET, APP, verify_tls=False)
    assert verified._session.verify is True
    assert unverified._session.verify is False
    assert [entry["event"] for entry in logs] == ["commerce_tls_unverified"]


@responses.activate
def test_upgrade_uses_the_provider_subscription_and_is_not_retried(
    client: CommerceClient,
) -> None:
    from plm_sync.commerce.client import SUBSCRIPTION_TYPE  # noqa: PLC0415

    lookup(responses.mock, PLM_TYPE, PLM_ID)
    responses.get(
        f"{BASE}/aps/2/resources/?implementing({SUBSCRIPTION_TYPE})&subscriptionId=1",
        json=[{"aps": {"id": "sub-uuid"}}],
    )
    responses.post(f"{PLM}/appDetails/PRD-1/upgrade", status=502)
    with pytest.raises(CommerceUnknownOutcomeError):
        client.upgrade("PRD-1")
    upgrades = [c for c in responses.calls if c.request.url.endswith("/upgrade")]
    assert len(upgrades) == 1
    assert json.loads(upgrades[0].request.body or b"{}") == {
        "subscriptionId": "sub-uuid",
        "fulfillmentSystem": "connect",
    }


@responses.activate
def test_an_app_details_error_body_is_a_refusal(client: CommerceClient) -> None:
    lookup(responses.mock, PLM_TYPE, PLM_ID)
    responses.get(f"{PLM}/appDetails/PRD-1", json={"error": "X", "message": "product locked"})
    with pytest.raises(CommerceRefusedError, match="product locked"):
        client.app_details("PRD-1")


@responses.activate
@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (
            {"body": "<html><body>Bad Gateway</body></html>", "content_type": "text/html"},
            "text/html",
        ),
        ({"json": "OK"}, "a JSON str"),
        ({"json": {"rows": []}}, "a JSON dict"),
    ],
)
def test_a_task_log_answer_of_another_shape_is_retried_never_read_as_empty(
    client: CommerceClient, answer: dict[str, object], said: str
) -> None:
    lookup(responses.mock, ADAPTER_TYPE, ADAPTER_ID)
    url = re.compile(re.escape(f"{ADAPTER}/getTaskLog") + ".*")
    responses.get(url, **answer)  # type: ignore[arg-type]
    responses.get(url, json=task_rows("r"))
    assert client.task(TRACKING).state is TaskState.RUNNING
    assert client.retries == 1
    responses.replace(responses.GET, url, **answer)  # type: ignore[arg-type]
    with pytest.raises(CommerceTransientError, match=re.escape(said)):
        client.running_applies()


@responses.activate
def test_an_html_parse_answer_is_not_a_refusal(client: CommerceClient) -> None:
    lookup(responses.mock, PLM_TYPE, PLM_ID)
    responses.post(f"{PLM}/parseConfig", body="<html/>", content_type="text/html")
    responses.post(f"{PLM}/parseConfig", json={"excelConfig": {}})
    assert client.parse_config(b"xlsx") == {"excelConfig": {}}


@responses.activate
def test_download_config_names_the_product_and_the_template(client: CommerceClient) -> None:
    lookup(responses.mock, PLM_TYPE, PLM_ID)
    responses.get(re.compile(re.escape(f"{PLM}/downloadConfig") + ".*"), json={"servicePlans": []})
    assert client.download_config("PRD-1&x", 8) == {"servicePlans": []}
    assert responses.calls[-1].request.url.endswith(
        "downloadConfig?appId=PRD-1%26x&bssServiceTemplateId=8"
    )


@responses.activate
def test_applies_read_the_start_of_each_task(client: CommerceClient) -> None:
    lookup(responses.mock, ADAPTER_TYPE, ADAPTER_ID)
    responses.get(
        re.compile(re.escape(f"{ADAPTER}/getTaskLog") + ".*"),
        json=[
            {"task_id": 2, "status": "r", "startedAt": 1700000100, "name": f"x({TRACKING})"},
            {"task_id": 1, "status": "s", "startedAt": "bad", "name": "y"},
            "not a row",
        ],
    )
    first, second = client.applies()
    assert (first.state, first.started_at, first.tracking()) == (
        TaskState.RUNNING,
        1700000100.0,
        TRACKING,
    )
    assert (second.state, second.started_at) == (TaskState.SUCCEEDED, None)
    assert client.running_applies() == [f"x({TRACKING})"]

"""Reading Commerce's answers, and the sandbox's answers held against real ones."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from plm_sync.commerce.answers import (
    ACTION_OUTPUT_LIMIT,
    TaskState,
    plan_changes,
    refusal,
    task_result,
)
from plm_sync.commerce.hubs import hub_key
from plm_sync.sandbox.commerce.plm import SandboxPlm, WorkbookRefused
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures"
REAL_PARSE = FIXTURES / "connect-extension-xvs__parse_ppr_success_response.json"
SWEET_PIES = FIXTURES / "Sweet_Pies_v2.xlsx"


def real_answer() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(REAL_PARSE.read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize(
    ("rows", "state", "output"),
    [
        ([], TaskState.NOT_STARTED, ""),
        (None, TaskState.NOT_STARTED, ""),
        ([{"status": "n"}], TaskState.NOT_STARTED, ""),
        ([{"status": "r"}], TaskState.RUNNING, ""),
        ([{"status": "s", "task_id": 7}], TaskState.SUCCEEDED, ""),
        ([{"status": "f", "actionOutput": "boom"}], TaskState.FAILED, "boom"),
        ([{"status": "x"}], TaskState.UNKNOWN, ""),
        ([{"status": "s"}, {"status": "f"}], TaskState.SUCCEEDED, ""),  # the first row counts
    ],
)
def test_task_result(rows: Any, state: TaskState, output: str) -> None:
    result = task_result("t", rows)
    assert (result.state, result.output) == (state, output)


def test_a_long_task_output_is_cut() -> None:
    result = task_result("t", [{"status": "f", "actionOutput": "x" * 10_000}])
    assert len(result.output) == ACTION_OUTPUT_LIMIT


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"error": "E", "message": "sheet X"}, "sheet X"),
        ({"error": "E"}, "E"),
        ({"error": None, "owner": {}}, None),
        ([], None),
        (None, None),
    ],
)
def test_refusal(body: Any, message: str | None) -> None:
    assert refusal(body) == message


def test_the_real_answer_changes_nothing_its_plans_already_live() -> None:
    changes = plan_changes(real_answer())
    assert changes.new == []
    assert sorted(changes.changed + changes.unchanged) == [
        "Geraardsbergse Mattentaart",
        "Karpouzopita",
        "Melopita",
    ]


def test_plans_missing_from_plm_are_new_and_a_publication_change_shows() -> None:
    answer = real_answer()
    live = answer["existingPdiPlans"]
    del live["melopita"]
    for plan in live.values():
        plan["isPublished"] = not plan["isPublished"]
    changes = plan_changes(answer)
    assert changes.new == ["Melopita"]
    assert changes.changed == ["Geraardsbergse Mattentaart", "Karpouzopita"]
    assert changes.summary() == "1 new, 2 changed, 0 unchanged"


def test_the_sandbox_answers_in_the_real_shape() -> None:
    real = real_answer()
    plm = SandboxPlm()
    plm.app_details("PRD-001-808-753")
    ours = plm.parse(SWEET_PIES.read_bytes())
    assert set(ours) == set(real)
    assert set(ours["excelConfig"]) == set(real["excelConfig"])
    real_plan = real["excelConfig"]["servicePlans"][0]
    our_plan = ours["excelConfig"]["servicePlans"][0]
    assert set(our_plan) == {"value", "action"} == set(real_plan)
    assert set(real_plan["value"]) <= set(our_plan["value"])
    assert sorted(p["value"]["name"]["en"] for p in ours["excelConfig"]["servicePlans"]) == sorted(
        p["value"]["name"]["en"] for p in real["excelConfig"]["servicePlans"]
    )
    assert ours["appInfo"]["appId"] == "PRD-001-808-753"
    assert ours["existingPdiPlans"] == {}


def test_the_sandbox_shows_applied_plans_as_existing() -> None:
    plm = SandboxPlm()
    first = plm.parse(SWEET_PIES.read_bytes())
    assert plm.known_answer(copy.deepcopy(first))
    plm.apply("t-1", first)
    again = plm.parse(SWEET_PIES.read_bytes())
    live = again["existingPdiPlans"]
    assert sorted(live) == ["geraardsbergse mattentaart", "karpouzopita", "melopita"]
    assert set(live["melopita"]) <= set(real_answer()["existingPdiPlans"]["melopita"]) | {
        "billingPeriod",
        "billingPeriodType",
    }
    assert plan_changes(again).unchanged == sorted(
        ["Geraardsbergse Mattentaart", "Karpouzopita", "Melopita"]
    )
    assert not plm.known_answer({"excelConfig": {}})


def test_the_sandbox_keeps_live_plans_per_product() -> None:
    plm = SandboxPlm()
    first = plm.parse(SWEET_PIES.read_bytes(), "PRD-AAA")
    plm.apply("t-1", first)
    other = plm.parse(SWEET_PIES.read_bytes(), "PRD-BBB")  # same plan names, another product
    assert other["existingPdiPlans"] == {}
    assert sorted(plan_changes(other).new) == [
        "Geraardsbergse Mattentaart",
        "Karpouzopita",
        "Melopita",
    ]
    assert sorted(plm.parse(SWEET_PIES.read_bytes(), "PRD-AAA")["existingPdiPlans"]) == [
        "geraardsbergse mattentaart",
        "karpouzopita",
        "melopita",
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not a zip", "not an .xlsx workbook"),
        (b"", "not an .xlsx workbook"),
    ],
)
def test_the_sandbox_refuses_what_plm_cannot_read(data: bytes, message: str) -> None:
    with pytest.raises(WorkbookRefused, match=message):
        SandboxPlm().parse(data)


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://Hub.Example.com/api/v1/", "https://hub.example.com/api/v1 APP"),
        ("HTTPS://hub.example.com/api/v1", "https://hub.example.com/api/v1 APP"),
        ("https://user:secret@hub.example.com:8443/x", "https://hub.example.com:8443/x APP"),
        ("http://[::1]:8766", "http://127.0.0.1:8766 APP"),
        ("http://localhost:8766/", "http://127.0.0.1:8766 APP"),
        ("HTTP://LOCALHOST:8766", "http://127.0.0.1:8766 APP"),
        ("https://hub.example.com:443/x", "https://hub.example.com/x APP"),
        ("http://hub.example.com:80", "http://hub.example.com APP"),
        ("https://hub.example.com:80", "https://hub.example.com:80 APP"),
    ],
)
def test_a_hub_is_keyed_by_its_url_and_app_without_secrets(url: str, key: str) -> None:
    assert hub_key(url, "APP") == key


@pytest.mark.parametrize("url", ["HTTP://hub.example.com", "Https://hub.example.com/api"])
def test_an_upper_case_scheme_is_a_commerce_url(url: str) -> None:
    from plm_sync.config import Settings, _validate  # noqa: PLC0415

    _validate(Settings(commerce_url=url))  # no UsageError

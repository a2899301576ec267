"""A push proves itself by reading the hub back: no update lost, none applied twice.

The hub's configuration (`downloadConfig`) is compared field by field with PLM's parse of the
line's workbook. An intent keeps how far its push got: cut off before its `applyConfig`
could leave, the next push applies without doubt; cut off after, the task log and the read
back decide. An answer that is not the call's shape (an HTML page, a JSON of another type) is
a transient error, never "empty" or "none running".
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plm_sync.config import Settings
from plm_sync.delivery.push import PushRequest, push_lines
from plm_sync.delivery.workbooks import export_ppr, import_ppr
from plm_sync.ops.reports import run_report
from plm_sync.sandbox.commerce.server import CommerceSandbox, CommerceSandboxOptions
from plm_sync.sandbox.connect.server import SandboxServer
from plm_sync.sync.run import SyncRequest, run_sync
from tests.integration.conftest import settings_of, with_hub
from tests.integration.test_ppr_roundtrip import MONTHLY, edit
from tests.integration.test_push_crash import control, killed_at

pytestmark = pytest.mark.integration
LINE = "PRD-276-377-545"


@pytest.fixture
def hub() -> Iterator[CommerceSandbox]:
    server = CommerceSandbox(CommerceSandboxOptions(task_seconds=0.3)).start()
    yield server
    server.stop()


@pytest.fixture
def settings(database_url: str, sandbox: SandboxServer, hub: CommerceSandbox) -> Settings:
    settings = with_hub(settings_of(database_url, sandbox.url), hub, commerce_task_timeout=20.0)
    run_sync(settings, SyncRequest(full=True))
    return settings


def pushed(settings: Settings, **request: Any) -> dict[str, Any]:
    request.setdefault("product_ids", (LINE,))
    outcome = push_lines(settings, PushRequest(**request))
    return run_report(settings, outcome.run_id)


def codes(report: dict[str, Any]) -> list[str]:
    return [event["code"] for event in report["events"]]


def messages(report: dict[str, Any], code: str) -> list[str]:
    return [event["message"] for event in report["events"] if event["code"] == code]


def max_units(hub: CommerceSandbox, plan: str = MONTHLY) -> float:
    config = hub.plm.download(LINE, "8")
    assert config is not None
    (found,) = [
        entry["value"] for entry in config["servicePlans"] if entry["value"]["name"]["en"] == plan
    ]
    return float(found["resources"][0]["value"]["max"])


def rates_edited(settings: Settings, tmp_path: Path, units: int) -> None:
    """An operator edits only a rate (MaxUnits) through a workbook import."""
    path = export_ppr(settings, LINE, tmp_path / f"ppr-{units}.xlsx")
    edit(path, "ResourceRates", MONTHLY, "MaxUnits", units)
    report = run_report(settings, import_ppr(settings, path).run_id)
    assert report["counts"]["updated"] >= 1, report["events"]


def applies_of(hub: CommerceSandbox) -> dict[str, int]:
    state = control(hub, "GET", "state")
    return {key: n for key, n in state["applied_per_content"].items() if key.startswith(LINE)}


def test_a_rates_only_edit_is_seen_by_the_dry_run_and_applied(
    settings: Settings, hub: CommerceSandbox, tmp_path: Path
) -> None:
    assert pushed(settings)["status"] == "succeeded"
    rates_edited(settings, tmp_path, 300)
    dry = pushed(settings, changed=True, dry_run=True)
    assert dry["counts"]["updated"] == 1, dry["events"]
    (changed,) = messages(dry, "commerce_plan_changed")
    assert "max" in changed
    assert "-> 300" in changed
    assert max_units(hub) != 300
    applied = pushed(settings, changed=True)
    assert applied["status"] == "succeeded", applied["events"]
    assert max_units(hub) == 300
    assert "read back as pushed" in messages(applied, "commerce_applied")[0]
    again = pushed(settings, changed=True, dry_run=True)
    assert again["counts"]["unchanged"] == 1, again["events"]


def test_a_push_cut_off_during_the_parse_applies_the_rates_edit_without_doubt(
    settings: Settings, hub: CommerceSandbox, tmp_path: Path
) -> None:
    assert pushed(settings)["status"] == "succeeded"
    rates_edited(settings, tmp_path, 300)
    killed_at("parse", settings, hub)
    resumed = pushed(settings, changed=True)
    assert "commerce_converged" not in codes(resumed)
    assert "commerce_applied" in codes(resumed), resumed["events"]
    assert "before its applyConfig was sent" in messages(resumed, "commerce_applied")[0]
    assert max_units(hub) == 300
    assert pushed(settings, changed=True)["counts"]["unchanged"] == 1


def test_an_html_parse_answer_is_retried_and_the_edit_still_lands(
    settings: Settings, hub: CommerceSandbox, tmp_path: Path
) -> None:
    assert pushed(settings)["status"] == "succeeded"
    rates_edited(settings, tmp_path, 500)
    control(hub, "POST", "hold", {"step": "parse", "answer": "html"})
    report = pushed(settings, changed=True)
    assert report["status"] == "succeeded", report["events"]
    assert max_units(hub) == 500


def test_a_lost_apply_answer_then_an_html_task_log_applies_once(
    settings: Settings, hub: CommerceSandbox, tmp_path: Path
) -> None:
    assert pushed(settings)["status"] == "succeeded"
    rates_edited(settings, tmp_path, 300)
    control(hub, "POST", "hold", {"step": "apply", "answer": "html"})  # taken, answer lost
    lost = pushed(settings, changed=True)
    assert "commerce_unknown_outcome" in codes(lost), lost["events"]
    control(hub, "POST", "hold", {"step": "poll", "answer": "wrongtype"})
    resumed = pushed(settings, changed=True)
    assert "commerce_converged" in codes(resumed), resumed["events"]
    assert "read back" in messages(resumed, "commerce_converged")[0]
    applied = applies_of(hub)
    assert sorted(applied.values()) == [1, 1], applied  # the first push, then the edit: once
    assert max_units(hub) == 300


def test_the_hub_edited_by_hand_is_not_as_pushed_after_apply(
    settings: Settings, hub: CommerceSandbox
) -> None:
    """A hub that does not hold what its task applied is an error, never recorded as pushed."""
    assert pushed(settings)["status"] == "succeeded"
    original = hub.plm.apply

    def apply_and_edit(tracking: str, body: dict[str, Any]) -> None:
        original(tracking, body)
        hub.plm.edit(LINE, MONTHLY, {"rate": {"resource": "Cloud Service", "max": 7}})

    hub.plm.apply = apply_and_edit  # type: ignore[method-assign]
    report = pushed(settings, force=True)
    (error,) = messages(report, "commerce_not_as_pushed")
    assert MONTHLY in error
    assert "max" in error
    assert report["status"] == "succeeded_with_errors"

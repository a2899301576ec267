"""Plan, approve, apply: a change plan shows what a push would do; approval applies exactly it.

A plan reads the hub back and records each line's changes (plans and fields, prices old ->
new) as a run with status `planned`; `approve` pushes exactly those lines, refusing one whose
catalog changed since (`commerce_plan_stale`); `reject` sends nothing. With
PLM_SYNC_PUSH_APPROVAL=required a push after a sync stops at the plan.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from plm_sync.config import Settings
from plm_sync.delivery.approval import approve_plan, reject_plan
from plm_sync.delivery.push import PushRequest, push_after_sync, push_lines
from plm_sync.errors import UsageError
from plm_sync.infra.notify import run_message, run_needs_a_person
from plm_sync.ops.reports import list_runs, run_report
from plm_sync.ops.web import WebServer
from plm_sync.sandbox.commerce.server import CommerceSandbox, CommerceSandboxOptions
from plm_sync.sandbox.connect.server import SandboxServer
from plm_sync.sync.run import SyncRequest, run_sync
from tests.conftest import ROOT, plm_sync_cli
from tests.integration.conftest import API_KEY, hub_settings, settings_of, with_hub
from tests.integration.test_push_proof import LINE, max_units, rates_edited

pytestmark = pytest.mark.integration


@pytest.fixture
def hub() -> Iterator[CommerceSandbox]:
    server = CommerceSandbox(CommerceSandboxOptions(task_seconds=0.1)).start()
    yield server
    server.stop()


@pytest.fixture
def settings(database_url: str, sandbox: SandboxServer, hub: CommerceSandbox) -> Settings:
    settings = with_hub(settings_of(database_url, sandbox.url), hub)
    run_sync(settings, SyncRequest(full=True))
    first = push_lines(settings, PushRequest((LINE,)))
    assert first.exit_code == 0, run_report(settings, first.run_id)["events"]
    return settings


def planned(settings: Settings, **request: Any) -> dict[str, Any]:
    request.setdefault("product_ids", (LINE,))
    outcome = push_lines(settings, PushRequest(plan=True, **request))
    report = run_report(settings, outcome.run_id)
    report["exit_code"] = outcome.exit_code
    return report


def codes(report: dict[str, Any]) -> list[str]:
    return [event["code"] for event in report["events"]]


def test_a_plan_shows_the_change_and_approval_applies_exactly_it(
    settings: Settings, hub: CommerceSandbox, tmp_path: Path
) -> None:
    rates_edited(settings, tmp_path, 300)
    plan = planned(settings)
    assert (plan["status"], plan["exit_code"], plan["dry_run"]) == ("planned", 0, True)
    assert plan["scope"].startswith("push --plan")
    changed = [e["message"] for e in plan["events"] if e["code"] == "commerce_plan_changed"]
    assert any("-> 300" in message for message in changed)
    assert "commerce_planned" in codes(plan)
    assert "waits for approval: 1 line(s)" in plan["message"]
    assert max_units(hub) != 300
    assert run_needs_a_person(plan)
    assert "waits for approval" in run_message(plan, [], None).title

    decision = approve_plan(settings, plan["id"])
    assert decision.push is not None
    assert decision.exit_code == 0
    assert max_units(hub) == 300
    pushed = run_report(settings, decision.push.run_id)
    assert pushed["scope"].startswith(f"push --approve {plan['id']}")
    after = run_report(settings, plan["id"])
    assert after["status"] == "succeeded"
    assert f"carried out by push run {decision.push.run_id}" in after["message"]
    with pytest.raises(UsageError, match="approved already"):
        approve_plan(settings, plan["id"])


def test_a_line_changed_since_its_plan_is_refused_at_approval(
    settings: Settings, hub: CommerceSandbox, tmp_path: Path
) -> None:
    rates_edited(settings, tmp_path, 300)
    plan = planned(settings)
    rates_edited(settings, tmp_path, 400)  # nobody saw this one
    decision = approve_plan(settings, plan["id"])
    assert decision.push is not None
    assert decision.exit_code == 3
    report = run_report(settings, decision.push.run_id)
    (stale,) = [e["message"] for e in report["events"] if e["code"] == "commerce_plan_stale"]
    assert "changed since plan" in stale
    assert max_units(hub) not in {300, 400}


def test_a_rejected_plan_sends_nothing(
    settings: Settings, hub: CommerceSandbox, tmp_path: Path
) -> None:
    rates_edited(settings, tmp_path, 300)
    plan = planned(settings)
    before = hub.plm.state()["applies"]
    assert reject_plan(settings, plan["id"]).decision == "rejected"
    assert run_report(settings, plan["id"])["status"] == "cancelled"
    assert hub.plm.state()["applies"] == before
    with pytest.raises(UsageError, match="rejected already"):
        approve_plan(settings, plan["id"])


def test_a_plan_of_nothing_waits_for_nothing(settings: Settings) -> None:
    plan = planned(settings)
    assert plan["status"] == "succeeded"
    assert "nothing waits for approval" in plan["message"]
    with pytest.raises(UsageError, match="not a plan waiting"):
        approve_plan(settings, plan["id"])
    with pytest.raises(UsageError, match="not a change plan"):
        reject_plan(settings, 1)


def test_with_approval_required_the_push_after_a_sync_stops_at_a_plan(
    settings: Settings, hub: CommerceSandbox, tmp_path: Path
) -> None:
    rates_edited(settings, tmp_path, 300)
    gated = settings.with_overrides(push_after_sync=True, push_approval="required")
    outcome = run_sync(gated, SyncRequest(full=True, product_ids=(LINE,)))
    after = push_after_sync(gated, dry_run=False, outcome=outcome)
    assert after is not None
    report = run_report(gated, after.run_id)
    assert report["status"] == "planned", report["events"]
    assert max_units(hub) != 300


def test_the_cli_plans_approves_and_rejects(
    settings: Settings, hub: CommerceSandbox, tmp_path: Path
) -> None:
    env = {
        "database_url": settings.database_url,
        "connect_url": settings.connect_url or "",
        "connect_api_key": API_KEY,
        "mappings": str(ROOT / "mappings"),
    } | hub_settings(hub)
    rates_edited(settings, tmp_path, 300)
    made = plm_sync_cli("push", "--changed", "--plan", "--format", "json", settings=env)
    assert made.returncode == 0, made.stderr
    plan_id = list_runs(settings, limit=1)[0]["id"]
    assert list_runs(settings, limit=1)[0]["status"] == "planned"
    listed = plm_sync_cli("runs", "--status", "planned", settings=env)
    assert str(plan_id) in listed.stdout
    approved = plm_sync_cli("approve", str(plan_id), settings=env)
    assert approved.returncode == 0, approved.stderr
    again = plm_sync_cli("reject", str(plan_id), settings=env)
    assert again.returncode == 2
    assert "approved already" in again.stderr


def test_the_run_page_approves_and_rejects_behind_the_token(
    settings: Settings, hub: CommerceSandbox, tmp_path: Path
) -> None:
    rates_edited(settings, tmp_path, 300)
    first = planned(settings)
    served = settings.with_overrides(serve_token="s3cret-token")
    server = WebServer(served, port=0).start()
    try:
        bearer = {"Authorization": "Bearer s3cret-token"}
        page = requests.get(f"{server.url}/runs/{first['id']}", headers=bearer, timeout=10)
        assert "Approve: apply this plan" in page.text
        anonymous = requests.post(f"{server.url}/runs/{first['id']}/reject", timeout=10)
        assert anonymous.status_code == 401
        forged = requests.post(
            f"{server.url}/runs/{first['id']}/reject",
            headers=bearer | {"Origin": "https://evil.example"},
            timeout=10,
        )
        assert forged.status_code == 403
        rejected = requests.post(
            f"{server.url}/runs/{first['id']}/reject",
            headers=bearer,
            allow_redirects=False,
            timeout=10,
        )
        assert rejected.status_code == 303
        assert run_report(settings, first["id"])["status"] == "cancelled"
        again = requests.post(
            f"{server.url}/runs/{first['id']}/approve", headers=bearer, timeout=10
        )
        assert again.status_code == 409

        second = planned(settings)
        approved = requests.post(
            f"{server.url}/runs/{second['id']}/approve",
            headers=bearer | {"Origin": server.url},
            allow_redirects=False,
            timeout=10,
        )
        assert approved.status_code == 303, approved.text
        deadline = time.monotonic() + 30
        while run_report(settings, second["id"])["status"] == "planned":
            assert time.monotonic() < deadline, "the approval never finished"
            time.sleep(0.1)
        assert run_report(settings, second["id"])["status"] == "succeeded"
        assert max_units(hub) == 300
        assert requests.post(f"{server.url}/runs/1", headers=bearer, timeout=10).status_code == 405
    finally:
        server.stop()


def test_approval_applies_the_others_and_refuses_only_the_stale_line(
    settings: Settings, hub: CommerceSandbox, tmp_path: Path
) -> None:
    rates_edited(settings, tmp_path, 300)
    plan = planned(settings, product_ids=(), changed=True)  # the edit, and lines never pushed
    lines = [
        event["connect_product_id"]
        for event in plan["events"]
        if event["code"] == "commerce_planned"
    ]
    assert LINE in lines
    assert len(lines) > 1
    rates_edited(settings, tmp_path, 400)  # LINE changes again after the plan
    before = {item.product_id for item in hub.plm.applied}
    decision = approve_plan(settings, plan["id"])
    assert decision.push is not None
    report = run_report(settings, decision.push.run_id)
    stale = {
        e["connect_product_id"] for e in report["events"] if e["code"] == "commerce_plan_stale"
    }
    assert stale == {LINE}
    applied = {item.product_id for item in hub.plm.applied} - before
    assert applied == set(lines) - {LINE}  # exactly the plan's other lines
    assert max_units(hub) not in {300, 400}


def test_an_approval_whose_push_cannot_start_leaves_the_plan_waiting(
    settings: Settings, hub: CommerceSandbox, tmp_path: Path
) -> None:
    from plm_sync.errors import RunConflictError  # noqa: PLC0415
    from plm_sync.runs.runlog import utcnow  # noqa: PLC0415
    from plm_sync.store.database import open_database, unit_of_work  # noqa: PLC0415
    from plm_sync.store.runs import RunRepository  # noqa: PLC0415
    from plm_sync.sync.fanout import open_run  # noqa: PLC0415

    rates_edited(settings, tmp_path, 300)
    plan = planned(settings)
    with open_database(settings.database_url) as factory:
        blocking = open_run(settings, factory, SyncRequest(), owner="test", queued=True)
        with pytest.raises(RunConflictError):
            approve_plan(settings, plan["id"])
        assert run_report(settings, plan["id"])["status"] == "planned"  # still waiting
        with unit_of_work(factory) as session:
            RunRepository(session).cancel(blocking, utcnow())
    decision = approve_plan(settings, plan["id"])
    assert decision.exit_code == 0
    assert max_units(hub) == 300

"""Sync, then push into the Commerce sandbox over loopback: the last leg, Connect to PLM."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import insert, update

from plm_sync.commerce.hubs import hub_key
from plm_sync.config import Settings
from plm_sync.delivery.push import PushRequest, line_content_hash, push_lines
from plm_sync.delivery.request import PRICES_NONE
from plm_sync.errors import RunFailedError
from plm_sync.ops.reports import catalog, run_report
from plm_sync.sandbox.commerce.server import CommerceSandbox, CommerceSandboxOptions
from plm_sync.sandbox.connect.catalog import SandboxCatalog
from plm_sync.sandbox.connect.generate import generate_catalog
from plm_sync.sandbox.connect.server import SandboxServer
from plm_sync.store.catalog import CatalogRepository
from plm_sync.store.database import open_database, unit_of_work
from plm_sync.store.models import ProductLine, Run
from plm_sync.store.pushes import PushRepository
from plm_sync.sync.run import SyncRequest, run_sync
from tests.conftest import ROOT, plm_sync_cli
from tests.integration.conftest import API_KEY, settings_of, start_sandbox, with_hub

pytestmark = pytest.mark.integration
SAMPLE = "PRD-276-377-545"
OFFER_PRODUCT = "PRD-900-100-200"


@pytest.fixture
def hub() -> Iterator[CommerceSandbox]:
    server = CommerceSandbox(CommerceSandboxOptions(task_seconds=0.2)).start()
    yield server
    server.stop()


@pytest.fixture
def settings(database_url: str, sandbox: SandboxServer, hub: CommerceSandbox) -> Settings:
    base = settings_of(database_url, sandbox.url)
    run_sync(base, SyncRequest(full=True))
    return with_hub(base, hub)


def state(hub: CommerceSandbox) -> dict[str, Any]:
    answer = requests.get(f"{hub.control_url}/state", timeout=5)
    answer.raise_for_status()
    data: dict[str, Any] = answer.json()
    return data


def line(settings: Settings, product_id: str) -> dict[str, Any]:
    (found,) = catalog(settings, (product_id,))["product_lines"]
    return found


def test_sync_then_push_delivers_the_lines_plans(settings: Settings, hub: CommerceSandbox) -> None:
    outcome = push_lines(settings, PushRequest((SAMPLE, OFFER_PRODUCT)))
    report = run_report(settings, outcome.run_id)
    assert (report["status"], report["trigger"], outcome.exit_code) == ("succeeded", "push", 0)
    assert report["counts"]["updated"] == 2
    seen = state(hub)
    # the sandbox read a workbook whose plans are the line's plans, for each line
    parsed = {entry["product_id"]: sorted(entry["plans"]) for entry in seen["parsed"]}
    for product_id in (SAMPLE, OFFER_PRODUCT):
        plans = sorted(plan["name"] for plan in line(settings, product_id)["service_plans"])
        assert parsed[product_id] == plans
    # every applyConfig was one of its own parse answers, unchanged (else it answers 500)
    assert seen["applies"] == len(seen["applied"]) == 2
    codes = [event["code"] for event in report["events"]]
    assert codes.count("commerce_applied") == 2
    applied = next(e for e in report["events"] if e["code"] == "commerce_applied")
    assert "task" in applied["message"]
    with open_database(settings.database_url) as factory, unit_of_work(factory) as session:
        pushed_to = PushRepository(session).lines(hub_key(hub.url, hub.options.app_id))
        stored = {row.connect_product_id: row for row in pushed_to}
    from plm_sync.mappings import load_plm_rules  # noqa: PLC0415

    rules = load_plm_rules(settings.mappings)
    assert stored[SAMPLE].pushed_hash == line_content_hash(line(settings, SAMPLE), rules)
    assert stored[SAMPLE].pushed_task_id is not None


def test_a_second_push_of_changed_lines_sends_nothing(
    settings: Settings, hub: CommerceSandbox
) -> None:
    first = push_lines(settings, PushRequest(changed=True))
    assert first.exit_code == 0
    before = state(hub)
    again = push_lines(settings, PushRequest(changed=True))
    report = run_report(settings, again.run_id)
    after = state(hub)
    assert (after["applies"], len(after["parsed"])) == (before["applies"], len(before["parsed"]))
    assert report["status"] == "succeeded"
    assert report["counts"]["updated"] == 0
    assert report["counts"]["unchanged"] == report["counts"]["products"] > 0
    named = push_lines(settings, PushRequest((SAMPLE,)))  # named, unchanged: nothing sent
    events = run_report(settings, named.run_id)["events"]
    assert [event["code"] for event in events] == ["commerce_unchanged"]
    assert state(hub)["applies"] == before["applies"]


def test_push_changed_finds_unchanged_lines_by_their_catalog_digest_alone(
    settings: Settings, hub: CommerceSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A line the hub holds as it is costs one row of one query: its catalog is not built."""
    assert push_lines(settings, PushRequest(changed=True, prices=PRICES_NONE)).exit_code == 0
    before = state(hub)["applies"]
    built: list[tuple[str, ...]] = []
    real = CatalogRepository.catalog

    def counted(self: CatalogRepository, product_ids: tuple[str, ...] = ()) -> dict[str, Any]:
        built.append(tuple(product_ids))
        return real(self, product_ids)

    monkeypatch.setattr(CatalogRepository, "catalog", counted)
    again = run_report(
        settings, push_lines(settings, PushRequest(changed=True, prices=PRICES_NONE)).run_id
    )
    assert again["counts"]["unchanged"] == again["counts"]["products"] > 0
    assert built == []
    assert state(hub)["applies"] == before
    # a line that changed is still found, and only it is built and sent
    with open_database(settings.database_url) as factory, unit_of_work(factory) as session:
        session.execute(
            update(ProductLine)
            .where(ProductLine.connect_product_id == SAMPLE)
            .values(name="Renamed in PLM terms")
        )
    changed = run_report(
        settings, push_lines(settings, PushRequest(changed=True, prices=PRICES_NONE)).run_id
    )
    assert changed["counts"]["updated"] == 1
    assert set(built) == {(SAMPLE,)}


def test_a_dry_run_parses_and_applies_nothing(settings: Settings, hub: CommerceSandbox) -> None:
    outcome = push_lines(settings, PushRequest((SAMPLE,), dry_run=True))
    report = run_report(settings, outcome.run_id)
    assert report["dry_run"] is True
    assert state(hub)["applies"] == 0
    codes = [event["code"] for event in report["events"]]
    assert "commerce_dry_run" in codes
    assert codes.count("commerce_plan_new") == len(line(settings, SAMPLE)["service_plans"])
    push_lines(settings, PushRequest((SAMPLE,)))
    # after the push, PLM holds the plans: a dry run says nothing would change... but the
    # line is unchanged since its push, so nothing is even parsed
    quiet = run_report(settings, push_lines(settings, PushRequest((SAMPLE,), dry_run=True)).run_id)
    assert [event["code"] for event in quiet["events"]] == ["commerce_unchanged"]


def test_a_failing_task_exits_3_with_its_output(settings: Settings, hub: CommerceSandbox) -> None:
    hub.options.fail_task = True
    outcome = push_lines(settings, PushRequest((SAMPLE,)))
    report = run_report(settings, outcome.run_id)
    assert (outcome.exit_code, report["status"]) == (3, "succeeded_with_errors")
    (failed,) = [event for event in report["events"] if event["code"] == "commerce_task_failed"]
    assert hub.options.failure_output in failed["message"]
    # nothing was recorded as pushed: the next push sends it again
    hub.options.fail_task = False
    retried = run_report(settings, push_lines(settings, PushRequest(changed=True)).run_id)
    assert retried["counts"]["updated"] >= 1


def test_a_product_not_installed_is_refused_with_how_to_import_it(
    settings: Settings, hub: CommerceSandbox
) -> None:
    hub.plm.not_installed.add(SAMPLE)
    hub.plm.unknown.add(OFFER_PRODUCT)
    outcome = push_lines(settings, PushRequest((SAMPLE, OFFER_PRODUCT)))
    report = run_report(settings, outcome.run_id)
    assert outcome.exit_code == 3
    refused = {e["connect_product_id"]: e for e in report["events"] if e["level"] == "error"}
    assert refused[SAMPLE]["code"] == refused[OFFER_PRODUCT]["code"] == "commerce_not_installed"
    assert "import it first" in refused[SAMPLE]["message"]
    assert state(hub)["parsed"] == []


def test_an_update_is_applied_only_when_asked(settings: Settings, hub: CommerceSandbox) -> None:
    hub.plm.update_available.add(SAMPLE)
    told = run_report(settings, push_lines(settings, PushRequest((SAMPLE,), dry_run=True)).run_id)
    assert "commerce_update_available" in [event["code"] for event in told["events"]]
    assert state(hub)["upgrades"] == []
    push_lines(settings, PushRequest((SAMPLE,), upgrade_product=True))
    assert state(hub)["upgrades"] == [SAMPLE]


def test_a_line_the_last_sync_left_in_error_is_not_pushed(
    database_url: str, hub: CommerceSandbox
) -> None:
    server = start_sandbox(SandboxCatalog.from_data(generate_catalog(2, 300, seed=0)))
    try:
        base = settings_of(database_url, server.url)
        synced = run_sync(base, SyncRequest(full=True))
    finally:
        server.stop()
    assert synced.exit_code == 3
    with_errors = {
        event["connect_product_id"]
        for event in run_report(base, synced.run_id)["events"]
        if event["level"] == "error"
    }
    assert with_errors
    finish_syncs_of_other_products(base, 600)  # the verdict is the line's, not the run log's
    settings = with_hub(base, hub)
    outcome = push_lines(settings, PushRequest(changed=True))
    report = run_report(settings, outcome.run_id)
    refused = {
        event["connect_product_id"]: event
        for event in report["events"]
        if event["code"] == "commerce_line_not_clean"
    }
    assert set(refused) == with_errors
    assert all(f"run {synced.run_id}" in event["message"] for event in refused.values())
    parsed = {entry["product_id"] for entry in state(hub)["parsed"]}
    assert parsed.isdisjoint(refused)


def finish_syncs_of_other_products(settings: Settings, count: int) -> None:
    """`count` finished syncs, each of a product the catalog does not hold (600 runs ago)."""
    now = datetime.now(UTC)
    zeros = dict.fromkeys(
        (
            "products",
            "items",
            "skipped",
            "created",
            "updated",
            "unchanged",
            "deactivated",
            "errors",
            "failed_products",
            "retries",
        ),
        0,
    )
    rows = [
        {
            "trigger": "cli",
            "scope": "PRD-000-000-000",
            "full": False,
            "dry_run": False,
            "status": "succeeded",
            "started_at": now,
            "finished_at": now,
            "heartbeat_at": now,
            "owner": "test",
            "product_ids": ["PRD-000-000-000"],
            **zeros,
        }
        for _ in range(count)
    ]
    with open_database(settings.database_url) as factory, unit_of_work(factory) as session:
        session.execute(insert(Run), rows)


def test_a_wrong_secret_fails_the_run_with_exit_2(settings: Settings) -> None:
    wrong = settings.with_overrides(commerce_oauth_secret="not-the-secret")
    with pytest.raises(RunFailedError) as raised:
        push_lines(wrong, PushRequest((SAMPLE,)))
    assert raised.value.exit_code == 2
    assert "signature" in str(raised.value)
    assert "not-the-secret" not in str(raised.value)


def cli(settings: Settings, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    environment = {
        "database_url": settings.database_url,
        "connect_url": str(settings.connect_url),
        "connect_api_key": API_KEY,
        "mappings": str(ROOT / "mappings"),
        "commerce_url": str(settings.commerce_url),
        "commerce_oauth_key": str(settings.commerce_oauth_key),
        "commerce_app_id": str(settings.commerce_app_id),
        "commerce_poll_seconds": "0.05",
    }
    return plm_sync_cli(*args, settings=environment | extra)


def test_push_command_contract(settings: Settings, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text(str(settings.commerce_oauth_secret) + "\n", encoding="utf-8")
    pushed = cli(
        settings, "push", SAMPLE, "--format", "json", commerce_oauth_secret_file=str(secret)
    )
    assert pushed.returncode == 0, pushed.stderr
    report = json.loads(pushed.stdout)
    assert (report["trigger"], report["scope"], report["status"]) == (
        "push",
        f"push {SAMPLE}",
        "succeeded",
    )
    wrong = cli(settings, "push", SAMPLE, commerce_oauth_secret="wrong-secret")
    assert wrong.returncode == 2, wrong.stderr
    assert "Traceback" not in wrong.stderr
    assert len(wrong.stderr.strip().splitlines()) == 1
    assert "wrong-secret" not in wrong.stderr + wrong.stdout
    nothing = cli(settings, "push", commerce_oauth_secret_file=str(secret))
    assert nothing.returncode == 2
    assert "--changed" in nothing.stderr
    unset = cli(settings, "push", "--changed", commerce_url="")
    assert unset.returncode == 2
    assert "PLM_SYNC_COMMERCE_URL" in unset.stderr


def test_a_sync_pushes_what_it_changed_when_asked(settings: Settings, hub: CommerceSandbox) -> None:
    secret = str(settings.commerce_oauth_secret)
    result = cli(
        settings,
        "sync",
        "--full",
        "--format",
        "json",
        push_after_sync="true",
        commerce_oauth_secret=secret,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["push"]["trigger"] == "push"
    assert report["push"]["status"] == "succeeded"
    assert len(state(hub)["applied"]) == len(catalog(settings)["product_lines"])
    again = json.loads(
        cli(
            settings,
            "sync",
            "--full",
            "--format",
            "json",
            push_after_sync="true",
            commerce_oauth_secret=secret,
        ).stdout
    )
    assert again["push"]["counts"]["updated"] == 0


def test_doctor_checks_the_commerce_hub(
    sandbox: SandboxServer, hub: CommerceSandbox, tmp_path: Path
) -> None:
    """Once, on SQLite: the checks of the hub do not depend on the database."""
    settings = with_hub(settings_of(f"sqlite:///{tmp_path / 'plm.db'}", sandbox.url), hub)
    run_sync(settings, SyncRequest(full=True))  # doctor checks a database that was synced
    secret = str(settings.commerce_oauth_secret)

    def commerce_check(**extra: str) -> tuple[int, list[dict[str, str]]]:
        result = cli(settings, "doctor", "--format", "json", worker_ping_seconds="0.2", **extra)
        found = json.loads(result.stdout)["checks"]
        checks = [c for c in found if c["name"].startswith("commerce")]
        return result.returncode, checks

    code, checks = commerce_check(commerce_oauth_secret=secret)
    assert (code, [c["outcome"] for c in checks]) == (0, ["ok", "ok", "ok"])
    assert "credentials accepted" in checks[0]["detail"]
    # the reseller accounts of the listed marketplaces resolve on the hub
    assert [c["name"] for c in checks[1:]] == [
        "commerce: reseller of MP-91111",
        "commerce: reseller of MP-92222",
    ]
    code, checks = commerce_check(commerce_oauth_secret="wrong-secret")
    assert (code, checks[0]["outcome"]) == (2, "fail")
    assert "signature" in checks[0]["detail"]
    assert "wrong-secret" not in json.dumps(checks)
    code, checks = commerce_check(commerce_oauth_secret=secret, commerce_verify_tls="false")
    assert [c["outcome"] for c in checks] == ["ok", "ok", "ok", "warn"]
    code, checks = commerce_check(commerce_url="", commerce_app_id="", commerce_oauth_key="")
    assert (checks[0]["outcome"], checks[0]["detail"]) == (
        "ok",
        "not configured (`plm-sync push` is off)",
    )


def test_faults_never_make_an_apply_twice_and_a_second_push_converges(
    settings: Settings,
) -> None:
    from plm_sync.commerce.client import COMMERCE_RETRY, CommerceClient  # noqa: PLC0415
    from plm_sync.sandbox.connect.faults import FaultSpec  # noqa: PLC0415

    options = CommerceSandboxOptions(
        task_seconds=0.1,
        faults=FaultSpec.parse("503:0.15,reset:0.1,truncate:0.1"),
        seed=3,
        retry_after=0,
    )
    faulty = CommerceSandbox(options).start()
    try:
        pushing = with_hub(settings, faulty)
        client = CommerceClient(
            faulty.url,
            options.oauth_key,
            options.oauth_secret,
            options.app_id,
            retry=replace(COMMERCE_RETRY, max_attempts=8, initial_backoff=0.01, max_backoff=0.05),
        )
        lines = [line["connect_product_id"] for line in catalog(settings)["product_lines"]]
        try:
            outcome = push_lines(pushing, PushRequest(changed=True), client=client)
        except RunFailedError:  # the credentials check itself ran out of retries
            outcome = None
        seen = state(faulty)
        # applyConfig is never sent twice for a line, whatever was lost on the way
        assert seen["applies"] <= len(lines)
        if outcome is not None:
            report = run_report(settings, outcome.run_id)
            finals = {
                event["connect_product_id"]
                for event in report["events"]
                if event["code"]
                in {
                    "commerce_applied",
                    "commerce_unknown_outcome",
                    "commerce_push_failed",
                    "commerce_parse_failed",
                    "commerce_task_failed",
                }
            }
            assert finals == set(lines)  # every line ends in a stated outcome
        options.faults = FaultSpec()
        faulty._server.faults = type(faulty._server.faults)(FaultSpec())
        again = push_lines(pushing, PushRequest(changed=True), client=client)
        assert again.exit_code == 0
        pushed = {item["product_id"] for item in state(faulty)["applied"]}
        assert pushed == set(lines)
        client.close()
    finally:
        faulty.stop()


def test_each_hub_is_remembered_apart_and_force_sends_again(
    settings: Settings, hub: CommerceSandbox
) -> None:
    lines = len(catalog(settings)["product_lines"])
    first = run_report(settings, push_lines(settings, PushRequest(changed=True)).run_id)
    assert first["counts"]["updated"] == lines
    second_hub = CommerceSandbox(CommerceSandboxOptions(task_seconds=0.2)).start()
    try:
        # a second hub (staging, then production) is not told "unchanged": it has nothing yet
        other = with_hub(settings, second_hub)
        second = run_report(other, push_lines(other, PushRequest(changed=True)).run_id)
        assert second["counts"]["updated"] == lines
        assert state(second_hub)["applies"] == lines
        again = run_report(other, push_lines(other, PushRequest(changed=True)).run_id)
        assert (again["counts"]["updated"], again["counts"]["unchanged"]) == (0, lines)
    finally:
        second_hub.stop()
    before = state(hub)["applies"]
    quiet = run_report(settings, push_lines(settings, PushRequest(changed=True)).run_id)
    assert quiet["counts"]["unchanged"] == lines
    forced = run_report(settings, push_lines(settings, PushRequest((SAMPLE,), force=True)).run_id)
    (applied,) = [event for event in forced["events"] if event["code"] == "commerce_applied"]
    assert "--force" in applied["message"]
    assert state(hub)["applies"] == before + 1

"""Operator safety through the CLI: the deactivation brake, read-only commands, `doctor`,
secret files, cancelling and pruning runs, one-line errors with the right exit codes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, update

from plm_sync.config import Settings
from plm_sync.domain.runs import RunStatus
from plm_sync.ops.reports import catalog, list_runs, run_report
from plm_sync.runs.runlog import cancel_run, prune_runs, sweep_runs
from plm_sync.sandbox.connect.server import SandboxServer
from plm_sync.store.database import open_database
from plm_sync.store.models import Run
from plm_sync.sync.fanout import open_run
from plm_sync.sync.run import SyncRequest, run_sync
from tests.conftest import ROOT, plm_sync_cli
from tests.integration.conftest import API_KEY, fast_client, settings_of

pytestmark = pytest.mark.integration


def cli(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return plm_sync_cli(*args, settings=env, timeout=timeout)


def settings_for(database_url: str, url: str, **extra: Any) -> Settings:
    return settings_of(database_url, url, offers=False, **extra)


def sync(settings: Settings, url: str, **request: Any) -> dict[str, Any]:
    with fast_client(url) as client:
        outcome = run_sync(settings, SyncRequest(**request), client=client)
    return run_report(settings, outcome.run_id) | {"exit_code": outcome.exit_code}


def lines_by_id(settings: Settings) -> dict[str, Any]:
    return {line["connect_product_id"]: line for line in catalog(settings)["product_lines"]}


def active_plans(line: dict[str, Any]) -> int:
    return sum(plan["active"] for plan in line["service_plans"])


# -- the deactivation brake ------------------------------------------------------------------


def test_brake_holds_every_deactivating_line_when_the_run_exceeds_the_limit(
    brake_sandbox: SandboxServer, database_url: str
) -> None:
    settings = settings_for(database_url, brake_sandbox.url)
    assert sync(settings, brake_sandbox.url, full=True)["exit_code"] == 0
    before = lines_by_id(settings)
    vanished = [f"PRD-{100 + index:03d}-000-000" for index in range(0, 16, 2)]  # 8 of 20
    for product_id in vanished:
        for row in list(brake_sandbox.catalog.items(product_id) or []):
            brake_sandbox.catalog.remove_item(row["id"])
    # a line that deactivates nothing is still written in the same run
    brake_sandbox.catalog.update_product("PRD-101-000-000", {"name": "Product 1 renamed"})

    report = sync(settings, brake_sandbox.url, full=True)

    assert report["exit_code"] == 3
    assert report["status"] == "succeeded_with_errors"
    held = [event for event in report["events"] if event["code"] == "deactivation_limit"]
    assert sorted(event["connect_product_id"] for event in held) == vanished
    assert all(event["level"] == "error" for event in held)
    assert "5 service plan(s)" in held[0]["message"]
    assert "40 in all" in held[0]["message"]
    assert "limit of 20" in held[0]["message"]
    assert "--allow-deactivations" in report["message"]
    assert report["counts"]["deactivated"] == 0
    assert report["cursor_after"] == report["cursor_before"]
    after = lines_by_id(settings)
    for product_id in vanished:
        assert after[product_id] == before[product_id]
    assert after["PRD-101-000-000"]["name"] == "Product 1 renamed"


def test_allow_deactivations_lifts_the_brake_for_one_run(
    brake_sandbox: SandboxServer, database_url: str
) -> None:
    settings = settings_for(database_url, brake_sandbox.url)
    sync(settings, brake_sandbox.url, full=True)
    vanished = [f"PRD-{100 + index:03d}-000-000" for index in range(8)]
    for product_id in vanished:
        for row in list(brake_sandbox.catalog.items(product_id) or []):
            brake_sandbox.catalog.remove_item(row["id"])

    dry = sync(settings, brake_sandbox.url, full=True, dry_run=True)
    assert len([e for e in dry["events"] if e["code"] == "deactivation_limit"]) == 8
    assert "would deactivate" in dry["message"]

    report = sync(settings, brake_sandbox.url, full=True, allow_deactivations=True)
    assert report["exit_code"] == 0
    assert report["counts"]["deactivated"] > 0
    assert not [e for e in report["events"] if e["code"] == "deactivation_limit"]
    after = lines_by_id(settings)
    assert all(active_plans(after[product_id]) == 0 for product_id in vanished)


def test_end_of_sale_items_within_the_limit_are_deactivated_without_the_brake(
    brake_sandbox: SandboxServer, database_url: str
) -> None:
    settings = settings_for(database_url, brake_sandbox.url)
    sync(settings, brake_sandbox.url, full=True)
    brake_sandbox.catalog.update_item("PRD-103-000-000-0001", {"status": "endofsale"})
    brake_sandbox.catalog.update_item("PRD-103-000-000-0002", {"period": "yearly"})  # a warning
    brake_sandbox.catalog.update_item("PRD-104-000-000-0002", {"status": "endofsale"})
    report = sync(settings, brake_sandbox.url, full=True)
    assert report["exit_code"] == 0
    assert not [e for e in report["events"] if e["code"] == "deactivation_limit"]
    held_back = [e for e in report["events"] if e["connect_product_id"] == "PRD-103-000-000"]
    codes = sorted(e["code"] for e in held_back)
    assert codes == ["period_mismatch", "plan_deactivated"]  # deferred, written once, no repeats
    after = lines_by_id(settings)
    assert active_plans(after["PRD-103-000-000"]) == 4
    assert active_plans(after["PRD-104-000-000"]) == 4


def test_lines_gone_from_connect_count_towards_the_limit(
    brake_sandbox: SandboxServer, database_url: str
) -> None:
    settings = settings_for(database_url, brake_sandbox.url, deactivation_limit="9")
    sync(settings, brake_sandbox.url, full=True)
    for product_id in ("PRD-110-000-000", "PRD-111-000-000"):  # 10 plans > 9
        brake_sandbox.catalog.update_product(product_id, {"status": "draft"})
    report = sync(settings, brake_sandbox.url, full=True)
    assert report["exit_code"] == 3
    held = sorted(
        e["connect_product_id"] for e in report["events"] if e["code"] == "deactivation_limit"
    )
    assert held == ["PRD-110-000-000", "PRD-111-000-000"]
    assert all(lines_by_id(settings)[pid]["active"] for pid in held)


# -- cancelling and pruning runs ----------------------------------------------------------------


class _CancelAfterFirst:
    """A progress hook that cancels the run after its first product line."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.seen = 0

    def product(self, product_id: str, items: int) -> None:  # noqa: ARG002 - the Progress API
        self.seen += 1
        if self.seen == 1:
            running = next(run for run in list_runs(self.settings) if run["status"] == "running")
            with open_database(self.settings.database_url) as factory:
                assert cancel_run(factory, str(running["id"])) == RunStatus.RUNNING


@pytest.mark.parametrize(("batch_lines", "stored"), [(1, 1), (200, 0)])
def test_a_running_run_cancels_at_its_next_batch(
    brake_sandbox: SandboxServer, database_url: str, batch_lines: int, stored: int
) -> None:
    """The cancel is seen by the next batch's transaction: nothing of that batch is written.

    One line a batch: the first line is written, the second read and dropped. Batches of
    200: the first batch (every line of this catalog) is dropped whole.
    """
    settings = settings_for(database_url, brake_sandbox.url, batch_lines=batch_lines)
    with fast_client(brake_sandbox.url) as client:
        outcome = run_sync(
            settings,
            SyncRequest(full=True),
            client=client,
            progress=_CancelAfterFirst(settings),
        )
    report = run_report(settings, outcome.run_id)
    assert report["status"] == "cancelled"
    if batch_lines == 1:  # the second was read, the cancel seen, not written (nor any later)
        assert report["counts"]["products"] >= 2
    if not stored:  # the dropped batch counts nothing as created
        assert report["counts"]["created"] == 0
    assert report["cursor_after"] is None
    assert "cancelled by an operator" in report["message"]
    assert len(lines_by_id(settings)) == stored  # a line written before stays whole
    assert sync(settings, brake_sandbox.url, full=True)["exit_code"] == 0  # the next run runs


def test_prune_drops_old_runs_but_keeps_the_latest_success_and_the_cursor_run(
    brake_sandbox: SandboxServer, database_url: str
) -> None:
    settings = settings_for(database_url, brake_sandbox.url)
    for _ in range(3):
        sync(settings, brake_sandbox.url, full=True)
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(update(Run).values(finished_at=datetime.now(UTC) - timedelta(days=100)))
    engine.dispose()
    with open_database(settings.database_url) as factory:
        assert prune_runs(factory, timedelta(days=1000)) == []
        # run 1 set the cursor (later runs found nothing newer), run 3 is the latest success
        assert prune_runs(factory, timedelta(days=90)) == [2]
    assert [run["id"] for run in list_runs(settings)] == [3, 1]
    assert run_report(settings, "1")["id"] == 1


# -- the CLI as an operator uses it ------------------------------------------------------------


def env_for(database: Path, url: str, **extra: str) -> dict[str, str]:
    return {
        "PLM_SYNC_CONNECT_URL": url,
        "PLM_SYNC_CONNECT_API_KEY": API_KEY,
        "PLM_SYNC_DATABASE_URL": f"sqlite:///{database}",
        "PLM_SYNC_MAPPINGS": str(ROOT / "mappings"),
        "PLM_SYNC_OFFERS": "false",
        "PLM_SYNC_WORKER_PING_SECONDS": "0.2",
    } | {f"PLM_SYNC_{name.upper()}": value for name, value in extra.items()}


def test_empty_rules_file_exits_2_and_changes_nothing(
    brake_sandbox: SandboxServer, tmp_path: Path
) -> None:
    database = tmp_path / "plm.db"
    env = env_for(database, brake_sandbox.url)
    assert cli("sync", "--full", env=env).returncode == 0
    before = cli("catalog", "--format", "json", env=env).stdout
    folder = tmp_path / "maps"
    folder.mkdir()
    (folder / "plm.yaml").write_text("", encoding="utf-8")
    result = cli("--mappings", str(folder), "sync", "--full", env=env)
    assert result.returncode == 2
    assert "plm.yaml: the file is empty" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert cli("catalog", "--format", "json", env=env).stdout == before
    runs = json.loads(cli("runs", "--format", "json", env=env).stdout)
    assert len(runs) == 1


def test_packaged_rules_are_used_outside_a_mappings_folder(
    brake_sandbox: SandboxServer, tmp_path: Path
) -> None:
    env = env_for(tmp_path / "plm.db", brake_sandbox.url)
    del env["PLM_SYNC_MAPPINGS"]
    result = subprocess.run(
        [sys.executable, "-m", "plm_sync", "explain", "--mpn", "A_P3Y:Triennial"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if not k.startswith("PLM_SYNC_")} | env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "3 year" in result.stdout  # the packaged plm.yaml knows Triennial
    assert "rules files packaged with plm-sync" in result.stderr
    named = cli("--mappings", str(tmp_path), "explain", "--mpn", "A_P1M:Monthly", env=env)
    assert named.returncode == 2
    assert "plm.yaml: not found" in named.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["status"],
        ["runs"],
        ["report", "latest"],
        ["catalog"],
        ["ppr", "export", "PRD-100-000-000"],
        ["serve", "--port", "0"],
        ["doctor"],
    ],
)
def test_read_only_commands_never_create_a_database(tmp_path: Path, command: list[str]) -> None:
    database = tmp_path / "typo.db"
    result = cli(*command, env=env_for(database, "http://127.0.0.1:9/public/v1"))
    assert result.returncode == 2
    said = result.stderr + result.stdout  # doctor lists it in its table
    assert "no plm-sync database at" in said
    assert "plm-sync migrate" in said
    assert not database.exists()


def test_key_file_syncs_and_the_key_never_shows(
    brake_sandbox: SandboxServer, tmp_path: Path
) -> None:
    key_file = tmp_path / "connect_api_key"
    key_file.write_text(API_KEY + "\n", encoding="utf-8")
    env = env_for(tmp_path / "plm.db", brake_sandbox.url, connect_api_key_file=str(key_file))
    del env["PLM_SYNC_CONNECT_API_KEY"]
    result = cli("--log-format", "json", "--log-level", "debug", "sync", "--full", env=env)
    assert result.returncode == 0, result.stderr
    report = cli("report", "latest", "--format", "json", env=env)
    doctor = cli("doctor", "--format", "json", env=env)
    secret = API_KEY.split(":")[1]
    for output in (result.stdout, result.stderr, report.stdout, doctor.stdout, doctor.stderr):
        assert secret not in output
    both = cli("sync", env=env | {"PLM_SYNC_CONNECT_API_KEY": API_KEY})
    assert both.returncode == 2
    assert "keep one of them" in both.stderr
    assert "PLM_SYNC_CONNECT_API_KEY_FILE" in cli("sync", "--help", env=env).stdout


def test_doctor_green_and_red_records_no_run(brake_sandbox: SandboxServer, tmp_path: Path) -> None:
    database = tmp_path / "plm.db"
    env = env_for(database, brake_sandbox.url)
    missing = cli("doctor", "--format", "json", env=env)
    assert missing.returncode == 2
    assert not database.exists()
    assert cli("migrate", env=env).returncode == 0
    green = cli("doctor", "--format", "json", env=env)
    assert green.returncode == 0, green.stdout
    checks = {check["name"]: check for check in json.loads(green.stdout)["checks"]}
    assert checks["database"]["outcome"] == "ok"
    assert checks["connect"]["outcome"] == "ok"
    assert checks["rules: plm.yaml"]["outcome"] == "ok"
    red = cli("doctor", env=env | {"PLM_SYNC_CONNECT_API_KEY": "SU-000:wrong"})
    assert red.returncode == 2
    assert "connect" in red.stderr
    assert "refused the API key" in red.stdout
    assert json.loads(cli("runs", "--format", "json", env=env).stdout) == []


@pytest.mark.parametrize(
    ("extra", "code", "fragment"),
    [
        pytest.param(
            {"connect_url": "connect.example.com/public/v1"}, 2, "must start with", id="no-scheme"
        ),
        pytest.param(
            {"database_url": "postgresql+psycopg://postgres@127.0.0.1:9/test"},
            1,
            "127.0.0.1:9",
            id="database-unreachable",
        ),
        pytest.param({"deactivation_limit": "lots"}, 2, "DEACTIVATION_LIMIT", id="bad-limit"),
        pytest.param(
            {"max_attempts": "1"}, 1, "cannot reach Connect at 127.0.0.1:9", id="connect-down"
        ),
    ],
)
def test_configuration_and_connection_errors_are_one_line(
    tmp_path: Path, extra: dict[str, str], code: int, fragment: str
) -> None:
    env = env_for(tmp_path / "plm.db", "http://127.0.0.1:9/public/v1", **extra)
    result = cli("sync", env=env)
    assert result.returncode == code, result.stderr
    assert fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_a_base_url_without_public_v1_gets_a_hint(
    brake_sandbox: SandboxServer, tmp_path: Path
) -> None:
    base = brake_sandbox.url.removesuffix("/public/v1")
    result = cli("sync", env=env_for(tmp_path / "plm.db", base, max_attempts="1"))
    assert result.returncode == 1
    assert "/public/v1" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_malformed_product_id_is_refused_before_a_run(tmp_path: Path) -> None:
    env = env_for(tmp_path / "plm.db", "http://127.0.0.1:9/public/v1")
    result = cli("import", "garbage", env=env)
    assert result.returncode == 2
    assert "not a Connect product id" in result.stderr
    assert not (tmp_path / "plm.db").exists()


def test_a_queued_run_no_worker_takes_is_failed_by_the_sweep(
    brake_sandbox: SandboxServer, database_url: str
) -> None:
    settings = settings_for(database_url, brake_sandbox.url, queued_run_timeout=3600.0)
    with open_database(settings.database_url) as factory:
        run_id = open_run(
            settings, factory, SyncRequest(trigger="operator"), owner="x", queued=True
        )
        assert sweep_runs(settings, factory) == []  # within the timeout: still queued
        assert list_runs(settings)[0]["status"] == "queued"
        assert sweep_runs(replace(settings, queued_run_timeout=0.0), factory) == [run_id]
    run = list_runs(settings)[0]
    assert run["status"] == "failed"
    assert "PLM_SYNC_QUEUED_RUN_TIMEOUT" in run["message"]
    assert sync(settings, brake_sandbox.url, full=True)["exit_code"] == 0


def test_the_report_lists_products_that_gave_no_event(
    brake_sandbox: SandboxServer, database_url: str
) -> None:
    settings = settings_for(database_url, brake_sandbox.url)
    sync(settings, brake_sandbox.url, full=True)
    again = sync(settings, brake_sandbox.url, full=True)
    assert again["events"] == []
    assert len(again["products"]) == 20
    assert all(row["error"] == row["warning"] == row["info"] == 0 for row in again["products"])
    assert {row["plans_from"] for row in again["products"]} == {"MPN"}


def test_an_old_schema_is_named_and_not_migrated_by_read_only_commands(tmp_path: Path) -> None:
    database = tmp_path / "old.db"
    env = env_for(database, "http://127.0.0.1:9/public/v1")
    assert cli("migrate", env=env).returncode == 0
    engine = create_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0004'")
    engine.dispose()
    result = cli("runs", env=env)
    assert result.returncode == 2
    assert "has schema 0004" in result.stderr
    assert "run `plm-sync migrate`" in result.stderr


def test_catalog_of_an_unknown_product_says_so(tmp_path: Path) -> None:
    env = env_for(tmp_path / "plm.db", "http://127.0.0.1:9/public/v1")
    assert cli("migrate", env=env).returncode == 0
    result = cli("catalog", "--product", "PRD-000-000-000", env=env)
    assert result.returncode == 2  # as `prices PRD-000-000-000` does
    assert "no stored product line for PRD-000-000-000" in result.stderr
    prices = cli("prices", "PRD-000-000-000", env=env)
    assert prices.returncode == 2
    assert "no stored product line for PRD-000-000-000" in prices.stderr
    malformed = cli("catalog", "--product", "PRD-unknown", env=env)
    assert malformed.returncode == 2


def test_runs_prune_and_cancel_through_the_cli(
    brake_sandbox: SandboxServer, tmp_path: Path
) -> None:
    env = env_for(tmp_path / "plm.db", brake_sandbox.url)
    assert cli("sync", "--full", env=env).returncode == 0
    assert cli("sync", "--full", env=env).returncode == 0
    kept = cli("runs", "prune", "--older-than", "90d", env=env)
    assert kept.returncode == 0
    assert "pruned 0 run(s)" in kept.stdout
    bad = cli("runs", "prune", "--older-than", "ninety days", env=env)
    assert bad.returncode == 2
    assert "--older-than" in bad.stderr
    finished = cli("runs", "cancel", "1", env=env)
    assert finished.returncode == 2
    assert "only queued or running runs cancel" in finished.stderr
    unknown = cli("runs", "cancel", "x", env=env)
    assert unknown.returncode == 2
    assert "not a number" in unknown.stderr
    listed = json.loads(cli("runs", "--format", "json", env=env).stdout)
    assert [run["id"] for run in listed] == [2, 1]

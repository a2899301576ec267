"""`runs prune --older-than`: a bare number is days, units are echoed, many runs are confirmed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from plm_sync.cli import cli, runs
from plm_sync.ops.reports import list_runs
from plm_sync.store.database import open_database, unit_of_work
from plm_sync.store.models import Run
from tests.conftest import plm_sync_cli
from tests.integration.conftest import settings_of

pytestmark = pytest.mark.integration


def old_runs(database_url: str, ages_in_days: list[float]) -> None:
    now = datetime.now(UTC)
    with open_database(database_url) as factory, unit_of_work(factory) as session:
        for days in ages_in_days:
            moment = now - timedelta(days=days)
            session.add(
                Run(
                    trigger="cli",
                    scope="full",
                    status="failed",
                    started_at=moment,
                    finished_at=moment,
                    heartbeat_at=moment,
                )
            )


def test_a_bare_number_is_days_and_the_unit_is_echoed(database_url: str) -> None:
    old_runs(database_url, [100, 100, 30, 0.2])
    env = {"database_url": database_url}
    days = plm_sync_cli("runs", "prune", "--older-than", "90", settings=env)
    assert days.returncode == 0, days.stderr
    assert days.stdout.strip() == "pruned 2 run(s) finished more than 90 days ago"
    hours = plm_sync_cli("runs", "prune", "--older-than", "12h", settings=env)
    assert hours.stdout.strip() == "pruned 1 run(s) finished more than 12 hours ago"
    assert len(list_runs(settings_of(database_url, "http://127.0.0.1:9"))) == 1
    for bad in ("-5", "0", "90 days", "1y"):
        refused = plm_sync_cli("runs", "prune", "--older-than", bad, settings=env)
        assert refused.returncode == 2, bad
        assert "--older-than" in refused.stderr


def test_pruning_many_runs_on_a_terminal_asks_first(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    old_runs(database_url, [200] * (runs.HANDFUL + 2))
    monkeypatch.setattr(runs, "_on_terminal", lambda: True)
    env = {"PLM_SYNC_DATABASE_URL": database_url, "PLM_SYNC_MAPPINGS": str(tmp_path)}
    runner = CliRunner()
    declined = runner.invoke(cli, ["runs", "prune", "--older-than", "90d"], input="n\n", env=env)
    assert declined.exit_code != 0
    assert f"prune {runs.HANDFUL + 2} run(s) finished more than 90 days ago" in declined.output
    settings = settings_of(database_url, "http://127.0.0.1:9")
    assert len(list_runs(settings, limit=100)) == runs.HANDFUL + 2
    confirmed = runner.invoke(cli, ["runs", "prune", "--older-than", "90d", "--yes"], env=env)
    assert confirmed.exit_code == 0, confirmed.output
    assert f"pruned {runs.HANDFUL + 2} run(s)" in confirmed.output  # all failed: none kept

"""The sync commands through the CLI: exit codes, JSON contracts, one-line errors."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from plm_sync.sandbox.connect.catalog import SandboxCatalog
from plm_sync.sandbox.connect.generate import generate_catalog
from plm_sync.sandbox.connect.server import SandboxServer
from tests.conftest import ROOT, plm_sync_cli
from tests.integration.conftest import API_KEY, start_sandbox

pytestmark = pytest.mark.integration
RUN_KEYS = {"id", "trigger", "scope", "status", "started_at", "finished_at", "retries", "counts"}
COUNT_KEYS = {"products", "items", "created", "updated", "unchanged", "deactivated", "errors"}
EVENT_KEYS = {"level", "code", "connect_product_id", "connect_item_id", "mpn", "message"}


def cli(
    database: Path | str, url: str, *args: str, key: str = API_KEY, **extra: str
) -> subprocess.CompletedProcess[str]:
    settings = {
        "connect_url": url,
        "connect_api_key": key,
        "database_url": database if isinstance(database, str) else f"sqlite:///{database}",
        "mappings": str(ROOT / "mappings"),
    }
    return plm_sync_cli(*args, settings=extra | settings)


def test_sync_runs_and_report_json_contracts(sandbox: SandboxServer, database_url: str) -> None:
    database = database_url
    first = cli(database, sandbox.url, "sync", "--full", "--format", "json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert set(report) >= RUN_KEYS
    assert set(report["counts"]) >= COUNT_KEYS
    assert all(set(event) >= EVENT_KEYS for event in report["events"])
    again = cli(database, sandbox.url, "sync", "--full", "--format", "json")
    counts = json.loads(again.stdout)["counts"]
    assert counts["created"] == counts["updated"] == counts["deactivated"] == 0
    runs = json.loads(cli(database, sandbox.url, "runs", "--format", "json").stdout)
    assert [run["id"] for run in runs] == [2, 1]
    assert all(set(run) >= RUN_KEYS and run["trigger"] == "cli" for run in runs)
    latest = json.loads(cli(database, sandbox.url, "report", "latest", "--format", "json").stdout)
    assert latest["id"] == 2
    assert "events" in latest
    imported = cli(database, sandbox.url, "import", "PRD-276-377-545", "--format", "json")
    assert json.loads(imported.stdout)["scope"] == "full: PRD-276-377-545"
    table = cli(database, sandbox.url, "catalog", "--product", "PRD-276-377-545")
    assert "Cloud Service (NCE COM MTH)" in table.stdout


def test_item_errors_exit_3(database_url: str) -> None:
    server = start_sandbox(SandboxCatalog.from_data(generate_catalog(2, 300, seed=0)))
    try:
        result = cli(database_url, server.url, "sync", "--full")
    finally:
        server.stop()
    assert result.returncode == 3
    assert "item_invalid" in result.stdout


@pytest.mark.parametrize(
    ("args", "key", "fragment"),
    [
        pytest.param(("sync",), "SU-BAD:secret-value", "PLM_SYNC_CONNECT_API_KEY", id="bad-key"),
        pytest.param(("report", "99"), API_KEY, "no run 99", id="unknown-run"),
        pytest.param(("report", "x"), API_KEY, "not a number", id="bad-run-id"),
        pytest.param(("runs", "--since", "yesterday"), API_KEY, "--since", id="bad-date"),
    ],
)
def test_expected_errors_exit_2_with_one_line(
    sandbox: SandboxServer, tmp_path: Path, args: tuple[str, ...], key: str, fragment: str
) -> None:
    if args[0] != "sync":  # read-only commands need a database to exist
        assert cli(tmp_path / "plm.db", sandbox.url, "migrate").returncode == 0
    result = cli(tmp_path / "plm.db", sandbox.url, *args, key=key)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert fragment in lines[0]
    assert "Traceback" not in result.stderr
    assert "secret-value" not in result.stderr + result.stdout


def test_missing_connect_url_is_a_configuration_error(tmp_path: Path) -> None:
    result = cli(tmp_path / "plm.db", "", "sync")
    assert result.returncode == 2
    assert "PLM_SYNC_CONNECT_URL" in result.stderr


def test_unreachable_connect_fails_the_run_with_exit_1(tmp_path: Path) -> None:
    env_url = "http://127.0.0.1:9/public/v1"  # discard port: connection refused
    database = tmp_path / "plm.db"
    result = cli(database, env_url, "--log-format", "json", "sync", max_attempts="2")
    assert result.returncode == 1
    assert "run 1 failed while fetching products" in result.stderr
    runs = json.loads(cli(database, env_url, "runs", "--format", "json").stdout)
    assert runs[0]["status"] == "failed"


def test_ppr_commands(sandbox: SandboxServer, tmp_path: Path, database_url: str) -> None:
    database = database_url
    assert cli(database, sandbox.url, "sync", "--full").returncode == 0
    exported = cli(
        database, sandbox.url, "ppr", "export", "PRD-276-377-545", "-o", str(tmp_path / "p.xlsx")
    )
    assert exported.returncode == 0, exported.stderr
    imported = cli(
        database, sandbox.url, "ppr", "import", str(tmp_path / "p.xlsx"), "--format", "json"
    )
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["status"] == "succeeded"
    (tmp_path / "bad.xlsx").write_text("not a workbook", encoding="utf-8")
    bad = cli(database, sandbox.url, "ppr", "import", str(tmp_path / "bad.xlsx"))
    assert bad.returncode == 2
    assert "not an .xlsx workbook" in bad.stderr
    assert "Traceback" not in bad.stderr
    missing = cli(database, sandbox.url, "ppr", "export", "PRD-000-000-000")
    assert missing.returncode == 2
    assert "plm-sync import PRD-000-000-000" in missing.stderr

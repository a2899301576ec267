"""An upgrade keeps what an earlier version stored: no catalog row rewritten, nothing pushed again.

The database was written by commit 3ee6f06 (digests of version 1, schema 0009) with
`tests/fixtures/upgrade/make_database.py`: a sync of a generated catalog (offers, add-ons,
replacements, prices) and a push of every line. This version migrates it (0010: digests of
version 2) and must find the same catalog unchanged and every line as it was pushed.
"""

from __future__ import annotations

import gzip
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from plm_sync.commerce.hubs import hub_key
from plm_sync.config import Settings
from plm_sync.delivery.line_digests import catalog_key
from plm_sync.delivery.push import PushRequest, push_lines
from plm_sync.mappings import load_plm_rules
from plm_sync.ops.reports import run_report
from plm_sync.sandbox.commerce.server import CommerceSandbox, CommerceSandboxOptions
from plm_sync.sandbox.connect.catalog import SandboxCatalog
from plm_sync.sandbox.connect.server import SandboxOptions, SandboxServer
from plm_sync.store.database import open_database, unit_of_work
from plm_sync.store.models import ProductLine
from plm_sync.store.pushes import PushRepository
from plm_sync.sync.run import SyncRequest, run_sync
from tests.conftest import ROOT
from tests.fixtures.upgrade.make_database import KEY, catalog_file, upgrade_settings

pytestmark = pytest.mark.integration
WRITTEN = ROOT / "tests" / "fixtures" / "upgrade" / "written_by_3ee6f06.db.gz"
LINES = 13  # the lines the earlier version stored and pushed


@pytest.fixture
def connect() -> Iterator[SandboxServer]:
    with tempfile.TemporaryDirectory() as folder:
        server = SandboxServer(
            SandboxCatalog.load(catalog_file(Path(folder))), SandboxOptions(api_key=KEY)
        ).start()
        yield server
        server.stop()


@pytest.fixture
def hub() -> Iterator[CommerceSandbox]:
    server = CommerceSandbox(CommerceSandboxOptions(task_seconds=0.1)).start()
    yield server
    server.stop()


@pytest.fixture
def settings(tmp_path: Path, connect: SandboxServer, hub: CommerceSandbox) -> Settings:
    database = tmp_path / "plm.db"
    with gzip.open(WRITTEN) as packed, database.open("wb") as out:
        shutil.copyfileobj(packed, out)
    return upgrade_settings(database, connect, hub)


def changes(settings: Settings, run_id: int) -> dict[str, int]:
    counts = run_report(settings, run_id)["counts"]
    return {name: counts[name] for name in ("created", "updated", "deactivated", "errors")}


def catalog_digests(settings: Settings) -> dict[str, str | None]:
    with open_database(settings.database_url) as factory, unit_of_work(factory) as session:
        rows = session.execute(select(ProductLine.connect_product_id, ProductLine.catalog_digest))
        return {str(row[0]): row[1] for row in rows}


def test_an_upgraded_database_syncs_and_pushes_nothing_new(
    settings: Settings, hub: CommerceSandbox
) -> None:
    migrated = catalog_digests(settings)  # 0012 computed them from the stored rows' digests
    assert len(migrated) == LINES
    assert None not in migrated.values()
    synced = run_sync(settings, SyncRequest(full=True))
    assert catalog_digests(settings) == migrated  # what a sync computes for the same rows
    assert synced.exit_code == 0
    assert changes(settings, synced.run_id) == dict.fromkeys(
        ("created", "updated", "deactivated", "errors"), 0
    )
    report = run_report(settings, synced.run_id)
    assert report["price_changes"] == []
    assert report["counts"]["unchanged"] > 0
    again = run_sync(settings, SyncRequest())  # incremental: the same
    assert changes(settings, again.run_id) == dict.fromkeys(
        ("created", "updated", "deactivated", "errors"), 0
    )

    # the plans (workbooks) the earlier version pushed are not sent again; its version did not
    # push prices, so those are left out here (a push with prices sends them once, as new)
    pushed = push_lines(settings, PushRequest(changed=True, prices="none"))
    counts = run_report(settings, pushed.run_id)["counts"]
    assert (counts["updated"], counts["unchanged"], counts["errors"]) == (0, LINES, 0)
    seen = requests.get(f"{hub.control_url}/state", timeout=5).json()
    assert (seen["applies"], seen["parsed"]) == (0, [])
    # the lines' pushed digests are now of the current version: the next push says the same
    with open_database(settings.database_url) as factory, unit_of_work(factory) as session:
        hub_lines = PushRepository(session).lines(hub_key(hub.url, hub.options.app_id))
        versions = {line.pushed_digest_version for line in hub_lines}
        keys = {
            line.pushed_catalog == catalog_key(line, load_plm_rules(settings.mappings))
            for line in hub_lines
        }
    assert versions == {2}
    assert keys == {True}  # the next --changed compares keys alone
    again = push_lines(settings, PushRequest(changed=True, prices="none"))
    counts = run_report(settings, again.run_id)["counts"]
    assert (counts["updated"], counts["unchanged"]) == (0, LINES)


def test_lines_changed_after_the_upgrade_are_pushed(
    settings: Settings, hub: CommerceSandbox, tmp_path: Path
) -> None:
    """Recognising old digests never hides a real change: new plan names reach PLM."""
    mappings = tmp_path / "mappings"
    shutil.copytree(settings.mappings, mappings)
    plm = mappings / "plm.yaml"
    plm.write_text(plm.read_text().replace('"{name} ({label})"', '"{name} - {label}"'))
    renamed = settings.with_overrides(mappings=mappings)
    synced = run_sync(renamed, SyncRequest(full=True))
    assert changes(renamed, synced.run_id)["updated"] > 0
    pushed = push_lines(renamed, PushRequest(changed=True))
    counts = run_report(renamed, pushed.run_id)["counts"]
    assert (counts["updated"], counts["unchanged"], counts["errors"]) == (LINES, 0, 0)
    seen = requests.get(f"{hub.control_url}/state", timeout=5).json()
    assert seen["applies"] == LINES

"""Sharing rules through real syncs: stored per plan, re-applied on change, refused whole."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from plm_sync.config import Settings
from plm_sync.errors import MappingsError
from plm_sync.ops.reports import catalog, list_runs, run_report
from plm_sync.sandbox.connect.server import SandboxServer
from plm_sync.sync.run import SyncRequest, run_sync
from tests.conftest import ROOT
from tests.integration.conftest import settings_of

pytestmark = pytest.mark.integration
SAMPLE = "PRD-276-377-545"
FIRST = """
marketplaces: {MP-91673: US}
op_units: [DE]
rules:
  - match: {product: "PRD-276-*"}
    op_units: [MP-91673]
  - match: {mpn: "CFQ7TTC0HDK0:*", billing: month}
    op_units: [US]
    reseller_groups: ["Direct Gold"]
    op_unit_reseller_groups: {US: ["Reseller US L2 ST"]}
  - match: {trial: true}
    published: false
"""
SECOND = """
marketplaces: {MP-91673: US}
op_units: [DE]
rules:
  - match: {product: "PRD-276-*"}
    op_units: [MP-91673, DE]
  - match: {mpn: "CFQ7TTC0HDK0:*", billing: month}
    op_units: [US]
    op_unit_reseller_groups: {US: ["Reseller US L2 ST"]}
"""


@pytest.fixture
def mappings(tmp_path: Path) -> Path:
    folder = tmp_path / "mappings"
    folder.mkdir()
    shutil.copy(ROOT / "mappings" / "plm.yaml", folder / "plm.yaml")
    return folder


def plans(settings: Settings) -> dict[str, dict[str, Any]]:
    (line,) = catalog(settings, (SAMPLE,))["product_lines"]
    return {plan["name"]: plan for plan in line["service_plans"]}


def test_sharing_is_stored_reapplied_and_reported(
    database_url: str, sandbox: SandboxServer, mappings: Path
) -> None:
    (mappings / "sharing.yaml").write_text(FIRST, encoding="utf-8")
    settings = settings_of(database_url, sandbox.url, mappings=mappings)
    run_sync(settings, SyncRequest(full=True))
    stored = plans(settings)
    monthly = stored["Cloud Service (NCE COM MTH)"]
    assert monthly["sharing"] == {
        "op_units": ["US"],
        "reseller_groups": ["Direct Gold"],
        "op_unit_reseller_groups": {"US": ["Reseller US L2 ST"]},
    }
    assert stored["Cloud Service (NCE COM ANN)"]["sharing"]["op_units"] == ["US"]
    assert stored["Office 365 E3 Trial (NCE COM TRIAL)"]["published"] is False
    other = catalog(settings)["product_lines"]
    assert all(
        plan["sharing"]["op_units"] == []
        for line in other
        if line["connect_product_id"] != SAMPLE
        for plan in line["service_plans"]
    )

    (mappings / "sharing.yaml").write_text(SECOND, encoding="utf-8")
    outcome = run_sync(settings, SyncRequest(full=True))  # Connect did not change
    report = run_report(settings, outcome.run_id)
    updated = [
        (e["connect_product_id"], e["message"])
        for e in report["events"]
        if e["code"] == "plan_updated"
    ]
    # every plan of the sample changed; elsewhere only trials (published again)
    assert {name for pid, name in updated if pid == SAMPLE} == {
        f"service plan {name!r} updated" for name in stored
    }
    assert all("Trial" in name for pid, name in updated if pid != SAMPLE)
    assert report["counts"]["updated"] == len(updated)
    assert report["counts"]["created"] == 0
    changed = plans(settings)
    assert changed["Cloud Service (NCE COM MTH)"]["sharing"] == {
        "op_units": ["DE", "US"],
        "reseller_groups": [],
        "op_unit_reseller_groups": {"US": ["Reseller US L2 ST"]},
    }
    assert changed["Office 365 E3 Trial (NCE COM TRIAL)"]["published"] is True
    messages = {
        e["message"]
        for e in report["events"]
        if e["code"] == "plan_sharing_changed" and e["connect_product_id"] == SAMPLE
    }
    assert (
        "service plan 'Cloud Service (NCE COM MTH)' shared with operating unit DE; "
        "unshared from reseller group 'Direct Gold'"
    ) in messages
    assert len(messages) == len(stored)

    again = run_report(settings, run_sync(settings, SyncRequest(full=True)).run_id)
    assert again["counts"]["updated"] == 0


def test_an_inconsistent_file_changes_nothing(
    database_url: str, sandbox: SandboxServer, mappings: Path
) -> None:
    (mappings / "sharing.yaml").write_text(FIRST, encoding="utf-8")
    settings = settings_of(database_url, sandbox.url, mappings=mappings)
    run_sync(settings, SyncRequest(full=True))
    before = (catalog(settings), list_runs(settings))
    (mappings / "sharing.yaml").write_text(
        FIRST.replace(
            'op_unit_reseller_groups: {US: ["Reseller US L2 ST"]}',
            'op_unit_reseller_groups: {DE: ["Reseller DE"]}',
        ),
        encoding="utf-8",
    )
    with pytest.raises(MappingsError, match=r"rules\[2\].op_unit_reseller_groups.DE"):
        run_sync(settings, SyncRequest(full=True))
    assert (catalog(settings), list_runs(settings)) == before

"""Sharing and listings: a gone listing unshares its unit; a workbook import never pins them.

Issue 35, items 9 (a marketplace whose listing is gone) and 10 (`ppr import` under
`from_listings: true`), on both databases, against the Connect sandbox.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from plm_sync.config import Settings
from plm_sync.delivery.workbooks import export_ppr, import_ppr
from plm_sync.ops.reports import catalog, run_report
from plm_sync.sandbox.connect.server import SandboxServer
from tests.conftest import ROOT
from tests.integration.conftest import settings_of
from tests.integration.conftest import sync_report as sync

pytestmark = pytest.mark.integration
PRODUCT = "PRD-276-377-545"  # listed in MP-91111 (LST-545-001)
MONTHLY = "Cloud Service (NCE COM MTH)"


def with_sharing(settings: Settings, tmp_path: Path, sharing: str) -> Settings:
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    for source in (ROOT / "mappings").glob("*.yaml"):
        (mappings / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    (mappings / "sharing.yaml").write_text(sharing, encoding="utf-8")
    return replace(settings, mappings=mappings, deactivation_limit="1")


@pytest.fixture
def base(database_url: str, sandbox: SandboxServer) -> Settings:
    return settings_of(database_url, sandbox.url, page_size=50)


def units(settings: Settings) -> dict[str, list[str]]:
    (line,) = catalog(settings, (PRODUCT,))["product_lines"]
    return {plan["name"]: plan["sharing"]["op_units"] for plan in line["service_plans"]}


def sheet(path: Path, name: str) -> list[dict[str, Any]]:
    book = openpyxl.load_workbook(path, read_only=True)
    rows = list(book[name].iter_rows(values_only=True))
    book.close()
    return [dict(zip(rows[0], row, strict=False)) for row in rows[1:]]


def test_a_gone_listing_unshares_its_unit_under_static_rules(
    base: Settings, sandbox: SandboxServer, tmp_path: Path
) -> None:
    settings = with_sharing(
        base,
        tmp_path,
        "marketplaces: {MP-91111: US, MP-92222: DE}\nop_units: [AT]\n"
        'rules:\n  - match: {product: "PRD-*"}\n    op_units: [US, DE, AT]\n',
    )
    first = sync(settings, full=True)
    assert first["exit_code"] == 0
    assert set(map(tuple, units(settings).values())) == {("AT", "DE", "US")}
    again = sync(settings, full=True)  # nothing gone: nothing recomputed
    assert again["counts"]["updated"] == 0
    sandbox.catalog.markets.remove("listings", "LST-545-001")
    gone = sync(settings, full=True)
    assert gone["exit_code"] == 0, [e for e in gone["events"] if e["level"] == "error"]
    assert set(map(tuple, units(settings).values())) == {("AT", "DE")}  # US: listing gone
    path = export_ppr(settings, PRODUCT, tmp_path / "ppr.xlsx")
    plans = sheet(path, "ServicePlans")
    assert {str(plan["OpUnit_US"]).upper() for plan in plans} == {"FALSE"}
    assert {str(plan["OpUnit_AT"]).upper() for plan in plans} == {"TRUE"}
    stable = sync(settings, full=True)
    assert stable["counts"]["updated"] == 0
    assert set(map(tuple, units(settings).values())) == {("AT", "DE")}


def test_ppr_import_under_from_listings_records_only_the_operators_edits(
    base: Settings, sandbox: SandboxServer, tmp_path: Path
) -> None:
    settings = with_sharing(
        base, tmp_path, "marketplaces: {MP-91111: US, MP-92222: EU}\nfrom_listings: true\n"
    )
    assert sync(settings, full=True)["exit_code"] == 0
    assert set(map(tuple, units(settings).values())) == {("US",)}
    path = export_ppr(settings, PRODUCT, tmp_path / "ppr.xlsx")
    book = openpyxl.load_workbook(path)
    plans = book["ServicePlans"]
    header = [cell.value for cell in plans[1]]
    for row in plans.iter_rows(min_row=2):
        if row[header.index("Name_EN")].value == MONTHLY:
            row[header.index("Description_EN")].value = "Monthly, edited by an operator"
    book.save(path)
    imported = run_report(settings, import_ppr(settings, path).run_id)
    overrides = [e for e in imported["events"] if e["code"] == "override_set"]
    assert [e["message"] for e in overrides] == [
        f"plan {MONTHLY!r}: description set to 'Monthly, edited by an operator' by the workbook"
    ]
    later = sync(settings, full=True)
    assert not [e for e in later["events"] if e["code"] == "override_shadows_change"]
    sandbox.catalog.markets.remove("listings", "LST-545-001")
    gone = sync(settings, full=True, allow_deactivations=True)
    assert gone["exit_code"] == 0, [e for e in gone["events"] if e["level"] == "error"]
    assert set(map(tuple, units(settings).values())) == {()}  # no plan pinned to US

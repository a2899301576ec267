"""A batch's change sets applied together: new lines whose headers differ in what they carry."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from plm_sync.domain.catalog_json import computed_line_json
from plm_sync.domain.grouping import group_items
from plm_sync.domain.line_diff import diff_line
from plm_sync.domain.line_rows import flatten, line_header
from plm_sync.domain.source import SourceProduct
from plm_sync.store.catalog import CatalogRepository
from plm_sync.store.catalog_writes import apply_change_sets, read_stored_lines
from plm_sync.store.database import open_database, unit_of_work
from plm_sync.store.models import ProductLine
from tests.unit.domain.test_grouping import NCE_ITEMS, RULES

pytestmark = pytest.mark.integration
NOW = datetime(2026, 12, 5, tzinfo=UTC)


def test_new_lines_with_and_without_change_signals_are_written_in_one_batch(
    database_url: str,
) -> None:
    changes = []
    for number, signature in ((1, "sig-1"), (2, None)):
        product = SourceProduct(f"PRD-000-000-00{number}", f"Product {number}", "V", "published")
        items = [replace(item, product_id=product.id) for item in NCE_ITEMS]
        line = group_items(product, items, RULES).product_line
        header = line_header(line, f"source-{number}") | {"findings": []}
        if signature:
            header["connect_signature"] = signature
        changes.append(diff_line(product.id, flatten(line), header, None))
    with open_database(database_url) as factory:
        with unit_of_work(factory) as session:
            ids = apply_change_sets(session, changes, run_id=1, now=NOW)
        with unit_of_work(factory) as session:
            stored = read_stored_lines(session, list(ids))
            signatures = dict(
                session.execute(
                    select(ProductLine.connect_product_id, ProductLine.connect_signature)
                ).all()
            )
    assert signatures == {"PRD-000-000-001": "sig-1", "PRD-000-000-002": None}
    for change in changes:
        line = stored[change.product_id]
        assert sum(map(len, line.rows.values())) == change.changes.created
        again = diff_line(change.product_id, {}, {}, line)  # every row is there, once
        assert again.changes.deactivated == change.changes.created


def test_a_computed_line_shows_as_its_stored_catalog_json(database_url: str) -> None:
    """One catalog-JSON producer: a line computed in memory (`computed_line_json`, what the
    rules' tests assert) is what `plm-sync catalog` prints of it once stored."""
    product = SourceProduct("PRD-000-000-009", "Product 9", "V", "published")
    items = [replace(item, product_id=product.id) for item in NCE_ITEMS]
    line = group_items(product, items, RULES).product_line
    with open_database(database_url) as factory:
        with unit_of_work(factory) as session:
            CatalogRepository(session).save_line(line, "source-9", 1, NOW)
        with unit_of_work(factory) as session:
            (stored,) = CatalogRepository(session).catalog((product.id,))["product_lines"]
    assert stored.pop("marketplaces") == []
    assert stored.pop("prices") == {}
    assert stored == computed_line_json(line)
    assert stored["service_plans"]
    assert stored["resources"]

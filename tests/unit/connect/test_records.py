"""Parsing Connect's real payloads into typed records, keeping every needed field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plm_sync.connect.records import InvalidRecord, parse_item, parse_product, product_signature
from plm_sync.domain.source import ItemType, SourceItem, SourceProduct

LATER = "2027-01-01T00:00:00+00:00"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_real_product_without_version_or_updated_event() -> None:
    raw = load("connect-cli__product_response.json")
    parsed = parse_product(raw)
    assert parsed == SourceProduct(
        id="PRD-276-377-545",
        name="My Product",
        vendor="Adrian Inc Oct 12",
        status="published",
        updated_at=None,
        signature=product_signature(raw),
    )


@pytest.mark.parametrize(
    ("change", "differs"),
    [
        pytest.param({"version": 7}, True, id="new-version"),
        pytest.param({"status": "endofsale"}, True, id="new-status"),
        pytest.param(
            {"events": {"created": {"at": "2027-01-01T00:00:00+00:00"}}}, True, id="created"
        ),
        pytest.param(
            {"events": {"published": {"at": "2027-01-01T00:00:00+00:00"}}}, True, id="published"
        ),
        pytest.param({"short_description": "new words"}, False, id="other-field"),
        pytest.param({"stats": {"listings": 9}}, False, id="stats"),
    ],
)
def test_signature_follows_connect_change_signals(change: dict[str, Any], differs: bool) -> None:
    raw = load("connect-cli__product_response.json")
    events = raw.get("events") or {}
    changed = {**raw, **change}
    if "events" in change:
        changed["events"] = {**events, **change["events"]}
    assert (product_signature(changed) != product_signature(raw)) is differs


def test_real_product_list() -> None:
    (parsed,) = [parse_product(row) for row in load("connect-reports__catalog.json")]
    assert isinstance(parsed, SourceProduct)
    assert (parsed.id, parsed.name, parsed.vendor) == (
        "PRD-768-002-669",
        "Smash",
        "Extension MSMKP Vendor",
    )


def test_real_items_keep_every_needed_field() -> None:
    rows = load("connect-cli__items_response.json")
    items = [parse_item(row, "PRD-276-377-545") for row in rows]
    assert all(isinstance(item, SourceItem) for item in items)
    first = items[0]
    assert first == SourceItem(
        id="PRD-276-377-545-0001",
        product_id="PRD-276-377-545",
        name="Reservation Item 001",
        mpn="MPN-R-001",
        type=ItemType.RESERVATION,
        period="monthly",
        commitment_count=1,
        unit="Units",
        status="published",
        updated_at="2020-10-13T01:09:09+00:00",
    )
    periods = sorted({item.period for item in items if isinstance(item, SourceItem)})
    assert periods == ["monthly", "onetime"]
    no_events = next(item for item in items if item.id == "PRD-276-377-545-0019")
    assert isinstance(no_events, SourceItem)
    assert no_events.updated_at is None


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        pytest.param({"id": None}, "'id' is missing", id="no-id"),
        pytest.param({"mpn": 12}, "'mpn' should be text", id="mpn-not-text"),
        pytest.param({"type": "subscription"}, "expected reservation or ppu", id="bad-type"),
        pytest.param({"status": None}, "'status' is missing", id="no-status"),
        pytest.param({"commitment": {"count": 0}}, "commitment.count", id="zero-commitment"),
    ],
)
def test_missing_needed_fields_are_named(change: dict[str, Any], problem: str) -> None:
    row = {**load("connect-cli__items_response.json")[0], **change}
    parsed = parse_item(row, "PRD-276-377-545")
    assert isinstance(parsed, InvalidRecord)
    assert problem in parsed.problem


def test_enums_are_read_case_insensitively() -> None:
    row = {
        **load("connect-cli__items_response.json")[0],
        "type": "PPU",
        "period": "Monthly",
        "status": "Published",
    }
    parsed = parse_item(row, "P")
    assert isinstance(parsed, SourceItem)
    assert (parsed.type, parsed.period, parsed.status) == (ItemType.PPU, "monthly", "published")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "mpn",
                    "type",
                    "status",
                    "name",
                    "period",
                    "commitment",
                    "unit",
                    "events",
                    "count",
                    "owner",
                ]
            ),
            children,
            max_size=6,
        )
    ),
    max_leaves=12,
)


@given(json_values)
def test_parsers_never_raise_on_any_json(value: Any) -> None:
    assert isinstance(parse_item(value, "PRD"), SourceItem | InvalidRecord)
    assert isinstance(parse_product(value), SourceProduct | InvalidRecord)


@pytest.mark.parametrize(
    ("change", "parent", "replacement"),
    [
        ({}, None, None),  # the real fixture row has neither
        ({"parent": None, "replacement": None}, None, None),
        (
            {"parent": {"id": "PRD-1-0001", "name": "Base", "status": "published"}},
            "PRD-1-0001",
            None,
        ),
        ({"replacement": {"id": "PRD-1-0009", "status": "published"}}, None, "PRD-1-0009"),
        ({"parent": {"name": "no id"}, "replacement": "PRD-1-0009"}, None, None),
    ],
)
def test_item_references_give_their_ids(
    change: dict[str, Any], parent: str | None, replacement: str | None
) -> None:
    row = {**load("connect-cli__items_response.json")[0], **change}
    parsed = parse_item(row, "PRD-1")
    assert isinstance(parsed, SourceItem)
    assert (parsed.parent_id, parsed.replacement_id) == (parent, replacement)

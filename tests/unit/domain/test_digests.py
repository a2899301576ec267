"""The canonical form of digests (version 2): what changes a digest and what never does."""

from __future__ import annotations

from dataclasses import dataclass, field, make_dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plm_sync.domain.digests import canonical, content_hash
from plm_sync.domain.lines import source_hash
from plm_sync.domain.operator_rules import OperatorRules
from plm_sync.domain.rules import PlmRules
from plm_sync.domain.sharing import SharingRules
from plm_sync.domain.source import ItemType, SourceItem, SourceProduct


class Colour(Enum):
    RED = "red"


@dataclass(frozen=True)
class Rules:
    name: str = "x"
    limit: int = 1
    tags: tuple[str, ...] = field(default_factory=tuple)


def test_a_rules_field_added_with_its_default_changes_no_digest() -> None:
    extended = make_dataclass(
        "PlmRules", [("new_option", bool, field(default=False))], bases=(PlmRules,), frozen=True
    )
    assert content_hash(extended()) == content_hash(PlmRules())
    assert OperatorRules(extended()).fingerprint == OperatorRules(PlmRules()).fingerprint
    # set to another value, it counts
    assert content_hash(extended(new_option=True)) != content_hash(PlmRules())


def test_a_field_at_its_default_is_left_out_and_any_other_value_counts() -> None:
    assert canonical(Rules()) == b"{}"
    assert canonical(Rules(limit=2, tags=("a",))) == b'{"limit":2,"tags":["a"]}'
    assert content_hash(SharingRules(from_listings=True)) != content_hash(SharingRules())


def test_an_empty_column_added_later_changes_no_row_digest() -> None:
    row = {"name": "Plan", "active": True}
    assert content_hash(row | {"offer_plan_id": None}) == content_hash(row)
    assert content_hash(row | {"offer_plan_id": "PLN-1"}) != content_hash(row)


def test_plain_values_have_one_form() -> None:
    value = {
        "b": (1, 2),
        "a": {"z", "y"},
        "c": Colour.RED,
        "d": datetime(2026, 1, 2, tzinfo=UTC),
        "e": Decimal("1.50"),
    }
    assert canonical(value) == (
        b'{"a":["y","z"],"b":[1,2],"c":"red","d":"2026-01-02T00:00:00+00:00","e":"1.50"}'
    )


def test_a_value_without_a_canonical_form_is_refused() -> None:
    with pytest.raises(TypeError, match="no canonical form for a object"):
        content_hash(object())


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text() | st.floats(allow_nan=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.text(), json_values, max_size=6))
def test_key_order_never_changes_a_digest(value: dict[str, object]) -> None:
    reordered = dict(reversed(list(value.items())))
    assert content_hash(reordered) == content_hash(value)


# -- the line's source hash, taken without a walk ------------------------------------------


def _walked_source_hash(product: Any, items: Any, rules_hash: str) -> str:
    """The source hash as `content_hash` takes it (the reference the fast path must equal)."""
    rows = [
        {
            "id": i.id,
            "name": i.name,
            "mpn": i.mpn,
            "type": i.type.value,
            "period": i.period,
            "commitment_count": i.commitment_count,
            "unit": i.unit,
            "status": i.status,
            "parent_id": i.parent_id,
            "replacement_id": i.replacement_id,
        }
        for i in sorted(items, key=lambda i: (i.id, i.mpn))
    ]
    return content_hash([product.id, product.name, product.vendor, rows, rules_hash])


_TEXT = st.text(max_size=12)  # any character, lone surrogates included


@given(
    st.lists(
        st.builds(
            SourceItem,
            id=_TEXT,
            product_id=st.just("PRD-1"),
            name=_TEXT,
            mpn=_TEXT,
            type=st.sampled_from(list(ItemType)),
            period=_TEXT,
            commitment_count=st.integers(min_value=-(2**70), max_value=2**70),
            unit=_TEXT,
            status=_TEXT,
            parent_id=st.none() | _TEXT,
            replacement_id=st.none() | _TEXT,
        ),
        max_size=6,
    ),
    _TEXT,
    _TEXT,
)
def test_the_source_hash_is_the_walked_digest(
    items: list[SourceItem], name: str, rules: str
) -> None:
    product = SourceProduct("PRD-1", name, "Vendor", "published")
    assert source_hash(product, items, rules) == _walked_source_hash(product, items, rules)

"""The canonical form of digests (version 2): what changes a digest and what never does."""

from __future__ import annotations

from dataclasses import dataclass, field, make_dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plm_sync.domain.digests import canonical, content_hash
from plm_sync.domain.operator_rules import OperatorRules
from plm_sync.domain.rules import PlmRules
from plm_sync.domain.sharing import SharingRules


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

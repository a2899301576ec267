"""The catalog generator and the fault plan are repeatable for a seed."""

from __future__ import annotations

import pytest

from plm_sync.connect.records import InvalidRecord, parse_item
from plm_sync.sandbox.connect.faults import FaultPlan, FaultSpec
from plm_sync.sandbox.connect.generate import generate_catalog


def test_same_seed_same_catalog_other_seed_other_catalog() -> None:
    assert generate_catalog(3, 40, seed=5) == generate_catalog(3, 40, seed=5)
    assert generate_catalog(3, 40, seed=5) != generate_catalog(3, 40, seed=6)


def test_catalog_has_the_asked_size_and_nce_shape() -> None:
    data = generate_catalog(4, 250, seed=0)
    assert len(data["products"]) == 4
    rows = [row for items in data["items"].values() for row in items]
    assert len(rows) == 1000
    assert len({row["id"] for row in rows}) == 1000
    mpns = [row.get("mpn", "") for row in rows]
    for suffix in (
        "_P1M:Monthly",
        "_P1Y:Monthly",
        "_P1Y:Annual",
        "_P3Y:Annual",
        "_P3Y:Triennial",
        "_P1M:None",
        "_ANNUAL",
    ):
        assert any(mpn.endswith(suffix) for mpn in mpns), suffix
    assert any(row.get("type") == "ppu" for row in rows)
    assert {row["status"] for row in rows} == {"published", "endofsale", "draft"}
    parsed = [parse_item(row, "P") for row in rows]
    assert any(isinstance(item, InvalidRecord) for item in parsed)


def test_negative_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        generate_catalog(-1, 3)


def test_fault_plan_is_deterministic_for_a_seed() -> None:
    spec = FaultSpec.parse("429:0.1,500:0.1,reset:0.05,slow:0.05,truncate:0.05")
    first = [FaultPlan(spec, seed=9).draw() for _ in range(1)]
    plan_a, plan_b = FaultPlan(spec, seed=9), FaultPlan(spec, seed=9)
    draws_a = [plan_a.draw() for _ in range(500)]
    draws_b = [plan_b.draw() for _ in range(500)]
    assert draws_a == draws_b
    assert first == draws_a[:1]
    assert {"429", "500", "reset", "slow", "truncate", None} == set(draws_a)
    assert 0.25 < sum(1 for d in draws_a if d) / 500 < 0.45


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        pytest.param("429", "kind:rate", id="no-rate"),
        pytest.param("teapot:0.1", "HTTP status", id="unknown-kind"),
        pytest.param("429:lots", "not a number", id="bad-rate"),
        pytest.param("429:1.5", "between 0 and 1", id="rate-too-high"),
        pytest.param("429:0.6,500:0.6", "more than 1", id="sum-too-high"),
    ],
)
def test_bad_fault_specs_say_what_is_wrong(spec: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        FaultSpec.parse(spec)

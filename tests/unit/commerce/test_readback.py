"""The line compared with the hub: normalised so that unchanged is equal, every field named."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plm_sync.commerce.readback import compare, normal_plans
from tests.conftest import ROOT

SAMPLE = ROOT / "tests" / "fixtures" / "connect-extension-xvs__parse_ppr_success_response.json"


def plan(**fields: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "name": {"en": "Plan A"},
        "description": {"en": "Plan A monthly"},
        "pricePeriodType": "billing period",
        "isPublished": True,
        "renewOrderInterval": 4,
        "subscriptionPeriods": [
            {"value": {"period": 1, "periodType": "month", "trial": False, "active": True}}
        ],
        "resources": [
            {"value": {"name": {"en": "Seats"}, "min": 1, "max": 300.0, "measurable": False}}
        ],
        "delegatedServicePlans": [{"value": {"vendorName": "US", "isPublished": True}}],
        "billingPeriod": 1,
        "billingPeriodType": "month",
    }
    value.update(fields)
    return value


def config(*plans: dict[str, Any]) -> dict[str, Any]:
    return {"servicePlans": [{"value": one, "action": "EDIT"} for one in plans]}


def test_the_same_plan_compares_equal() -> None:
    diff = compare(config(plan()), config(plan()))
    assert diff.equal
    assert (diff.unchanged, diff.unread) == (["Plan A"], ())


@pytest.mark.parametrize(
    ("held", "named"),
    [
        ({"description": {"en": "edited by hand"}}, "description edited by hand -> plan a monthly"),
        ({"isPublished": False}, "isPublished False -> True"),
        (
            {"resources": [{"value": {"name": {"en": "Seats"}, "min": 1, "max": 500}}]},
            "rate seats: max 500 -> 300",
        ),
        (
            {"resources": [{"value": {"name": {"en": "Seats"}, "min": 1, "max": -1}}]},
            "rate seats: max unlimited -> 300",
        ),
        ({"resources": []}, "rate seats missing"),
        (
            {
                "subscriptionPeriods": [
                    {"value": {"period": 1, "periodType": "month", "active": False}}
                ]
            },
            "period 1 month: active False -> True",
        ),
        (
            {
                "subscriptionPeriods": [
                    {"value": {"period": 1, "periodType": "month"}},
                    {"value": {"period": 1, "periodType": "year"}},
                ]
            },
            "period 1 year not in the line",
        ),
        ({"delegatedServicePlans": []}, "sharing none -> ['us']"),
        ({"billingPeriod": 12}, "billingPeriod 12, month -> 1, month"),
        ({"renewOrderInterval": 7}, "renewOrderInterval 7 -> 4"),
    ],
)
def test_each_field_the_hub_holds_otherwise_is_named(held: dict[str, Any], named: str) -> None:
    diff = compare(config(plan()), config(plan(**held)))
    assert not diff.equal
    ((changed),) = diff.changed
    assert named in changed.fields, changed.fields


@pytest.mark.parametrize(
    "held",
    [
        {"description": {"en_US": "  Plan A   MONTHLY "}},  # locale key, spaces and case
        {"isPublished": "true"},
        {"renewOrderInterval": "4.0"},
        {"pricePeriodType": "Billing Period"},
        {
            "resources": [
                {
                    "value": {
                        "resourceType": {"name": {"en": "SEATS"}},
                        "min": "1.00",
                        "max": 300,
                        "inCP": True,
                        "instore": True,
                    }
                }
            ]
        },
        {"subscriptionPeriods": [{"value": {"period": 1, "periodType": "Month(s)"}}]},
        {"delegatedServicePlans": [{"vendorName": "us"}]},  # a bare object, not {value}
    ],
)
def test_normalised_values_compare_equal(held: dict[str, Any]) -> None:
    assert compare(config(plan()), config(plan(**held))).equal


def test_new_and_extra_plans() -> None:
    other = plan(name={"en": "Plan B"})
    diff = compare(config(plan(), other), config(plan(name={"en": "Old plan"})))
    assert (diff.new, diff.extra) == (["Plan A", "Plan B"], ["Old plan"])
    assert diff.summary() == "2 new, 0 changed, 0 unchanged, 1 on the hub only"


def test_a_hub_without_billing_periods_says_so() -> None:
    held = plan()
    del held["billingPeriod"], held["billingPeriodType"]
    diff = compare(config(plan()), config(held))
    assert diff.equal
    assert diff.unread == ("billing period",)


def test_the_public_parse_sample_compares_equal_to_itself() -> None:
    sample = json.loads(SAMPLE.read_text())["excelConfig"]
    plans = normal_plans(sample)
    assert len(plans) == 3
    assert compare(sample, copy.deepcopy(sample)).equal
    shared = next(iter(plans.values())).sharing
    assert shared == {"ingrammicro us"}


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
        max_leaves=20,
    )
)
def test_any_answer_compares_without_raising(held: Any) -> None:
    diff = compare(config(plan()), held if isinstance(held, dict) else {"servicePlans": held})
    assert diff.summary()

"""Service plans that follow a Connect offer: plans, constraints, features, periods, warnings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plm_sync.domain import events as codes
from plm_sync.domain.events import Level
from plm_sync.domain.offer_plans import group_offer
from plm_sync.domain.offers import (
    OfferFeature,
    OfferItemValue,
    OfferPlan,
    OfferSwitch,
    SourceOffer,
    choose_offer,
    parse_commitment,
)
from plm_sync.domain.periods import Period, Unit
from plm_sync.domain.rules import PlmRules, UpgradeMode
from plm_sync.domain.source import SourceItem
from tests.unit.domain.test_grouping import PRODUCT, RULES, item

BASIC, STANDARD, ADDON = "CFQ7TTC0LH18:0001", "CFQ7TTC0LDPB:0001", "CFQ7TTC0LHSF:0001"
ITEMS = [
    item(1, f"{BASIC}_P1M:Monthly", "Business Basic (NCE COM MTH)"),
    item(2, f"{BASIC}_P1Y:Monthly", "Business Basic (NCE COM 1YR MTH)", commitment=12),
    item(3, f"{BASIC}_P1Y:Annual", "Business Basic (NCE COM 1YR ANN)", period="yearly"),
    item(4, f"{STANDARD}_P1M:Monthly", "Business Standard (NCE COM MTH)"),
    item(5, f"{STANDARD}_P1Y:Annual", "Business Standard (NCE COM ANN)", period="yearly"),
    item(6, f"{ADDON}_P1M:Monthly", "Exchange Online Archiving (NCE COM MTH)"),
    item(7, f"{ADDON}_P1Y:Annual", "Exchange Online Archiving (NCE COM ANN)", period="yearly"),
    item(8, f"{ADDON}_P1Y:Monthly", "Exchange Online Archiving (NCE COM 1YR)", commitment=12),
]
PERIOD_OF = {"P1M:Monthly": "monthly", "P1Y:Monthly": "monthly", "P1Y:Annual": "yearly"}


def iid(number: int) -> str:
    return f"{PRODUCT.id}-{number:04d}"


def value(plan: str, number: int, low: int | None = 1, high: int | None = 300) -> OfferItemValue:
    mpn = ITEMS[number - 1].mpn
    return OfferItemValue(plan, iid(number), PERIOD_OF[mpn.rpartition("_")[2]], low, high)


PLANS = (
    OfferPlan("PLN-1", "Business Basic", ("monthly", "yearly"), ("1y",), "Web apps.", 1),
    OfferPlan("PLN-2", "Business Standard", ("monthly", "yearly"), ("1y",), "", 2),
)
VALUES = (
    value("PLN-1", 1),
    value("PLN-1", 2),
    value("PLN-1", 3),
    value("PLN-1", 6, 0, -1),
    value("PLN-1", 7, 0, -1),
    value("PLN-1", 8, 0, -1),
    value("PLN-2", 4, 1, None),
    value("PLN-2", 5, 1, None),
    value("PLN-2", 6, 0, 50),
    value("PLN-2", 7, 0, 50),
)
FEATURES = (
    OfferFeature("F2", "Intune", "Security", (("PLN-2", "Yes"), ("PLN-1", "No")), 2, 1),
    OfferFeature("F1", "Mailbox", "Apps", (("PLN-1", "50 GB"), ("PLN-2", "50 GB")), 1, 2),
    OfferFeature("F0", "Desktop apps", "Apps", (("PLN-2", "Yes"),), 1, 1),
)
OFFER = SourceOffer(
    "OFR-1", PRODUCT.id, "Microsoft 365 Business", "listed", PLANS, VALUES, FEATURES
)


def plans_by_name(offer: SourceOffer = OFFER, items: list[SourceItem] = ITEMS) -> dict:  # type: ignore[type-arg]
    line = group_offer(PRODUCT, items, offer, RULES).product_line
    return {plan.name: plan for plan in line.service_plans}


def test_a_plan_per_offer_plan_and_billing_period() -> None:
    grouped = group_offer(PRODUCT, ITEMS, OFFER, RULES)
    line = grouped.product_line
    assert (line.plan_source, line.offer_id) == ("offer", "OFR-1")
    assert [plan.name for plan in line.service_plans] == [
        "Business Basic (NCE COM ANN)",
        "Business Basic (NCE COM MTH)",
        "Business Standard (NCE COM ANN)",
        "Business Standard (NCE COM MTH)",
    ]
    assert [resource.mpn for resource in line.resources] == sorted([ADDON, STANDARD, BASIC])
    basic = {plan.name: plan for plan in line.service_plans}["Business Basic (NCE COM MTH)"]
    assert basic.key == "offer:PLN-1|P1M"
    assert basic.offer_plan_id == "PLN-1"
    assert [(p.period, p.mpn) for p in basic.periods] == [
        (Period(1, Unit.MONTH), f"{BASIC}_P1M:Monthly"),
        (Period(1, Unit.YEAR), f"{BASIC}_P1Y:Monthly"),
    ]
    assert [e.code for e in grouped.events if e.level is not Level.INFO] == []


@pytest.mark.parametrize(
    ("plan", "resource", "limits", "periods"),
    [
        (
            "Business Basic (NCE COM MTH)",
            BASIC,
            (1, 300),
            [f"{BASIC}_P1M:Monthly", f"{BASIC}_P1Y:Monthly"],
        ),
        (
            "Business Basic (NCE COM MTH)",
            ADDON,
            (0, -1),
            [f"{ADDON}_P1M:Monthly", f"{ADDON}_P1Y:Monthly"],
        ),
        ("Business Standard (NCE COM MTH)", STANDARD, (1, -1), [f"{STANDARD}_P1M:Monthly"]),
        ("Business Standard (NCE COM ANN)", ADDON, (0, 50), [f"{ADDON}_P1Y:Annual"]),
    ],
)
def test_resource_rates_take_min_max_from_the_item_constraint(
    plan: str, resource: str, limits: tuple[int, int], periods: list[str]
) -> None:
    rates = {rate.resource_mpn: rate for rate in plans_by_name()[plan].resource_rates}
    rate = rates[resource]
    assert (rate.min_units, rate.max_units) == limits
    assert [p.mpn for p in rate.periods] == periods


def test_no_constraint_means_the_rules_defaults() -> None:
    offer = SourceOffer(
        "OFR-1", PRODUCT.id, "x", "listed", PLANS[:1], (value("PLN-1", 1, None, None),)
    )
    rules = PlmRules(vocabulary=RULES.vocabulary, min_units=2, max_units=10)
    plan = group_offer(PRODUCT, ITEMS, offer, rules).product_line.service_plans[0]
    assert (plan.resource_rates[0].min_units, plan.resource_rates[0].max_units) == (2, 10)


def test_features_by_group_describe_the_plan() -> None:
    plans = plans_by_name()
    standard = plans["Business Standard (NCE COM MTH)"]
    assert standard.description == (
        "Apps: Desktop apps: Yes; Mailbox: 50 GB\nSecurity: Intune: Yes"
    )
    assert [(f.group, f.name, f.value) for f in standard.features] == [
        ("Apps", "Desktop apps", "Yes"),
        ("Apps", "Mailbox", "50 GB"),
        ("Security", "Intune", "Yes"),
    ]
    basic = plans["Business Basic (NCE COM ANN)"]
    assert basic.description == "Web apps.\nApps: Mailbox: 50 GB\nSecurity: Intune: No"
    assert basic.features[0].as_dict() == {"group": "Apps", "name": "Mailbox", "value": "50 GB"}


def test_upgrade_paths_join_the_billing_variants_of_one_offer_plan() -> None:
    plans = plans_by_name()
    assert plans["Business Basic (NCE COM MTH)"].upgrade_paths == ("Business Basic (NCE COM ANN)",)
    assert plans["Business Standard (NCE COM ANN)"].upgrade_paths == (
        "Business Standard (NCE COM MTH)",
    )
    rules = PlmRules(vocabulary=RULES.vocabulary, upgrade_mode=UpgradeMode.NONE)
    line = group_offer(PRODUCT, ITEMS, OFFER, rules).product_line
    assert all(plan.upgrade_paths == () for plan in line.service_plans)


def test_end_of_sale_items_deactivate_their_periods_and_rate_periods() -> None:
    items = list(ITEMS)
    items[1] = item(2, f"{BASIC}_P1Y:Monthly", "Business Basic", commitment=12, status="endofsale")
    plan = plans_by_name(items=items)["Business Basic (NCE COM MTH)"]
    rates = {rate.resource_mpn: rate for rate in plan.resource_rates}
    assert [(p.mpn, p.active) for p in rates[BASIC].periods] == [
        (f"{BASIC}_P1M:Monthly", True),
        (f"{BASIC}_P1Y:Monthly", False),
    ]
    assert all(p.active for p in rates[ADDON].periods)
    # the plan period stays sellable while any resource has an item for it
    assert [p.active for p in plan.periods] == [True, True]
    items[7] = item(8, f"{ADDON}_P1Y:Monthly", "Archiving", commitment=12, status="endofsale")
    plan = plans_by_name(items=items)["Business Basic (NCE COM MTH)"]
    assert [p.active for p in plan.periods] == [True, False]
    assert plan.active


def _codes(offer: SourceOffer, items: list[SourceItem] = ITEMS) -> list[str]:
    grouped = group_offer(PRODUCT, items, offer, RULES)
    return sorted({e.code for e in grouped.events if e.level is Level.WARNING})


def _offer(**changes: object) -> SourceOffer:
    data = OFFER.as_dict() | changes
    return SourceOffer.from_dict(data)


@pytest.mark.parametrize(
    ("offer", "code"),
    [
        pytest.param(
            SourceOffer("OFR-1", PRODUCT.id, "x", "listed", PLANS, (*VALUES, value("PLN-9", 1))),
            codes.OFFER_UNKNOWN_PLAN,
            id="value-for-an-unknown-plan",
        ),
        pytest.param(
            SourceOffer(
                "OFR-1",
                PRODUCT.id,
                "x",
                "listed",
                PLANS,
                (*VALUES, OfferItemValue("PLN-1", "PRD-404", "monthly")),
            ),
            codes.OFFER_UNKNOWN_ITEM,
            id="item-not-in-the-product",
        ),
        pytest.param(
            SourceOffer("OFR-1", PRODUCT.id, "x", "listed", PLANS, (*VALUES, value("PLN-1", 1))),
            codes.OFFER_DUPLICATE_VALUE,
            id="item-twice-in-a-plan",
        ),
        pytest.param(
            SourceOffer(
                "OFR-1",
                PRODUCT.id,
                "x",
                "listed",
                PLANS,
                (OfferItemValue("PLN-1", iid(1), "yearly", 1, 300), *VALUES[1:]),
            ),
            codes.OFFER_PERIOD_MISMATCH,
            id="offer-period-disagrees-with-the-mpn",
        ),
        pytest.param(
            SourceOffer(
                "OFR-1",
                PRODUCT.id,
                "x",
                "listed",
                (OfferPlan("PLN-1", "Basic", ("monthly",), ("3y",)), PLANS[1]),
                VALUES,
            ),
            codes.OFFER_PERIOD_NOT_IN_PLAN,
            id="billing-and-commitment-not-declared",
        ),
        pytest.param(
            SourceOffer(
                "OFR-1",
                PRODUCT.id,
                "x",
                "listed",
                PLANS,
                (*VALUES[:5], value("PLN-1", 8, 5, 9), *VALUES[6:]),
            ),
            codes.OFFER_CONSTRAINT_CONFLICT,
            id="one-resource-two-constraints",
        ),
        pytest.param(
            SourceOffer("OFR-1", PRODUCT.id, "x", "listed", PLANS, VALUES[:5] + VALUES[6:]),
            codes.OFFER_RATE_PERIOD_MISSING,
            id="add-on-lacks-a-plan-period",
        ),
        pytest.param(
            SourceOffer(
                "OFR-1", PRODUCT.id, "x", "listed", (*PLANS, OfferPlan("PLN-3", "Empty")), VALUES
            ),
            codes.OFFER_PLAN_EMPTY,
            id="plan-without-items",
        ),
    ],
)
def test_offer_problems_are_warnings_naming_what_to_fix(offer: SourceOffer, code: str) -> None:
    assert _codes(offer) == [code]


def test_an_item_in_no_plan_stays_a_resource_with_an_info_event() -> None:
    items = [*ITEMS, item(9, "CFQ7TTC0ZZZZ:0001_P1M:Monthly", "Loose (NCE COM MTH)")]
    grouped = group_offer(PRODUCT, items, OFFER, RULES)
    assert "CFQ7TTC0ZZZZ:0001" in {r.mpn for r in grouped.product_line.resources}
    found = [e for e in grouped.events if e.code == codes.OFFER_ITEM_NOT_IN_PLAN]
    assert [(e.level, e.connect_item_id) for e in found] == [(Level.INFO, iid(9))]


def test_two_offer_plans_with_one_name_get_their_plan_id() -> None:
    plans = (PLANS[0], OfferPlan("PLN-2", "Business Basic", ("monthly", "yearly"), ("1y",), "", 3))
    names = sorted(plans_by_name(_offer(plans=[p.__dict__ for p in plans])))
    assert "Business Basic (NCE COM MTH) [PLN-2]" in names


def test_offer_round_trips_through_its_json_snapshot() -> None:
    offer = _offer(
        switches=[OfferSwitch("SW-1", "upgrade", "PLN-1", "PLN-2", "PRE-1", "Up").__dict__]
    )
    assert SourceOffer.from_dict(offer.as_dict()) == offer


@pytest.mark.parametrize(
    ("offers", "chosen"),
    [
        ([], None),
        ([SourceOffer("OFR-1", "P", "a", "private")], None),
        (
            [SourceOffer("OFR-1", "P", "a", "private"), SourceOffer("OFR-2", "P", "b", "ready")],
            "OFR-2",
        ),
        (
            [
                SourceOffer("OFR-1", "P", "a", "listed", updated_at="2026-10-01T00:00:00+00:00"),
                SourceOffer("OFR-2", "P", "b", "listed", updated_at="2026-11-01T00:00:00+00:00"),
            ],
            "OFR-2",
        ),
    ],
)
def test_only_a_published_offer_counts_the_newest_wins(
    offers: list[SourceOffer], chosen: str | None
) -> None:
    offer, notes = choose_offer(offers)
    assert (offer.id if offer else None) == chosen
    assert len(notes) == (1 if len([o for o in offers if o.is_published]) > 1 else 0)


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("1y", Period(1, Unit.YEAR)),
        ("3Y", Period(3, Unit.YEAR)),
        ("P36M", Period(36, Unit.MONTH)),
        ("12m", Period(12, Unit.MONTH)),
        ("yearly", Period(1, Unit.YEAR)),
        ("years_3", Period(3, Unit.YEAR)),
        ("monthly", Period(1, Unit.MONTH)),
        ("7d", Period(7, Unit.DAY)),
        ("forever", None),
        ("", None),
        ("0y", None),
    ],
)
def test_plan_commitments_parse(text: str, period: Period | None) -> None:
    assert parse_commitment(text) == period


@given(st.text(max_size=12))
def test_commitment_parser_never_raises(text: str) -> None:
    result = parse_commitment(text)
    assert result is None or result.duration >= 1


@given(st.integers(min_value=1, max_value=9999), st.sampled_from("DMY"))
def test_commitment_terms_round_trip(duration: int, letter: str) -> None:
    period = parse_commitment(f"P{duration}{letter}")
    assert period is not None
    assert period.term() == f"P{duration}{letter}"

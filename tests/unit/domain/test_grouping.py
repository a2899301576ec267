"""Grouping NCE-shaped flat items into the PLM hierarchy, level by level."""

from __future__ import annotations

import pytest

from plm_sync.domain import events as codes
from plm_sync.domain.catalog import ServicePlan
from plm_sync.domain.catalog_json import computed_line_json
from plm_sync.domain.events import Level
from plm_sync.domain.grouping import group_items
from plm_sync.domain.periods import (
    BillingVocabulary,
    BillingWord,
    Period,
    Unit,
    default_vocabulary,
)
from plm_sync.domain.rules import PlmRules, UpgradeMode
from plm_sync.domain.source import ItemType, SourceItem, SourceProduct

PRODUCT = SourceProduct("PRD-123-456-789", "Microsoft NCE", "Microsoft", "published")
RULES = PlmRules(
    vocabulary=BillingVocabulary(
        (
            *default_vocabulary().words,
            BillingWord("Triennial", Period(3, Unit.YEAR), "NCE COM TRI"),
        ),
        "NCE COM TRIAL",
    )
)
MONTH, YEAR, THREE_YEARS = Period(1, Unit.MONTH), Period(1, Unit.YEAR), Period(3, Unit.YEAR)


def item(
    number: int,
    mpn: str,
    name: str,
    *,
    period: str = "monthly",
    commitment: int = 1,
    item_type: ItemType = ItemType.RESERVATION,
    status: str = "published",
    unit: str = "Licenses",
) -> SourceItem:
    return SourceItem(
        id=f"{PRODUCT.id}-{number:04d}",
        product_id=PRODUCT.id,
        name=name,
        mpn=mpn,
        type=item_type,
        period=period,
        commitment_count=commitment,
        unit=unit,
        status=status,
    )


E3 = "CFQ7TTC0LFLZ:0002"
NCE_ITEMS = [
    item(1, f"{E3}_P1M:Monthly", "Microsoft 365 E3 (NCE COM MTH)"),
    item(2, f"{E3}_P1Y:Monthly", "Microsoft 365 E3 (NCE COM 1YR MTH)", commitment=12),
    item(3, f"{E3}_P1Y:Annual", "Microsoft 365 E3 (NCE COM 1YR ANN)", period="yearly"),
    item(
        4, f"{E3}_P3Y:Annual", "Microsoft 365 E3 (NCE COM 3YR ANN)", period="yearly", commitment=3
    ),
    item(5, f"{E3}_P3Y:Triennial", "Microsoft 365 E3 (NCE COM 3YR TRI)", period="years_3"),
    item(
        6,
        "CFQ7TTC0LF8R:0008_P1M:None",
        "Office 365 E3 Trial (NCE COM BAS 1MO)",
        period="monthly_trial",
    ),
    item(
        7,
        "DG7GMGF0GJC2:0003_P1Y:Annual",
        "Azure SQL Edge - 1 year (NCE COM BAS 1YR ANN)",
        period="yearly",
    ),
    item(8, "CFQ7TTC0LFLX:0001_ANNUAL", "Microsoft 365 E3 Annual NCE", period="yearly"),
    item(
        9,
        "AZURE-PLAN:0001_P1M:Monthly",
        "Azure Plan (NCE PAYG)",
        item_type=ItemType.PPU,
        unit="Units",
    ),
]


def plans_by_name(plans: tuple[ServicePlan, ...]) -> dict[str, ServicePlan]:
    return {plan.name: plan for plan in plans}


def test_one_resource_per_vendor_product_id() -> None:
    line = group_items(PRODUCT, NCE_ITEMS, RULES).product_line
    assert [(r.mpn, r.name, r.uom, r.measurable, r.as_is, r.active) for r in line.resources] == [
        ("AZURE-PLAN:0001", "Azure Plan", "Units", True, False, True),
        ("CFQ7TTC0LF8R:0008", "Office 365 E3 Trial", "Licenses", False, False, True),
        ("CFQ7TTC0LFLX:0001_ANNUAL", "Microsoft 365 E3 Annual NCE", "Licenses", False, True, True),
        ("CFQ7TTC0LFLZ:0002", "Microsoft 365 E3", "Licenses", False, False, True),
        ("DG7GMGF0GJC2:0003", "Azure SQL Edge - 1 year", "Licenses", False, False, True),
    ]
    assert (line.connect_product_id, line.name, line.vendor) == (
        "PRD-123-456-789",
        "Microsoft NCE",
        "Microsoft",
    )


def test_one_plan_per_resource_and_billing_period_named_by_label() -> None:
    plans = plans_by_name(group_items(PRODUCT, NCE_ITEMS, RULES).product_line.service_plans)
    e3 = {name: plan for name, plan in plans.items() if plan.resource_mpn == E3}
    assert sorted(e3) == [
        "Microsoft 365 E3 (NCE COM ANN)",
        "Microsoft 365 E3 (NCE COM MTH)",
        "Microsoft 365 E3 (NCE COM TRI)",
    ]
    assert e3["Microsoft 365 E3 (NCE COM MTH)"].billing_period == MONTH
    assert e3["Microsoft 365 E3 (NCE COM ANN)"].billing_period == YEAR
    assert e3["Microsoft 365 E3 (NCE COM TRI)"].billing_period == THREE_YEARS


def test_plan_periods_are_the_commitment_terms_with_their_flat_mpns() -> None:
    plans = plans_by_name(group_items(PRODUCT, NCE_ITEMS, RULES).product_line.service_plans)
    monthly = plans["Microsoft 365 E3 (NCE COM MTH)"]
    assert [(p.period, p.mpn, p.connect_item_id, p.trial) for p in monthly.periods] == [
        (MONTH, f"{E3}_P1M:Monthly", "PRD-123-456-789-0001", False),
        (YEAR, f"{E3}_P1Y:Monthly", "PRD-123-456-789-0002", False),
    ]
    annual = plans["Microsoft 365 E3 (NCE COM ANN)"]
    assert [p.period for p in annual.periods] == [YEAR, THREE_YEARS]


def test_every_plan_has_one_rate_with_a_period_per_subscription_period() -> None:
    line = group_items(PRODUCT, NCE_ITEMS, RULES).product_line
    for plan in line.service_plans:
        assert len(plan.resource_rates) == 1
        rate = plan.resource_rates[0]
        assert rate.resource_mpn == plan.resource_mpn
        assert (rate.min_units, rate.max_units) == (1, -1)
        assert [(p.period, p.mpn) for p in rate.periods] == [
            (p.period, p.mpn) for p in plan.periods
        ]
    single = plans_by_name(line.service_plans)["Microsoft 365 E3 (NCE COM TRI)"]
    assert len(single.resource_rates[0].periods) == 1


def test_trial_billing_none_gives_a_marked_trial_plan() -> None:
    plans = plans_by_name(group_items(PRODUCT, NCE_ITEMS, RULES).product_line.service_plans)
    trial = plans["Office 365 E3 Trial (NCE COM TRIAL)"]
    assert trial.trial is True
    assert trial.billing_period is None
    assert [(p.period, p.trial) for p in trial.periods] == [(MONTH, True)]


def test_as_is_item_is_its_own_resource_and_plan_from_its_connect_fields() -> None:
    grouped = group_items(PRODUCT, NCE_ITEMS, RULES)
    plan = plans_by_name(grouped.product_line.service_plans)["Microsoft 365 E3 Annual NCE"]
    assert plan.resource_mpn == "CFQ7TTC0LFLX:0001_ANNUAL"
    assert plan.billing_period == YEAR
    assert [(p.period, p.mpn) for p in plan.periods] == [(YEAR, "CFQ7TTC0LFLX:0001_ANNUAL")]
    info = [e for e in grouped.events if e.code == "mpn_no_suffix"]
    assert len(info) == 1
    assert info[0].level is Level.INFO
    assert info[0].connect_item_id == "PRD-123-456-789-0008"
    assert info[0].mpn == "CFQ7TTC0LFLX:0001_ANNUAL"


def test_as_is_commitment_multiplies_the_billing_period() -> None:
    items = [item(1, "LEGACY-1", "Legacy (X)", period="monthly", commitment=12)]
    plan = group_items(PRODUCT, items, RULES).product_line.service_plans[0]
    assert plan.name == "Legacy (X)"
    assert plan.billing_period == MONTH
    assert plan.periods[0].period == YEAR


def test_as_is_trial_period_from_connect() -> None:
    items = [item(1, "TRIAL-1", "Trial thing", period="days_30_trial")]
    plan = group_items(PRODUCT, items, RULES).product_line.service_plans[0]
    assert plan.trial is True
    assert plan.periods[0].period == Period(30, Unit.DAY)


def test_as_is_onetime_item_gives_no_plan_and_a_warning() -> None:
    grouped = group_items(PRODUCT, [item(1, "MPN-R-018", "Setup fee", period="onetime")], RULES)
    assert grouped.product_line.service_plans == ()
    assert [e.code for e in grouped.events] == [codes.ITEM_NO_RECURRING_PERIOD]


def test_item_without_mpn_is_an_error() -> None:
    grouped = group_items(PRODUCT, [item(1, " ", "Nameless")], RULES)
    assert grouped.product_line.resources == ()
    assert sum(event.level is Level.ERROR for event in grouped.events) == 1
    assert grouped.events[0].code == codes.ITEM_NO_MPN


def test_upgrade_paths_link_active_paid_siblings_and_trials() -> None:
    plans = plans_by_name(group_items(PRODUCT, NCE_ITEMS, RULES).product_line.service_plans)
    assert plans["Microsoft 365 E3 (NCE COM MTH)"].upgrade_paths == (
        "Microsoft 365 E3 (NCE COM ANN)",
        "Microsoft 365 E3 (NCE COM TRI)",
    )
    assert plans["Azure SQL Edge - 1 year (NCE COM ANN)"].upgrade_paths == ()
    assert plans["Office 365 E3 Trial (NCE COM TRIAL)"].upgrade_paths == ()


@pytest.mark.parametrize(
    ("mode", "trial_upgrades", "monthly_paths", "trial_paths"),
    [
        pytest.param(UpgradeMode.SIBLINGS, True, ["ANN"], ["ANN", "MTH"], id="siblings"),
        pytest.param(UpgradeMode.LONGER_BILLING, True, ["ANN"], ["ANN", "MTH"], id="longer"),
        pytest.param(UpgradeMode.SIBLINGS, False, ["ANN"], [], id="no-trial-upgrades"),
        pytest.param(UpgradeMode.NONE, True, [], [], id="none"),
    ],
)
def test_upgrade_modes(
    mode: UpgradeMode, trial_upgrades: bool, monthly_paths: list[str], trial_paths: list[str]
) -> None:
    rules = PlmRules(upgrade_mode=mode, trial_upgrades=trial_upgrades)
    items = [
        item(1, "A_P1M:Monthly", "A (x)"),
        item(2, "A_P1Y:Annual", "A (x)", period="yearly"),
        item(3, "A_P1M:None", "A (x)", period="monthly_trial"),
    ]
    plans = plans_by_name(group_items(PRODUCT, items, rules).product_line.service_plans)
    assert list(plans["A (NCE COM MTH)"].upgrade_paths) == [
        f"A (NCE COM {p})" for p in monthly_paths
    ]
    assert list(plans["A (NCE COM TRIAL)"].upgrade_paths) == [
        f"A (NCE COM {p})" for p in trial_paths
    ]
    annual = plans["A (NCE COM ANN)"].upgrade_paths
    assert annual == (() if mode is not UpgradeMode.SIBLINGS else ("A (NCE COM MTH)",))


def test_endofsale_items_stay_but_deactivated() -> None:
    items = [
        item(1, "A_P1M:Monthly", "A (x)", status="endofsale"),
        item(2, "A_P1Y:Monthly", "A (x)", commitment=12),
        item(3, "B_P1M:Monthly", "B (x)", status="endofsale"),
    ]
    line = group_items(PRODUCT, items, RULES).product_line
    plans = plans_by_name(line.service_plans)
    assert plans["A (NCE COM MTH)"].active is True
    assert [p.active for p in plans["A (NCE COM MTH)"].periods] == [False, True]
    assert plans["B (NCE COM MTH)"].active is False
    assert {r.mpn: r.active for r in line.resources} == {"A": True, "B": False}


@pytest.mark.parametrize(
    ("items", "code", "kept"),
    [
        pytest.param(
            [item(1, "A_P1M:Monthly", "Alpha (x)"), item(2, "A_P1Y:Monthly", "Beta (x)")],
            codes.RESOURCE_NAME_CONFLICT,
            2,
            id="two-names-one-vendor-id",
        ),
        pytest.param(
            [item(1, "A_P1M:Monthly", "A (x)"), item(2, "A_P1M:monthly", "A (x)")],
            codes.DUPLICATE_PERIOD,
            1,
            id="same-term-and-billing-twice",
        ),
        pytest.param(
            [item(1, "A_P1M:Monthly", "A (x)", period="yearly")],
            codes.PERIOD_MISMATCH,
            1,
            id="connect-period-disagrees",
        ),
        pytest.param(
            [item(1, "X", "X one", period="monthly"), item(2, "X", "X two", period="yearly")],
            codes.AS_IS_MPN_COLLISION,
            1,
            id="as-is-mpn-twice",
        ),
        pytest.param(
            [item(1, "A_BAD_P1M:Monthly", "Y (x)"), item(2, "A_BAD", "A bad", period="monthly")],
            codes.AS_IS_MPN_COLLISION,
            1,
            id="as-is-mpn-is-a-resource",
        ),
        pytest.param(
            [item(1, "A_P1M:Monthly", "Same (x)"), item(2, "B_P1M:Monthly", "Same (y)")],
            codes.PLAN_NAME_CONFLICT,
            2,
            id="two-plans-one-name",
        ),
    ],
)
def test_conflicts_are_warnings_and_the_first_item_wins(
    items: list[SourceItem], code: str, kept: int
) -> None:
    grouped = group_items(PRODUCT, items, RULES)
    warnings = [e for e in grouped.events if e.level is Level.WARNING]
    assert [e.code for e in warnings] == [code]
    assert warnings[0].connect_item_id is not None
    periods = [p for plan in grouped.product_line.service_plans for p in plan.periods]
    assert len(periods) == kept
    assert periods[0].connect_item_id == items[0].id


def test_plan_name_conflict_appends_the_resource_mpn() -> None:
    items = [item(1, "A_P1M:Monthly", "Same (x)"), item(2, "B_P1M:Monthly", "Same (y)")]
    names = [p.name for p in group_items(PRODUCT, items, RULES).product_line.service_plans]
    assert names == ["Same (NCE COM MTH)", "Same (NCE COM MTH) [B]"]


def test_output_is_the_same_whatever_the_item_order() -> None:
    forward = group_items(PRODUCT, NCE_ITEMS, RULES)
    backward = group_items(PRODUCT, list(reversed(NCE_ITEMS)), RULES)
    assert forward == backward


def test_custom_template_names_plans() -> None:
    rules = PlmRules(plan_name_template="{name} - {billing_duration} {billing_unit}")
    plan = group_items(PRODUCT, [item(1, "A_P1M:Monthly", "A (x)")], rules)
    assert plan.product_line.service_plans[0].name == "A - 1 month"


def test_catalog_json_shape() -> None:
    """A computed line as `plm-sync catalog` shows it once stored (DESIGN §6)."""
    line = group_items(PRODUCT, [item(1, "A_P1M:Monthly", "Cloud (NCE)")], RULES).product_line
    KEY = line.service_plans[0].key  # noqa: N806
    assert computed_line_json(line) == {
        "connect_product_id": "PRD-123-456-789",
        "name": "Microsoft NCE",
        "active": True,
        "plan_source": "mpn",
        "offer": None,
        "vendor": "Microsoft",
        "resources": [
            {
                "mpn": "A",
                "name": "Cloud",
                "uom": "Licenses",
                "measurable": False,
                "as_is": False,
                "active": True,
            }
        ],
        "service_plans": [
            {
                "name": "Cloud (NCE COM MTH)",
                "key": KEY,
                "description": "Cloud (NCE COM MTH)",
                "published": True,
                "resource_mpn": "A",
                "billing_period": {"duration": 1, "unit": "month"},
                "trial": False,
                "active": True,
                "periods": [
                    {
                        "duration": 1,
                        "unit": "month",
                        "trial": False,
                        "mpn": "A_P1M:Monthly",
                        "connect_item_id": "PRD-123-456-789-0001",
                        "active": True,
                    }
                ],
                "resource_rates": [
                    {
                        "resource_mpn": "A",
                        "min_units": 1,
                        "max_units": -1,
                        "active": True,
                        "periods": [
                            {"duration": 1, "unit": "month", "mpn": "A_P1M:Monthly", "active": True}
                        ],
                    }
                ],
                "upgrade_paths": [],
                "sharing": {"op_units": [], "reseller_groups": [], "op_unit_reseller_groups": {}},
                "offer_plan_id": None,
                "features": [],
            }
        ],
        "plan_switches": [],
        "resource_dependencies": [],
    }


def test_a_rule_following_item_claims_its_mpn_before_an_as_is_item() -> None:
    items = [item(1, "A_BAD", "A bad", period="monthly"), item(2, "A_BAD_P1M:Monthly", "Y (x)")]
    grouped = group_items(PRODUCT, items, RULES)
    assert [r.mpn for r in grouped.product_line.resources] == ["A_BAD"]
    assert grouped.product_line.resources[0].as_is is False
    collision = [e for e in grouped.events if e.code == codes.AS_IS_MPN_COLLISION]
    assert [e.connect_item_id for e in collision] == [items[0].id]

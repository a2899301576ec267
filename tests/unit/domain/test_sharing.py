"""Sharing rules: which plans they select and how they add up."""

from __future__ import annotations

import pytest

from plm_sync.domain.catalog import Sharing
from plm_sync.domain.grouping import group_items
from plm_sync.domain.rules import PlmRules
from plm_sync.domain.sharing import (
    PlanSelector,
    SharingRule,
    SharingRules,
    apply_sharing,
    sharing_difference,
)
from plm_sync.domain.source import ItemType, SourceItem, SourceProduct

PRODUCT = SourceProduct("PRD-111-222-333", "NCE", "Microsoft", "published")


def item(number: int, mpn: str, period: str = "monthly") -> SourceItem:
    return SourceItem(
        f"{PRODUCT.id}-{number:04d}",
        PRODUCT.id,
        "Thing (x)",
        mpn,
        ItemType.RESERVATION,
        period,
        1,
        "Licenses",
        "published",
    )


LINE = group_items(
    PRODUCT,
    [
        item(1, "A:1_P1M:Monthly"),
        item(2, "A:1_P1Y:Annual", "yearly"),
        item(3, "B:1_P1M:None", "monthly_trial"),
    ],
    PlmRules(),
).product_line
PLANS = {plan.name: plan for plan in LINE.service_plans}  # A monthly, A annual, B trial


@pytest.mark.parametrize(
    ("selector", "selected"),
    [
        pytest.param(
            PlanSelector(product="PRD-*"),
            {"Thing (NCE COM MTH)", "Thing (NCE COM ANN)", "Thing (NCE COM TRIAL)"},
            id="product-glob",
        ),
        pytest.param(PlanSelector(product="PRD-999-*"), set(), id="other-product"),
        pytest.param(
            PlanSelector(mpn="A:*"), {"Thing (NCE COM MTH)", "Thing (NCE COM ANN)"}, id="mpn-glob"
        ),
        pytest.param(PlanSelector(plan="*ANN)"), {"Thing (NCE COM ANN)"}, id="plan-glob"),
        pytest.param(PlanSelector(billing="month"), {"Thing (NCE COM MTH)"}, id="billing"),
        pytest.param(PlanSelector(trial=True), {"Thing (NCE COM TRIAL)"}, id="trial"),
        pytest.param(
            PlanSelector(mpn="A:*", billing="year", trial=False),
            {"Thing (NCE COM ANN)"},
            id="all-keys-must-match",
        ),
        pytest.param(PlanSelector(mpn="a:*"), set(), id="globs-are-case-sensitive"),
    ],
)
def test_selector_matching(selector: PlanSelector, selected: set[str]) -> None:
    assert {name for name, plan in PLANS.items() if selector.matches(PRODUCT.id, plan)} == selected


def test_rules_add_up_in_order_and_the_last_published_wins() -> None:
    rules = SharingRules(
        (
            SharingRule(PlanSelector(product="*"), op_units=("US",), published=False),
            SharingRule(
                PlanSelector(billing="month"),
                op_units=("DE", "US"),
                reseller_groups=("Gold",),
                op_unit_reseller_groups=(("US", ("L2",)),),
            ),
            SharingRule(
                PlanSelector(mpn="A:*"),
                published=True,
                op_unit_reseller_groups=(("US", ("L1",)),),
                op_units=("US",),
            ),
        )
    )
    plans = {plan.name: plan for plan in apply_sharing(LINE, rules).service_plans}
    monthly = plans["Thing (NCE COM MTH)"]
    assert monthly.sharing == Sharing(("DE", "US"), ("Gold",), (("US", ("L1", "L2")),))
    assert monthly.published is True
    trial = plans["Thing (NCE COM TRIAL)"]
    assert trial.sharing == Sharing(("US",))
    assert trial.published is False


def test_no_rules_share_with_nobody_and_publish() -> None:
    plans = apply_sharing(LINE, SharingRules()).service_plans
    assert all(plan.sharing == Sharing() and plan.published for plan in plans)


def test_sharing_difference_names_what_changed() -> None:
    before = Sharing(("US",), ("Gold",))
    after = Sharing(("DE", "US"), (), (("DE", ("L2",)),))
    assert sharing_difference(before, after) == (
        ["operating unit DE", "reseller group 'L2' under DE"],
        ["reseller group 'Gold'"],
    )

"""Add-ons (by Connect `parent` and by rule) and end-of-sale replacement switches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from types import MappingProxyType
from typing import Any

import pytest

from plm_sync.domain import events as codes
from plm_sync.domain.addons import AddonRule, AddonRules, ResourceMatch
from plm_sync.domain.catalog import PresetSettings, ProductLine, ServicePlan
from plm_sync.domain.catalog_json import computed_line_json
from plm_sync.domain.events import Event
from plm_sync.domain.lines import build_line, group_product, source_hash
from plm_sync.domain.operator_rules import OperatorRules
from plm_sync.domain.rules import Dependence
from plm_sync.domain.source import SourceItem
from plm_sync.domain.switches import SwitchRules
from tests.unit.domain.test_grouping import PRODUCT, RULES, item

BASE = "CFQ7TTC0LH18:0001"
ADDON = "CFQ7TTC0LHPG:0001"
LEGACY = "CFQ7TTC0LH0R:0001"
VARIANTS = {  # term:billing -> (Connect period, commitment count, label)
    "P1M:Monthly": ("monthly", 1, "NCE COM MTH"),
    "P1Y:Monthly": ("monthly", 12, "NCE COM 1YR MTH"),
    "P1Y:Annual": ("yearly", 1, "NCE COM 1YR ANN"),
}


def sku(
    first: int,
    vendor: str,
    name: str,
    terms: Sequence[str] = tuple(VARIANTS),
    **fields: Any,
) -> list[SourceItem]:
    rows = []
    for offset, term in enumerate(terms):
        period, count, label = VARIANTS[term]
        made = item(
            first + offset, f"{vendor}_{term}", f"{name} ({label})", period=period, commitment=count
        )
        rows.append(replace(made, **fields))
    return rows


def ident(number: int) -> str:
    return f"{PRODUCT.id}-{number:04d}"


def base_items() -> list[SourceItem]:
    return sku(1, BASE, "Microsoft 365 Business Basic")


def addon_items(terms: Sequence[str] = tuple(VARIANTS), **fields: Any) -> list[SourceItem]:
    rows = sku(11, ADDON, "Stream Storage Add-On", terms, **fields)
    parents = {term: ident(1 + index) for index, term in enumerate(VARIANTS)}
    return [
        replace(row, parent_id=parents[row.mpn.rpartition("_")[2]])
        if "parent_id" not in fields
        else row
        for row in rows
    ]


def build(
    items: list[SourceItem],
    addons: AddonRules | None = None,
    presets: dict[str, PresetSettings] | None = None,
    dependence: Dependence | None = None,
) -> tuple[ProductLine, list[Event]]:
    plm = RULES if dependence is None else replace(RULES, dependence=dependence)
    rules = OperatorRules(
        plm,
        switches=SwitchRules(presets=MappingProxyType(presets or {})),
        addons=addons or AddonRules(),
    )
    grouped, offer = group_product(PRODUCT, items, [], rules)
    line, events = build_line(grouped.product_line, rules, [], offer)
    return line, [*grouped.events, *events]


def plans_of(line: ProductLine, mpn: str) -> list[ServicePlan]:
    return [plan for plan in line.service_plans if plan.resource_mpn == mpn]


def addon_rate(plan: ServicePlan) -> Any:
    return next((rate for rate in plan.resource_rates if rate.addon), None)


def codes_of(events: list[Event]) -> list[str]:
    return [event.code for event in events]


def test_an_item_with_a_parent_is_a_rate_of_its_base_plans_not_a_plan() -> None:
    line, events = build(base_items() + addon_items())
    assert plans_of(line, ADDON) == []
    for plan in plans_of(line, BASE):
        rate = addon_rate(plan)
        assert rate is not None, plan.name
        assert (rate.resource_mpn, rate.min_units, rate.max_units) == (ADDON, 0, -1)
        # one rate period per plan period, keyed by the add-on item's flat MPN
        assert [p.period for p in rate.periods] == [p.period for p in plan.periods]
        assert all(p.mpn.startswith(ADDON) for p in rate.periods)
        assert next(r.resource_mpn for r in plan.resource_rates) == BASE
    shown = computed_line_json(line)  # as `plm-sync catalog` shows it once stored
    assert shown["resource_dependencies"] == [
        {
            "child_mpn": ADDON,
            "parent_mpn": BASE,
            "kind": "Requires",
            "multiplier": 1,
            "active": True,
        }
    ]
    assert codes_of(events).count(codes.ADDON_ATTACHED) == 1
    assert shown["service_plans"][0]["resource_rates"][-1]["addon"] is True


def test_a_rule_makes_add_ons_of_catalogs_without_parent() -> None:
    rule = AddonRule(
        1,
        addon=ResourceMatch(name=("*Add-On*",)),
        base=ResourceMatch(mpn=("CFQ7TTC0LH18:*",)),
        min_units=1,
        max_units=25,
        dependence=Dependence("Provided by", 2),
    )
    line, events = build(
        base_items() + sku(11, ADDON, "Stream Storage Add-On"), AddonRules(rules=(rule,))
    )
    assert plans_of(line, ADDON) == []
    rates = [addon_rate(plan) for plan in plans_of(line, BASE)]
    assert {(r.min_units, r.max_units) for r in rates} == {(1, 25)}
    assert [(d.kind, d.multiplier) for d in line.resource_dependencies] == [("Provided by", 2)]
    assert "addons.yaml: addons[1]" in next(
        e.message for e in events if e.code == codes.ADDON_ATTACHED
    )


def test_a_standalone_add_on_keeps_its_own_plans() -> None:
    rule = AddonRule(
        1, addon=ResourceMatch(mpn=(ADDON,)), base=ResourceMatch(mpn=(BASE,)), standalone=True
    )
    line, _ = build(
        base_items() + sku(11, ADDON, "Stream Storage Add-On"), AddonRules(rules=(rule,))
    )
    assert len(plans_of(line, ADDON)) == 2
    assert all(addon_rate(plan) is not None for plan in plans_of(line, BASE))


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        pytest.param(
            lambda: addon_items(terms=("P1M:Monthly",)),
            "is not in this product line",
            id="parent-not-in-line",
        ),
    ],
)
def test_an_add_on_whose_base_is_missing_keeps_its_plans(items: Any, expected: str) -> None:
    # the parent items are not in the line: only the add-on is synced
    line, events = build(items())
    assert plans_of(line, ADDON)
    assert line.resource_dependencies == ()
    (missing,) = [e for e in events if e.code == codes.ADDON_BASE_MISSING]
    assert expected in missing.message


def test_a_rule_whose_base_matches_nothing_warns() -> None:
    rule = AddonRule(1, addon=ResourceMatch(mpn=(ADDON,)), base=ResourceMatch(mpn=("NOPE*",)))
    line, events = build(base_items() + sku(11, ADDON, "Add-On"), AddonRules(rules=(rule,)))
    assert plans_of(line, ADDON)
    assert codes_of(events).count(codes.ADDON_BASE_MISSING) == 1


def test_a_plan_period_the_add_on_lacks_is_a_warning() -> None:
    line, events = build(base_items() + addon_items(terms=("P1M:Monthly", "P1Y:Annual")))
    monthly = next(p for p in plans_of(line, BASE) if p.name.endswith("(NCE COM MTH)"))
    rate = addon_rate(monthly)
    assert [p.mpn for p in rate.periods] == [f"{ADDON}_P1M:Monthly"]
    (warning,) = [e for e in events if e.code == codes.ADDON_PERIOD_MISSING]
    assert "P1Y" in warning.message
    assert monthly.name in warning.message


def test_an_add_on_with_no_plan_of_its_bases_billing_keeps_its_plans() -> None:
    base = sku(1, BASE, "Microsoft 365 Business Basic", ("P1Y:Annual",))
    addon = [replace(row, parent_id=ident(1)) for row in sku(11, ADDON, "Add-On", ("P1M:Monthly",))]
    line, events = build(base + addon)
    assert plans_of(line, ADDON)
    assert codes.ADDON_BASE_MISSING in codes_of(events)


def legacy_items(replacement: dict[str, str], status: str = "endofsale") -> list[SourceItem]:
    rows = sku(21, LEGACY, "Microsoft 365 Business Basic Legacy", ("P1M:Monthly", "P1Y:Annual"))
    return [
        replace(row, status=status, replacement_id=replacement.get(row.mpn.rpartition("_")[2]))
        for row in rows
    ]


def test_an_end_of_sale_item_switches_to_its_replacements_plan() -> None:
    eos = PresetSettings(immediate=False, upsize=False)
    items = base_items() + legacy_items({"P1M:Monthly": ident(1), "P1Y:Annual": ident(3)})
    line, _ = build(items, presets={"eos": eos})
    switches = {(s.source_plan, s.target_plan): s for s in line.plan_switches}
    monthly = switches[
        (
            "Microsoft 365 Business Basic Legacy (NCE COM MTH)",
            "Microsoft 365 Business Basic (NCE COM MTH)",
        )
    ]
    assert (monthly.operation, monthly.preset, monthly.active) == ("eos", "eos", True)
    assert monthly.preset_settings == eos
    assert dict(monthly.item_mapping) == {f"{LEGACY}_P1M:Monthly": f"{BASE}_P1M:Monthly"}
    assert len(switches) == 2
    # the old plans are inactive (end of sale); the paths stay active for their subscribers
    assert all(not plan.active for plan in plans_of(line, LEGACY))


def test_without_an_eos_preset_the_switch_takes_plms_defaults() -> None:
    line, _ = build(base_items() + legacy_items({"P1M:Monthly": ident(1)}))
    (switch,) = line.plan_switches
    assert switch.preset_settings == PresetSettings()


@pytest.mark.parametrize(
    ("replacement", "status", "fragment"),
    [
        pytest.param(
            {"P1M:Monthly": "PRD-999-0001"},
            "endofsale",
            "not an item of this product",
            id="unknown",
        ),
        pytest.param({"P1M:Monthly": ident(21)}, "endofsale", "endofsale", id="not-published"),
    ],
)
def test_a_replacement_that_cannot_be_used_is_a_warning(
    replacement: dict[str, str], status: str, fragment: str
) -> None:
    line, events = build(base_items() + legacy_items(replacement, status))
    assert line.plan_switches == ()
    (warning,) = [e for e in events if e.code == codes.REPLACEMENT_UNKNOWN]
    assert fragment in warning.message
    assert ident(21) in warning.message


def test_a_published_item_with_a_replacement_gives_no_switch() -> None:
    line, events = build(base_items() + legacy_items({"P1M:Monthly": ident(1)}, "published"))
    assert line.plan_switches == ()
    assert codes.REPLACEMENT_UNKNOWN not in codes_of(events)


def test_a_line_with_both_add_ons_and_replacements() -> None:
    items = base_items() + addon_items() + legacy_items({"P1Y:Annual": ident(3)})
    line, events = build(items)
    assert len(line.resource_dependencies) == 1
    assert len(line.plan_switches) == 1
    assert plans_of(line, ADDON) == []
    assert codes.ADDON_ATTACHED in codes_of(events)


def test_items_without_parent_or_replacement_keep_their_digest() -> None:
    """Pinned (digest version 2): the references count only when set."""
    rows = [item(1, "CFQ7TTC0HDK0:0001_P1M:Monthly", "Cloud (NCE COM MTH)")]
    product = replace(PRODUCT, id="PRD-1", name="P", vendor="V")
    rows = [replace(rows[0], id="PRD-1-0001", product_id="PRD-1")]
    assert source_hash(product, rows, "48153a89560f42d804bf0e0c174f3271") == (
        "f71628135df9948f4c62cd998069a496"
    )
    with_parent = [replace(rows[0], parent_id="PRD-1-0009")]
    assert source_hash(product, with_parent, "x") != source_hash(product, rows, "x")


def test_default_add_on_settings_leave_the_fingerprint_alone() -> None:
    plain = OperatorRules(RULES)
    assert OperatorRules(RULES, addons=AddonRules()).fingerprint == plain.fingerprint
    assert OperatorRules(replace(RULES, dependence=Dependence())).fingerprint == plain.fingerprint
    rule = AddonRule(1, addon=ResourceMatch(mpn=(ADDON,)), base=ResourceMatch(mpn=(BASE,)))
    assert OperatorRules(RULES, addons=AddonRules(rules=(rule,))).fingerprint != plain.fingerprint
    changed = OperatorRules(replace(RULES, dependence=Dependence("Provided by")))
    assert changed.fingerprint != plain.fingerprint

"""Plan switches: one-way paths, item mapping with "no item", every validation error."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from plm_sync.domain import events as codes
from plm_sync.domain.catalog import PresetSettings, ProductLine
from plm_sync.domain.catalog_json import computed_line_json
from plm_sync.domain.grouping import group_items
from plm_sync.domain.offer_plans import group_offer
from plm_sync.domain.offers import ConnectPreset, OfferPlan, OfferSwitch, SourceOffer
from plm_sync.domain.switches import (
    SwitchEnd,
    SwitchError,
    SwitchRule,
    SwitchRules,
    auto_mapping,
    resolve_switches,
)
from tests.unit.domain.test_grouping import PRODUCT, RULES, item
from tests.unit.domain.test_offer_plans import ADDON, BASIC, ITEMS, OFFER, STANDARD

UP = PresetSettings()
LATER = PresetSettings(immediate=False, upsize=False, downsize=True)
PRESETS = MappingProxyType({"Immediate upgrade": UP, "Downgrade at renewal": LATER})
CONNECT_PRESETS = (ConnectPreset("PRE-1", "Immediate upgrade"), ConnectPreset("PRE-2", "Other"))
UPGRADE = OfferSwitch("SW-1", "upgrade", "PLN-1", "PLN-2", "PRE-1", "Immediate upgrade")


def offer(*switches: OfferSwitch, plans: tuple[OfferPlan, ...] | None = None) -> SourceOffer:
    data = OFFER.as_dict()
    data["switches"] = [switch.__dict__ for switch in switches]
    data["presets"] = [preset.__dict__ for preset in CONNECT_PRESETS]
    if plans is not None:
        data["plans"] = [plan.__dict__ for plan in plans]
    return SourceOffer.from_dict(data)


def offer_line(source: SourceOffer) -> ProductLine:
    return group_offer(PRODUCT, ITEMS, source, RULES).product_line


def resolve(source: SourceOffer, *rules: SwitchRule) -> ProductLine:
    line, _ = resolve_switches(
        offer_line(source), source, SwitchRules("switches.yaml", PRESETS, rules)
    )
    return line


def overlay(items: dict[str, str | None]) -> SwitchRule:
    return SwitchRule(1, items=tuple(items.items()), connect_switch="SW-1")


MONTHLY_MAPPING = {
    f"{BASIC}_P1M:Monthly": f"{STANDARD}_P1M:Monthly",
    f"{BASIC}_P1Y:Monthly": None,
    f"{ADDON}_P1M:Monthly": f"{ADDON}_P1M:Monthly",
    f"{ADDON}_P1Y:Monthly": None,
    f"{BASIC}_P1Y:Annual": f"{STANDARD}_P1Y:Annual",
    f"{ADDON}_P1Y:Annual": f"{ADDON}_P1Y:Annual",
}


def test_a_connect_switch_is_one_way_per_billing_period() -> None:
    line = resolve(offer(UPGRADE), overlay(MONTHLY_MAPPING))
    paths = [(s.source_plan, s.target_plan) for s in line.plan_switches]
    assert paths == [
        ("Business Basic (NCE COM ANN)", "Business Standard (NCE COM ANN)"),
        ("Business Basic (NCE COM MTH)", "Business Standard (NCE COM MTH)"),
    ]
    switch = line.plan_switches[1]
    assert (switch.operation, switch.preset, switch.origin) == (
        "upgrade",
        "Immediate upgrade",
        "connect",
    )
    assert switch.connect_switch_id == "SW-1"
    assert switch.preset_settings == UP


def test_items_map_by_resource_and_term_the_tier_licence_to_the_other_tier() -> None:
    line = resolve(offer(UPGRADE), overlay(MONTHLY_MAPPING))
    annual = {s.source_plan: s for s in line.plan_switches}["Business Basic (NCE COM ANN)"]
    assert dict(annual.item_mapping) == {
        f"{BASIC}_P1Y:Annual": f"{STANDARD}_P1Y:Annual",
        f"{ADDON}_P1Y:Annual": f"{ADDON}_P1Y:Annual",
    }
    assert annual.resource_mapping == ((BASIC, STANDARD),)
    plans = {
        (p.offer_plan_id, p.billing_period.unit.value if p.billing_period else ""): p
        for p in offer_line(OFFER).service_plans
    }
    automatic = auto_mapping(plans["PLN-1", "year"], plans["PLN-2", "year"])
    assert automatic == dict(annual.item_mapping)


def test_an_operator_mapping_with_no_item_completes_a_connect_switch() -> None:
    line = resolve(offer(UPGRADE), overlay(MONTHLY_MAPPING))
    monthly = {s.source_plan: s for s in line.plan_switches}["Business Basic (NCE COM MTH)"]
    assert dict(monthly.item_mapping) == {
        f"{ADDON}_P1M:Monthly": f"{ADDON}_P1M:Monthly",
        f"{ADDON}_P1Y:Monthly": None,
        f"{BASIC}_P1M:Monthly": f"{STANDARD}_P1M:Monthly",
        f"{BASIC}_P1Y:Monthly": None,
    }
    (shown,) = [
        switch
        for switch in computed_line_json(line)["plan_switches"]
        if switch["source_plan"] == monthly.source_plan
        and switch["target_plan"] == monthly.target_plan
    ]
    assert shown["item_mapping"][f"{BASIC}_P1Y:Monthly"] is None
    assert shown["resource_mapping"] == [{"from": BASIC, "to": STANDARD}]


def test_a_path_says_nothing_about_the_way_back() -> None:
    line = resolve(offer(UPGRADE), overlay(MONTHLY_MAPPING))
    pairs = {(s.source_plan, s.target_plan) for s in line.plan_switches}
    assert all((target, source) not in pairs for source, target in pairs)


def test_end_of_sale_and_eos_switches_stay_inactive() -> None:
    ended = OfferSwitch(
        "SW-1", "upgrade", "PLN-1", "PLN-2", "PRE-1", "Immediate upgrade", active=False
    )
    line = resolve(offer(ended), overlay(MONTHLY_MAPPING))
    assert {s.active for s in line.plan_switches} == {False}
    eos = OfferSwitch("SW-1", "eos", "PLN-1", "PLN-2", "PRE-1", "Immediate upgrade")
    line = resolve(offer(eos), overlay(MONTHLY_MAPPING))
    assert {s.active for s in line.plan_switches} == {False}


def test_a_connect_preset_without_settings_gets_plm_defaults_and_says_so() -> None:
    switch = OfferSwitch("SW-1", "upgrade", "PLN-1", "PLN-2", "PRE-2", "Other")
    source = offer(switch)
    line, events = resolve_switches(
        offer_line(source),
        source,
        SwitchRules("switches.yaml", PRESETS, (overlay(MONTHLY_MAPPING),)),
    )
    assert {s.preset_settings for s in line.plan_switches} == {PresetSettings()}
    assert [e.code for e in events] == [codes.SWITCH_PRESET_DEFAULTS]


def test_plans_without_a_common_billing_give_a_warning_not_a_path() -> None:
    data = offer(UPGRADE).as_dict()
    data["values"] = [
        v
        for v in data["values"]
        if (v["plan_id"], v["period"]) in {("PLN-1", "monthly"), ("PLN-2", "yearly")}
    ]
    source = SourceOffer.from_dict(data)
    line, events = resolve_switches(
        offer_line(source), source, SwitchRules("switches.yaml", PRESETS, ())
    )
    assert line.plan_switches == ()
    assert [e.code for e in events] == [codes.SWITCH_NO_COMMON_BILLING]
    assert "SW-1" in events[0].message


MPN_ITEMS = [
    item(1, f"{BASIC}_P1M:Monthly", "Business Basic (NCE COM MTH)"),
    item(2, f"{BASIC}_P1Y:Annual", "Business Basic (NCE COM ANN)", period="yearly"),
    item(3, f"{BASIC}_P1M:None", "Business Basic Trial (NCE COM TRIAL)", period="monthly_trial"),
    item(4, f"{STANDARD}_P1M:Monthly", "Business Standard (NCE COM MTH)"),
]


def mpn_line() -> ProductLine:
    return group_items(PRODUCT, MPN_ITEMS, RULES).product_line


def rule(**changes: object) -> SwitchRule:
    values: dict[str, object] = {
        "number": 1,
        "source": SwitchEnd(mpn=BASIC, billing="month"),
        "target": SwitchEnd(mpn=STANDARD, billing="month"),
        "preset": "Immediate upgrade",
        "operation": "upgrade",
        "items": ((f"{BASIC}_P1M:Monthly", f"{STANDARD}_P1M:Monthly"),),
    }
    values.update(changes)
    return SwitchRule(**values)  # type: ignore[arg-type]


def resolve_mpn(*rules: SwitchRule) -> ProductLine:
    line, _ = resolve_switches(mpn_line(), None, SwitchRules("switches.yaml", PRESETS, rules))
    return line


def test_an_operator_switch_between_mpn_plans() -> None:
    (switch,) = resolve_mpn(rule()).plan_switches
    assert (switch.source_plan, switch.target_plan) == (
        "Business Basic (NCE COM MTH)",
        "Business Standard (NCE COM MTH)",
    )
    assert (switch.origin, switch.preset_settings) == ("mappings", UP)
    assert switch.resource_mapping == ((BASIC, STANDARD),)


def test_a_trial_switches_to_a_paid_plan_with_its_item_to_no_item() -> None:
    switch_rule = rule(
        source=SwitchEnd(mpn=BASIC, billing="trial"),
        target=SwitchEnd(plan="Business Basic (NCE COM ANN)"),
        items=((f"{BASIC}_P1M:None", None),),
    )
    (switch,) = resolve_mpn(switch_rule).plan_switches
    assert switch.item_mapping == ((f"{BASIC}_P1M:None", None),)
    assert switch.resource_mapping == ()


def test_without_items_an_operator_switch_maps_automatically() -> None:
    (switch,) = resolve_mpn(rule(items=None)).plan_switches
    assert switch.item_mapping == ((f"{BASIC}_P1M:Monthly", f"{STANDARD}_P1M:Monthly"),)


def test_an_operator_switch_for_another_product_is_not_applied() -> None:
    assert resolve_mpn(rule(product="PRD-OTHER")).plan_switches == ()
    other = rule(source=SwitchEnd(mpn="NOT-HERE", billing="month"))
    assert resolve_mpn(other).plan_switches == ()


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        pytest.param(
            (rule(product=PRODUCT.id, source=SwitchEnd(mpn="NOPE", billing="month")),),
            "switches.yaml: switches[1]: source {mpn=NOPE, billing=month} matches no service plan",
            id="source-not-found",
        ),
        pytest.param(
            (rule(target=SwitchEnd(mpn="NOPE", billing="month")),),
            "switches[1]: target {mpn=NOPE, billing=month} matches no service plan",
            id="target-not-found",
        ),
        pytest.param(
            (rule(target=SwitchEnd(mpn=BASIC)),),
            "target {mpn=CFQ7TTC0LH18:0001} matches 3 plans",
            id="ambiguous-end",
        ),
        pytest.param(
            (rule(target=SwitchEnd(mpn=BASIC, billing="month")),),
            "source and target are the same plan",
            id="source-is-target",
        ),
        pytest.param(
            (rule(items=()),),
            f"switches[1]: source item {BASIC}_P1M:Monthly is not mapped; map it to an item of "
            "'Business Standard (NCE COM MTH)' or to null (no item)",
            id="item-not-mapped",
        ),
        pytest.param(
            (rule(items=((f"{BASIC}_P1M:Monthly", f"{BASIC}_P1Y:Annual"),)),),
            f"item {BASIC}_P1M:Monthly maps to {BASIC}_P1Y:Annual, which is not an item of "
            "target plan 'Business Standard (NCE COM MTH)'",
            id="mapped-outside-the-target",
        ),
        pytest.param(
            (rule(items=((f"{BASIC}_P1M:Monthly", None), ("GHOST_P1M:Monthly", None))),),
            "item GHOST_P1M:Monthly is not an item of source plan 'Business Basic (NCE COM MTH)'",
            id="item-not-in-the-source",
        ),
        pytest.param(
            (rule(), rule(number=2, target=SwitchEnd(plan="Business Standard (NCE COM MTH)"))),
            "switches[2]: duplicate path 'Business Basic (NCE COM MTH)' -> "
            "'Business Standard (NCE COM MTH)'",
            id="duplicate-path",
        ),
    ],
)
def test_invalid_operator_switches_name_file_switch_and_item(
    rules: tuple[SwitchRule, ...], message: str
) -> None:
    with pytest.raises(SwitchError) as caught:
        resolve_mpn(*rules)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("switch", "message"),
    [
        pytest.param(
            OfferSwitch("SW-9", "upgrade", "PLN-1", "PLN-404", "PRE-1", "Immediate upgrade"),
            "Connect switch SW-9 of offer OFR-1: target plan 'PLN-404' not a plan of the offer",
            id="unknown-plan",
        ),
        pytest.param(
            OfferSwitch("SW-9", "upgrade", "PLN-1", "PLN-1", "PRE-1", "Immediate upgrade"),
            "Connect switch SW-9 of offer OFR-1: source and target are the same plan PLN-1",
            id="same-plan",
        ),
        pytest.param(
            OfferSwitch("SW-9", "upgrade", "PLN-1", "PLN-2", "PRE-404", "Nobody"),
            "Connect switch SW-9 of offer OFR-1: preset 'PRE-404' exists neither in Connect "
            "nor in switches.yaml presets",
            id="unknown-preset",
        ),
        pytest.param(
            OfferSwitch("SW-9", "teleport", "PLN-1", "PLN-2", "PRE-1", "Immediate upgrade"),
            "operation 'teleport' is not one of upgrade, downgrade, change, eos",
            id="unknown-operation",
        ),
    ],
)
def test_invalid_connect_switches_name_the_connect_id(switch: OfferSwitch, message: str) -> None:
    with pytest.raises(SwitchError) as caught:
        resolve(offer(switch))
    assert message in str(caught.value)


def test_a_connect_switch_and_an_operator_switch_on_one_path_is_a_duplicate() -> None:
    operator = rule(
        source=SwitchEnd(plan="Business Basic (NCE COM MTH)"),
        target=SwitchEnd(plan="Business Standard (NCE COM MTH)"),
        items=tuple((k, v) for k, v in MONTHLY_MAPPING.items() if "Annual" not in k),
        number=2,
    )
    with pytest.raises(SwitchError, match=r"duplicate path .* Connect switch SW-1"):
        resolve(offer(UPGRADE), overlay(MONTHLY_MAPPING), operator)


def test_auto_mapping_leaves_what_has_no_counterpart_to_the_operator() -> None:
    plans = {
        p.offer_plan_id: p
        for p in offer_line(OFFER).service_plans
        if p.billing_period and p.billing_period.unit.value == "month"
    }
    mapping = auto_mapping(plans["PLN-1"], plans["PLN-2"])
    assert mapping == {
        f"{BASIC}_P1M:Monthly": f"{STANDARD}_P1M:Monthly",
        f"{ADDON}_P1M:Monthly": f"{ADDON}_P1M:Monthly",
    }


def test_unmapped_source_items_are_an_error_naming_the_switch_and_the_item() -> None:
    with pytest.raises(SwitchError) as caught:
        resolve(offer(UPGRADE))
    text = str(caught.value)
    assert "Connect switch SW-1 of offer OFR-1" in text
    assert f"source item {BASIC}_P1Y:Monthly is not mapped" in text
    assert "connect_switch: SW-1" in text


def test_an_overlay_must_name_items_and_switches_that_exist() -> None:
    typo = overlay({**MONTHLY_MAPPING, "GHOST_P1M:Monthly": None})
    with pytest.raises(SwitchError, match=r"item GHOST_P1M:Monthly is not an item of its source"):
        resolve(offer(UPGRADE), typo)
    stray = SwitchRule(2, items=(("x", None),), product=PRODUCT.id, connect_switch="SW-404")
    with pytest.raises(SwitchError, match=r"connect_switch SW-404 is not a switch of this"):
        resolve(offer(UPGRADE), overlay(MONTHLY_MAPPING), stray)
    # without a product, an overlay may be meant for another line's offer
    loose = SwitchRule(2, items=(("x", None),), connect_switch="SW-404")
    assert resolve(offer(UPGRADE), overlay(MONTHLY_MAPPING), loose).plan_switches

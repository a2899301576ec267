"""End-of-sale replacements: one-way `eos` switches to the plans of replacing items.

A switch goes from an end-of-sale item's plan to the plan of the item Connect names as its
`replacement`. It maps the old item to its replacement and the plan's other items automatically
(same resource and term), leaving the rest without an item; it uses the `eos` preset of
`switches.yaml` when there is one, else PLM's defaults. It stays active while the old plan
has subscribers to move, so it is kept when the old plan is deactivated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from plm_sync.domain import events as codes
from plm_sync.domain.catalog import PlanSwitch, PresetSettings, ProductLine, ServicePlan
from plm_sync.domain.events import Event, Level
from plm_sync.domain.source import SourceItem
from plm_sync.domain.switches import auto_mapping, resource_mapping

EOS = "eos"  # the operation, and the preset looked up in switches.yaml
REPLACEMENT_ORIGIN = "replacement"


def replacement_pairs(
    product_id: str, items: Sequence[SourceItem]
) -> tuple[tuple[tuple[str, str], ...], list[Event]]:
    """(end-of-sale item, its published replacement) pairs; a warning for each unusable one."""
    by_id = {item.id: item for item in items}
    pairs: list[tuple[str, str]] = []
    events: list[Event] = []
    for item in sorted(items, key=lambda item: item.id):
        if item.status != "endofsale" or not item.replacement_id:
            continue
        new = by_id.get(item.replacement_id)
        if new is None or not new.is_active:
            state = "not an item of this product" if new is None else f"{new.status}"
            events.append(
                Event(
                    Level.WARNING,
                    codes.REPLACEMENT_UNKNOWN,
                    f"end-of-sale item {item.id} ({item.mpn}) names item {item.replacement_id} "
                    f"as its replacement, which is {state}: no switch path to it",
                    product_id,
                    item.id,
                    item.mpn,
                )
            )
            continue
        pairs.append((item.id, new.id))
    return tuple(pairs), events


def _same_billing(plan: ServicePlan, other: ServicePlan) -> bool:
    return plan.billing_period == other.billing_period and plan.trial == other.trial


def _period_mpn(plan: ServicePlan, item_id: str) -> str | None:
    return next((p.mpn for p in plan.periods if p.connect_item_id == item_id), None)


def add_replacement_switches(
    line: ProductLine, presets: Mapping[str, PresetSettings]
) -> tuple[ProductLine, list[Event]]:
    """The line with an `eos` switch per end-of-sale item's plan and its replacement's plan.

    A path the offer or switches.yaml already gives is kept as they give it.
    """
    if not line.replacements:
        return line, []
    plan_of = {
        period.connect_item_id: plan for plan in line.service_plans for period in plan.periods
    }
    events: list[Event] = []
    mappings: dict[tuple[str, str], dict[str, str | None]] = {}
    plans = {plan.name: plan for plan in line.service_plans}
    for old_id, new_id in line.replacements:
        source, holder = plan_of.get(old_id), plan_of.get(new_id)
        target = holder
        if source is not None and holder is not None and not _same_billing(source, holder):
            target = next(
                (
                    plan
                    for plan in sorted(line.service_plans, key=lambda plan: plan.name)
                    if plan.resource_mpn == holder.resource_mpn
                    and plan.offer_plan_id == holder.offer_plan_id
                    and _same_billing(plan, source)
                ),
                None,
            )
        if source is None or target is None:
            events.append(
                Event(
                    Level.WARNING,
                    codes.REPLACEMENT_NO_PLAN,
                    f"end-of-sale item {old_id} is replaced by item {new_id}, but "
                    + (
                        "the old item is in no plan"
                        if source is None
                        else f"no plan of the replacement has the billing period of {source.name!r}"
                    )
                    + ": no switch path",
                    line.connect_product_id,
                    old_id,
                )
            )
            continue
        if source.name == target.name:
            continue
        mapping = mappings.setdefault((source.name, target.name), auto_mapping(source, target))
        old_mpn, new_mpn = _period_mpn(source, old_id), _period_mpn(target, new_id)
        if old_mpn is not None:
            mapping[old_mpn] = new_mpn
    existing = {switch.key for switch in line.plan_switches}
    settings = presets.get(EOS, PresetSettings())
    added = []
    for (source_name, target_name), mapping in sorted(mappings.items()):
        source, target = plans[source_name], plans[target_name]
        for period in source.periods:  # what is left has no item on the other side
            mapping.setdefault(period.mpn, None)
        switch = PlanSwitch(
            source_plan=source_name,
            target_plan=target_name,
            preset=EOS,
            operation=EOS,
            item_mapping=tuple(sorted(mapping.items())),
            preset_settings=settings,
            resource_mapping=resource_mapping(source, target, mapping),
            origin=REPLACEMENT_ORIGIN,
            active=True,
        )
        if switch.key not in existing:
            added.append(switch)
    switches = tuple(
        sorted((*line.plan_switches, *added), key=lambda s: (s.source_plan, s.target_plan))
    )
    return replace(line, plan_switches=switches), events

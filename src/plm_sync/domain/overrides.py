"""Operator overrides: edits from the PLM workbook that later syncs keep."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from plm_sync.domain.catalog import ProductLine, ResourceRate, ServicePlan, Sharing
from plm_sync.domain.events import Event, Level

PLAN_FIELDS = ("name", "description", "published", "op_units", "reseller_groups")
RATE_FIELDS = ("min_units", "max_units")
OVERRIDE_SHADOWS_CHANGE = "override_shadows_change"
OVERRIDE_ORPHANED = "override_orphaned"


@dataclass(frozen=True)
class Override:
    """One field of one plan (or of its resource rate) set by an operator.

    `base_value` is what the sync computed when the operator made the edit: when the sync
    later computes something else, the override still wins and an event says so.
    """

    key: str
    field: str
    value: Any
    base_value: Any = None


def plan_values(plan: ServicePlan) -> dict[str, Any]:
    """The overridable fields of a plan and its (first) rate, as plain JSON values."""
    rate = plan.resource_rates[0] if plan.resource_rates else None
    return {
        "name": plan.name,
        "description": plan.description or plan.name,
        "published": plan.published,
        "op_units": list(plan.sharing.op_units),
        "reseller_groups": list(plan.sharing.reseller_groups),
        "min_units": rate.min_units if rate else None,
        "max_units": rate.max_units if rate else None,
    }


def _overridden(plan: ServicePlan, values: dict[str, Any]) -> ServicePlan:
    units = tuple(sorted(values["op_units"]))
    sharing = Sharing(
        op_units=units,
        reseller_groups=tuple(sorted(values["reseller_groups"])),
        # groups under a unit the operator removed go with it (they need the unit)
        op_unit_reseller_groups=tuple(
            (unit, groups) for unit, groups in plan.sharing.op_unit_reseller_groups if unit in units
        ),
    )
    rates = tuple(
        replace(rate, min_units=values["min_units"], max_units=values["max_units"])
        if isinstance(rate, ResourceRate) and index == 0
        else rate
        for index, rate in enumerate(plan.resource_rates)
    )
    return replace(
        plan,
        name=values["name"],
        description=values["description"],
        published=values["published"],
        sharing=sharing,
        resource_rates=rates,
    )


def apply_overrides(
    line: ProductLine, overrides: list[Override]
) -> tuple[ProductLine, list[Event]]:
    """Apply the operator's values to the plans they name (by plan key).

    Rules:
    - an override replaces the computed value of its field; a renamed plan keeps its
      identity (resource and billing) and upgrade paths that named it follow the new name;
    - when the sync now computes a value different from the one the operator overrode
      (`base_value`), the override wins and an `override_shadows_change` event says so;
    - an override whose plan no longer exists is reported (`override_orphaned`) and ignored.
    """
    by_key: dict[str, list[Override]] = {}
    for override in overrides:
        by_key.setdefault(override.key, []).append(override)
    events: list[Event] = []
    renamed: dict[str, str] = {}
    plans = []
    for plan in line.service_plans:
        found = by_key.pop(plan.key, [])
        if not found:
            plans.append(plan)
            continue
        values = plan_values(plan)
        for override in found:
            computed = values.get(override.field)
            if override.base_value is not None and computed != override.base_value:
                events.append(
                    Event(
                        Level.INFO,
                        OVERRIDE_SHADOWS_CHANGE,
                        f"plan {plan.name!r}: Connect and the rules now give {override.field} = "
                        f"{computed!r} (was {override.base_value!r}); the operator's value "
                        f"{override.value!r} from the workbook is kept",
                        line.connect_product_id,
                    )
                )
            values[override.field] = override.value
        changed = _overridden(plan, values)
        if changed.name != plan.name:
            renamed[plan.name] = changed.name
        plans.append(changed)
    for key, orphans in sorted(by_key.items()):
        events.append(
            Event(
                Level.INFO,
                OVERRIDE_ORPHANED,
                f"operator edits of plan {key} ({', '.join(o.field for o in orphans)}) are kept "
                "but have no plan to apply to: Connect no longer offers it",
                line.connect_product_id,
            )
        )
    if renamed:
        plans = [
            replace(
                plan,
                upgrade_paths=tuple(sorted(renamed.get(name, name) for name in plan.upgrade_paths)),
            )
            for plan in plans
        ]
    return replace(line, service_plans=tuple(sorted(plans, key=lambda p: p.name))), events

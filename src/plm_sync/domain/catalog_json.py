"""A product line as catalog JSON (DESIGN §6): the one producer, for stored and computed lines.

The store reads a line's rows and gives them here (`CatalogRepository.catalog`); a line
computed in memory goes through the same rows first (`computed_line_json`: `flatten`), so
what a test sees of a computed line is what `plm-sync catalog` prints once it is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from plm_sync.domain.catalog import ProductLine
from plm_sync.domain.line_rows import (
    PLAN_PERIODS,
    PLAN_SWITCHES,
    RESOURCE_DEPENDENCIES,
    RESOURCE_RATE_PERIODS,
    RESOURCE_RATES,
    RESOURCES,
    SERVICE_PLANS,
    UPGRADE_PATHS,
    flatten,
    line_header,
)


def computed_line_json(line: ProductLine) -> dict[str, Any]:
    """A line computed in memory, as the catalog JSON it is once stored."""
    desired = flatten(line)
    header = SimpleNamespace(connect_product_id=line.connect_product_id, **line_header(line, ""))
    return line_json(
        header,
        lambda table: [SimpleNamespace(key=key, **row) for key, row in desired[table].items()],
    )


def line_json(line: Any, rows: Callable[[str], list[Any]]) -> dict[str, Any]:  # noqa: ANN401 - a row
    """One product line in the JSON shape of DESIGN §6, sorted for stable output.

    `line`: its own row (attributes `connect_product_id`, `name`, `vendor`, `active`,
    `plan_source`, `offer_id`, `offer_name`); `rows`: its rows of a catalog table, by the
    table's name (`line_rows.TABLES`), as objects with the columns as attributes.
    """
    resources = sorted(rows(RESOURCES), key=lambda r: r.mpn)
    plans = rows(SERVICE_PLANS)
    periods = _by(rows(PLAN_PERIODS), "plan_key")
    rates = _by(rows(RESOURCE_RATES), "plan_key")
    rate_periods = _by(rows(RESOURCE_RATE_PERIODS), "rate_key")
    paths = _by(rows(UPGRADE_PATHS), "plan_key")
    switches = sorted(rows(PLAN_SWITCHES), key=lambda s: (s.source_plan, s.target_plan))
    dependencies = sorted(
        rows(RESOURCE_DEPENDENCIES),
        key=lambda d: (d.child_mpn, d.parent_mpn),
    )
    return {
        "connect_product_id": line.connect_product_id,
        "name": line.name,
        "vendor": line.vendor,
        "active": line.active,
        "plan_source": line.plan_source,
        "offer": {"id": line.offer_id, "name": line.offer_name} if line.offer_id else None,
        "resources": [
            {
                "mpn": r.mpn,
                "name": r.name,
                "uom": r.uom,
                "measurable": r.measurable,
                "as_is": r.as_is,
                "active": r.active,
            }
            for r in resources
        ],
        "service_plans": [
            _plan_json(plan, periods, rates, rate_periods, paths)
            for plan in sorted(plans, key=lambda p: p.name)
        ],
        "plan_switches": [_switch_json(switch) for switch in switches],
        "resource_dependencies": [
            {
                "child_mpn": d.child_mpn,
                "parent_mpn": d.parent_mpn,
                "kind": d.kind,
                "multiplier": d.multiplier,
                "active": d.active,
            }
            for d in dependencies
        ],
    }


def _switch_json(switch: Any) -> dict[str, Any]:  # noqa: ANN401 - a row
    return {
        "source_plan": switch.source_plan,
        "target_plan": switch.target_plan,
        "preset": switch.preset,
        "operation": switch.operation,
        "item_mapping": dict(sorted(switch.item_mapping.items())),
        "preset_settings": switch.preset_settings,
        "resource_mapping": [
            {"from": source, "to": target} for source, target in switch.resource_mapping
        ],
        "origin": switch.origin,
        "connect_switch_id": switch.connect_switch_id,
        "active": switch.active,
    }


def _by(rows: list[Any], attribute: str) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = {}
    for row in rows:
        grouped.setdefault(getattr(row, attribute), []).append(row)
    return grouped


def _plan_json(
    plan: Any,  # noqa: ANN401 - a row
    periods: dict[str, list[Any]],
    rates: dict[str, list[Any]],
    rate_periods: dict[str, list[Any]],
    paths: dict[str, list[Any]],
) -> dict[str, Any]:
    billing = (
        {"duration": plan.billing_duration, "unit": plan.billing_unit}
        if plan.billing_duration is not None
        else None
    )
    return {
        "name": plan.name,
        "key": plan.key,
        "description": plan.description,
        "published": plan.published,
        "resource_mpn": plan.resource_mpn,
        "billing_period": billing,
        "trial": plan.trial,
        "active": plan.active,
        "periods": [
            {
                "duration": p.duration,
                "unit": p.unit,
                "trial": p.trial,
                "mpn": p.mpn,
                "connect_item_id": p.connect_item_id,
                "active": p.active,
            }
            for p in sorted(periods.get(plan.key, []), key=lambda p: (p.position, p.mpn))
        ],
        "resource_rates": [
            {
                "resource_mpn": rate.resource_mpn,
                "min_units": rate.min_units,
                "max_units": rate.max_units,
                "active": rate.active,
                "periods": [
                    {"duration": p.duration, "unit": p.unit, "mpn": p.mpn, "active": p.active}
                    for p in sorted(
                        rate_periods.get(rate.key, []), key=lambda p: (p.position, p.mpn)
                    )
                ],
            }
            | ({"addon": True} if rate.addon else {})
            for rate in sorted(rates.get(plan.key, []), key=lambda r: r.resource_mpn)
        ],
        "upgrade_paths": sorted(
            path.target_name for path in paths.get(plan.key, []) if path.active
        ),
        "sharing": plan.sharing,
        "offer_plan_id": plan.offer_plan_id,
        "features": plan.features or [],
    }

"""A product line as the rows each catalog table should hold, by natural key (pure).

`flatten` turns a computed line into the rows of the eight catalog tables (by table name, then
by the row's key in its line); `row_digest` is the content hash a stored row is compared by;
`catalog_digest` is one hash of all of a line's rows, what a push compares to tell a line it
already delivered from one that changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plm_sync.domain.catalog import ProductLine
from plm_sync.domain.digests import content_hash

Values = dict[str, Any]
Rows = dict[str, Values]  # one table's rows of a line, by key
Desired = dict[str, Rows]  # by table name

# the catalog tables, in the order a line's rows are diffed and written
RESOURCES = "resources"
SERVICE_PLANS = "service_plans"
PLAN_PERIODS = "plan_periods"
RESOURCE_RATES = "resource_rates"
RESOURCE_RATE_PERIODS = "resource_rate_periods"
UPGRADE_PATHS = "upgrade_paths"
PLAN_SWITCHES = "plan_switches"
RESOURCE_DEPENDENCIES = "resource_dependencies"
TABLES = (
    RESOURCES,
    SERVICE_PLANS,
    PLAN_PERIODS,
    RESOURCE_RATES,
    RESOURCE_RATE_PERIODS,
    UPGRADE_PATHS,
    PLAN_SWITCHES,
    RESOURCE_DEPENDENCIES,
)


def row_digest(values: Mapping[str, Any]) -> str:
    """The content hash of a catalog row's values (its columns but the bookkeeping ones).

    A column added later and still empty (None) is not in the canonical form: rows stored
    before it keep their digest.
    """
    return content_hash(values)


def catalog_digest(digests: Mapping[str, Mapping[str, str]]) -> str:
    """One hash of a line's rows: their row digests by table and key.

    Computed from the rows a line should hold when it is written, and from the stored rows'
    digests by the migration that introduced it (rows a line no longer has are stored with an
    empty digest and left out): both give the same value for the same rows.
    """
    return content_hash(
        {table: dict(sorted(rows.items())) for table, rows in sorted(digests.items()) if rows}
    )


def line_header(line: ProductLine, source_hash: str) -> Values:
    """The product line's own row: what it is named, where its plans come from."""
    return {
        "name": line.name,
        "vendor": line.vendor,
        "active": True,
        "source_hash": source_hash,
        "plan_source": line.plan_source,
        "offer_id": line.offer_id or None,
        "offer_name": line.offer_name or None,
    }


def flatten(line: ProductLine) -> Desired:
    """The rows each catalog table should hold for this line, by natural key."""
    desired: Desired = {table: {} for table in TABLES}
    for resource in line.resources:
        desired[RESOURCES][resource.mpn] = {
            "mpn": resource.mpn,
            "name": resource.name,
            "uom": resource.uom,
            "measurable": resource.measurable,
            "as_is": resource.as_is,
            "active": resource.active,
        }
    keys = {plan.name: plan.key for plan in line.service_plans}
    for plan in line.service_plans:
        pkey = keys[plan.name]
        desired[SERVICE_PLANS][pkey] = {
            "name": plan.name,
            "resource_mpn": plan.resource_mpn,
            "billing_duration": plan.billing_period.duration if plan.billing_period else None,
            "billing_unit": plan.billing_period.unit.value if plan.billing_period else None,
            "trial": plan.trial,
            "sharing": plan.sharing.as_dict(),
            "published": plan.published,
            "description": plan.description or plan.name,
            "offer_plan_id": plan.offer_plan_id or None,
            "features": [feature.as_dict() for feature in plan.features] or None,
            "active": plan.active,
        }
        for position, period in enumerate(plan.periods):
            desired[PLAN_PERIODS][f"{pkey}|{period.mpn}"] = {
                "plan_key": pkey,
                "duration": period.period.duration,
                "unit": period.period.unit.value,
                "trial": period.trial,
                "mpn": period.mpn,
                "connect_item_id": period.connect_item_id,
                "position": position,
                "active": period.active,
            }
        for rate in plan.resource_rates:
            rkey = f"{pkey}|{rate.resource_mpn}"
            desired[RESOURCE_RATES][rkey] = {
                "plan_key": pkey,
                "resource_mpn": rate.resource_mpn,
                "min_units": rate.min_units,
                "max_units": rate.max_units,
                "addon": True if rate.addon else None,
                "active": plan.active,
            }
            for position, rate_period in enumerate(rate.periods):
                desired[RESOURCE_RATE_PERIODS][f"{rkey}|{rate_period.mpn}"] = {
                    "rate_key": rkey,
                    "duration": rate_period.period.duration,
                    "unit": rate_period.period.unit.value,
                    "mpn": rate_period.mpn,
                    "position": position,
                    "active": rate_period.active,
                }
        for target in plan.upgrade_paths:
            tkey = keys[target]
            desired[UPGRADE_PATHS][f"{pkey}>{tkey}"] = {
                "plan_key": pkey,
                "target_plan_key": tkey,
                "target_name": target,
                "active": True,
            }
    for switch in line.plan_switches:  # keyed by plan keys: a plan rename updates the path
        skey = f"{keys[switch.source_plan]}>{keys[switch.target_plan]}"
        desired[PLAN_SWITCHES][skey] = {
            "source_plan": switch.source_plan,
            "target_plan": switch.target_plan,
            "preset": switch.preset,
            "operation": switch.operation,
            "item_mapping": dict(switch.item_mapping),
            "preset_settings": switch.preset_settings.as_dict(),
            "resource_mapping": [list(pair) for pair in switch.resource_mapping],
            "origin": switch.origin,
            "connect_switch_id": switch.connect_switch_id or None,
            "active": switch.active,
        }
    for dependency in line.resource_dependencies:
        desired[RESOURCE_DEPENDENCIES][dependency.key] = {
            "child_mpn": dependency.child_mpn,
            "parent_mpn": dependency.parent_mpn,
            "kind": dependency.kind,
            "multiplier": dependency.multiplier,
            "active": True,
        }
    return desired

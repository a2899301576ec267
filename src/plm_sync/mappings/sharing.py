"""`sharing.yaml`: which operating units and reseller groups may sell which plans; validated."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from plm_sync.domain.periods import Unit
from plm_sync.domain.sharing import PlanSelector, SharingRule, SharingRules
from plm_sync.errors import MappingsError
from plm_sync.mappings.files import Problems, read_yaml

SHARING_FILE = "sharing.yaml"
_SHARING_KEYS = {"marketplaces", "op_units", "rules", "from_listings"}
_RULE_KEYS = {"match", "op_units", "reseller_groups", "op_unit_reseller_groups", "published"}
_MATCH_KEYS = {"product", "mpn", "plan", "billing", "trial"}
_UNIT_CODE = re.compile(r"[A-Za-z0-9_]+")
_MARKETPLACE = re.compile(r"MP-[0-9A-Za-z-]+")


def _names(problems: Problems, key: str, value: Any) -> list[str]:
    """A list of non-empty names, each once."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        problems.add(key, 'must be a list of names, e.g. ["Direct Gold"]')
        return []
    for name in sorted({v for v in value if value.count(v) > 1}):
        problems.add(key, f"{name!r} is listed twice")
    return list(dict.fromkeys(value))


def _selector(problems: Problems, key: str, match: Any) -> PlanSelector:
    if not isinstance(match, dict) or not match:
        problems.add(
            key,
            'needs a non-empty selector, e.g. {product: "PRD-*"}; an empty one would '
            "share every plan",
        )
        return PlanSelector()
    problems.unknown_keys(key, match, _MATCH_KEYS)
    values: dict[str, Any] = {}
    for name in ("product", "mpn", "plan"):
        if name in match:
            if isinstance(match[name], str) and match[name]:
                values[name] = match[name]
            else:
                problems.add(f"{key}.{name}", 'must be a text or glob such as "PRD-*"')
    if "billing" in match:
        if match["billing"] in {unit.value for unit in Unit}:
            values["billing"] = match["billing"]
        else:
            problems.add(f"{key}.billing", "must be day, month or year (the billing unit)")
    if "trial" in match:
        if isinstance(match["trial"], bool):
            values["trial"] = match["trial"]
        else:
            problems.add(f"{key}.trial", "must be true or false")
    return PlanSelector(**values)


def _units(
    problems: Problems,
    key: str,
    value: Any,
    marketplaces: dict[str, str],
    known: set[str],
) -> list[str]:
    """Unit codes (marketplace ids are translated), each declared."""
    units = []
    for name in _names(problems, key, value):
        code = marketplaces.get(name, name)
        if _MARKETPLACE.fullmatch(name) and name not in marketplaces:
            problems.add(key, f"marketplace {name} is not in 'marketplaces'")
            continue
        if code not in known:
            problems.add(
                key,
                f"operating unit {code!r} is unknown; declare it under 'op_units' or map "
                "a marketplace to it under 'marketplaces'",
            )
            continue
        units.append(code)
    return units


def _rule(
    problems: Problems,
    index: int,
    raw: Any,
    marketplaces: dict[str, str],
    known: set[str],
) -> SharingRule | None:
    key = f"rules[{index}]"
    if not isinstance(raw, dict):
        problems.add(key, "must be a mapping with 'match' and what to share")
        return None
    problems.unknown_keys(key, raw, _RULE_KEYS)
    selector = _selector(problems, f"{key}.match", raw.get("match"))
    units = _units(problems, f"{key}.op_units", raw.get("op_units"), marketplaces, known)
    groups = _names(problems, f"{key}.reseller_groups", raw.get("reseller_groups"))
    nested_raw = raw.get("op_unit_reseller_groups") or {}
    nested: list[tuple[str, tuple[str, ...]]] = []
    if not isinstance(nested_raw, dict):
        problems.add(f"{key}.op_unit_reseller_groups", "must map a unit to a list of groups")
        nested_raw = {}
    for unit_name, names in nested_raw.items():
        where = f"{key}.op_unit_reseller_groups.{unit_name}"
        (code,) = _units(problems, where, [str(unit_name)], marketplaces, known) or ("",)
        if code and code not in units:
            problems.add(
                where,
                f"shares with resellers under operating unit {code} but not with {code} "
                f"itself; add {code} to this rule's op_units",
            )
        if code:
            nested.append((code, tuple(_names(problems, where, names))))
    published = raw.get("published")
    if published is not None and not isinstance(published, bool):
        problems.add(f"{key}.published", "must be true or false")
        published = None
    return SharingRule(selector, tuple(units), tuple(groups), tuple(nested), published)


def load_sharing_rules(folder: Path) -> SharingRules:
    """Read `sharing.yaml` (missing = share nothing) and validate all of it.

    Raises MappingsError listing every problem with file, rule number and unit or group.
    """
    path = folder / SHARING_FILE
    if not path.exists():
        return SharingRules()
    data = read_yaml(path)
    problems = Problems(path)
    problems.unknown_keys("", data, _SHARING_KEYS)
    marketplaces_raw = data.get("marketplaces") or {}
    marketplaces: dict[str, str] = {}
    if not isinstance(marketplaces_raw, dict):
        problems.add("marketplaces", "must map Connect marketplace ids to unit codes")
        marketplaces_raw = {}
    for market, unit in marketplaces_raw.items():
        if not _MARKETPLACE.fullmatch(str(market)):
            problems.add(f"marketplaces.{market}", "is not a Connect marketplace id (MP-...)")
        elif not isinstance(unit, str) or not _UNIT_CODE.fullmatch(unit):
            problems.add(f"marketplaces.{market}", "must map to a unit code such as US")
        else:
            marketplaces[str(market)] = unit
    declared = data.get("op_units") or []
    if not isinstance(declared, list) or not all(
        isinstance(code, str) and _UNIT_CODE.fullmatch(code) for code in declared
    ):
        problems.add("op_units", "must be a list of unit codes such as [US, DE]")
        declared = []
    known = set(marketplaces.values()) | set(declared)
    raw_rules = data.get("rules") or []
    if not isinstance(raw_rules, list):
        problems.add("rules", "must be a list of rules")
        raw_rules = []
    rules = [
        _rule(problems, index, raw, marketplaces, known)
        for index, raw in enumerate(raw_rules, start=1)
    ]
    from_listings = data.get("from_listings", False)
    if not isinstance(from_listings, bool):
        problems.add("from_listings", "must be true or false")
        from_listings = False
    if problems.items:
        raise MappingsError(problems.items)
    return SharingRules(
        tuple(rule for rule in rules if rule is not None),
        from_listings=from_listings,
        marketplace_units=tuple(sorted(marketplaces.items())),
    )

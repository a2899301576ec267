"""`mappings/switches.yaml`: switch presets and plan switches the operator adds (DESIGN §9)."""

from __future__ import annotations

import re
from pathlib import Path
from types import MappingProxyType
from typing import Any

from plm_sync.domain.catalog import PresetSettings
from plm_sync.domain.offers import SWITCH_OPERATIONS
from plm_sync.domain.switches import SwitchEnd, SwitchRule, SwitchRules
from plm_sync.errors import MappingsError
from plm_sync.mappings.files import Problems, read_yaml

SWITCHES_FILE = "switches.yaml"
_TOP_KEYS = {"presets", "switches"}
_PRESET_FLAGS = ("immediate", "period_change", "upsize", "downsize", "partial")
_PRESET_KEYS = {*_PRESET_FLAGS, "start_date"}
_SWITCH_KEYS = {"source", "target", "preset", "operation", "items", "product", "connect_switch"}
_OVERLAY_KEYS = {"connect_switch", "product", "items"}
_END_KEYS = {"plan", "mpn", "offer_plan", "billing"}
_BILLING = re.compile(r"day|month|year|trial|P[1-9][0-9]{0,3}[DMY]")


def _preset(problems: Problems, name: str, raw: Any) -> PresetSettings | None:
    key = f"presets.{name}"
    if not isinstance(raw, dict):
        problems.add(key, "must be a mapping such as {immediate: true, upsize: true}")
        return None
    problems.unknown_keys(key, raw, _PRESET_KEYS)
    values: dict[str, Any] = {}
    for flag in _PRESET_FLAGS:
        if flag in raw:
            if isinstance(raw[flag], bool):
                values[flag] = raw[flag]
            else:
                problems.add(f"{key}.{flag}", "must be true or false")
    if "start_date" in raw:
        if isinstance(raw["start_date"], str) and raw["start_date"].strip():
            values["start_date"] = raw["start_date"].strip()
        else:
            problems.add(f"{key}.start_date", 'must be PLM\'s text, e.g. "Date of upgrade"')
    return PresetSettings(**values)


def _end(problems: Problems, key: str, raw: Any) -> SwitchEnd:
    if not isinstance(raw, dict) or not raw:
        problems.add(key, 'needs {plan: "<plan name>"} or {mpn: "<resource MPN>", billing: month}')
        return SwitchEnd()
    problems.unknown_keys(key, raw, _END_KEYS)
    values: dict[str, str] = {}
    for name in ("plan", "mpn", "offer_plan"):
        if name in raw:
            if isinstance(raw[name], str) and raw[name].strip():
                values[name] = raw[name].strip()
            else:
                problems.add(f"{key}.{name}", "must be a non-empty text")
    if "billing" in raw:
        billing = str(raw["billing"])
        if _BILLING.fullmatch(billing):
            values["billing"] = billing
        else:
            problems.add(f"{key}.billing", "must be day, month, year, trial or a term like P3Y")
    if "plan" in values and len(values) > 1:
        problems.add(key, "give either plan, or mpn/offer_plan with billing, not both")
    elif "mpn" in values and "offer_plan" in values:
        problems.add(key, "give either mpn or offer_plan, not both")
    elif values and not {"plan", "mpn", "offer_plan"} & set(values):
        problems.add(key, "needs plan, mpn or offer_plan")
    return SwitchEnd(**values)


def _items(problems: Problems, key: str, raw: Any) -> tuple[tuple[str, str | None], ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not raw:
        problems.add(key, "must map each source item MPN to a target item MPN or null (no item)")
        return None
    pairs: list[tuple[str, str | None]] = []
    for source, target in raw.items():
        if not isinstance(source, str) or not source.strip():
            problems.add(key, f"{source!r} is not an item MPN")
        elif target is not None and (not isinstance(target, str) or not target.strip()):
            problems.add(f"{key}.{source}", "must be a target item MPN, or null for no item")
        else:
            pairs.append((source.strip(), target.strip() if isinstance(target, str) else None))
    return tuple(sorted(pairs, key=lambda pair: pair[0]))


def _text(problems: Problems, key: str, raw: Any) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, str) and raw.strip():
        return raw.strip()
    problems.add(key, "must be a non-empty text")
    return None


def _switch(
    problems: Problems,
    number: int,
    raw: Any,
    presets: dict[str, PresetSettings],
) -> SwitchRule | None:
    key = f"switches[{number}]"
    if not isinstance(raw, dict):
        problems.add(key, "must be a mapping with source, target, preset, operation, items")
        return None
    product = _text(problems, f"{key}.product", raw.get("product"))
    items = _items(problems, f"{key}.items", raw.get("items"))
    connect_switch = _text(problems, f"{key}.connect_switch", raw.get("connect_switch"))
    if connect_switch is not None:
        problems.unknown_keys(key, raw, _OVERLAY_KEYS)
        if items is None:
            problems.add(key, "an entry for a Connect switch gives its items mapping")
        return SwitchRule(number, items=items, product=product, connect_switch=connect_switch)
    problems.unknown_keys(key, raw, _SWITCH_KEYS)
    source = _end(problems, f"{key}.source", raw.get("source"))
    target = _end(problems, f"{key}.target", raw.get("target"))
    if source == target and source != SwitchEnd():
        problems.add(key, "source and target are the same plan; a switch needs two plans")
    preset = raw.get("preset")
    if not isinstance(preset, str) or preset not in presets:
        known = ", ".join(sorted(presets)) or "none defined"
        problems.add(f"{key}.preset", f"{preset!r} is not a preset of this file (presets: {known})")
        preset = ""
    operation = raw.get("operation")
    if operation not in SWITCH_OPERATIONS:
        problems.add(
            f"{key}.operation",
            f"{operation!r} is not one of {', '.join(SWITCH_OPERATIONS)}",
        )
        operation = "upgrade"
    return SwitchRule(number, source, target, preset, str(operation), items, product)


def _duplicates(problems: Problems, rules: list[SwitchRule]) -> None:
    seen: dict[tuple[Any, ...], int] = {}
    for rule in rules:
        identity = (
            (rule.product, rule.connect_switch)
            if rule.connect_switch
            else (rule.product, rule.source, rule.target)
        )
        if identity in seen:
            problems.add(
                f"switches[{rule.number}]",
                f"duplicate of switches[{seen[identity]}]; a path is listed once",
            )
        else:
            seen[identity] = rule.number


def load_switch_rules(folder: Path) -> SwitchRules:
    """Read `switches.yaml` (missing = no operator switches) and validate all of it.

    Raises MappingsError listing every problem with the file, the switch number and the key.
    Checks that need the catalog (plans and items exist, every source item mapped) run per
    product line before it is written.
    """
    path = folder / SWITCHES_FILE
    if not path.exists():
        return SwitchRules(file=str(path))
    data = read_yaml(path)
    problems = Problems(path)
    problems.unknown_keys("", data, _TOP_KEYS)
    raw_presets = data.get("presets") or {}
    presets: dict[str, PresetSettings] = {}
    if not isinstance(raw_presets, dict):
        problems.add("presets", "must map preset names to their settings")
        raw_presets = {}
    for name, raw in raw_presets.items():
        preset = _preset(problems, str(name), raw)
        if preset is not None:
            presets[str(name)] = preset
    raw_switches = data.get("switches") or []
    if not isinstance(raw_switches, list):
        problems.add("switches", "must be a list of switches")
        raw_switches = []
    rules = [
        rule
        for number, raw in enumerate(raw_switches, start=1)
        if (rule := _switch(problems, number, raw, presets)) is not None
    ]
    _duplicates(problems, rules)
    if problems.items:
        raise MappingsError(problems.items)
    return SwitchRules(file=str(path), presets=MappingProxyType(presets), switches=tuple(rules))

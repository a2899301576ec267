"""`mappings/addons.yaml`: add-on resources and their bases, for catalogs without `parent`.

Optional (Connect's item `parent` needs no rule). Each entry (DESIGN §9):

    addons:
      - addon: {mpn: "CFQ7TTC0LHPG:*"}          # or {name: "*Add-On*"}; globs, one or a list
        base: {mpn: ["CFQ7TTC0LH18:*", "CFQ7TTC0LDPB:*"]}
        min_units: 0                            # default 0
        max_units: -1                           # default: plm.yaml's
        dependence: {kind: Requires, multiplier: 1}   # default: plm.yaml's ppr.dependence
        standalone: false                       # true: the add-on keeps its own plans too
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from plm_sync.domain.addons import AddonRule, AddonRules, ResourceMatch
from plm_sync.errors import MappingsError
from plm_sync.mappings.files import Problems, read_yaml
from plm_sync.mappings.plm import read_dependence

ADDONS_FILE = "addons.yaml"
_ENTRY_KEYS = {"addon", "base", "min_units", "max_units", "dependence", "standalone"}
_MATCH_KEYS = {"mpn", "name"}


def _globs(problems: Problems, key: str, raw: Any) -> tuple[str, ...]:
    values = raw if isinstance(raw, list) else [raw]
    if not values or not all(isinstance(v, str) and v.strip() for v in values):
        problems.add(key, "must be a glob text or a list of them, e.g. CFQ7TTC0LHPG:*")
        return ()
    return tuple(value.strip() for value in values)


def _match(problems: Problems, key: str, raw: Any) -> ResourceMatch:
    if not isinstance(raw, dict) or not raw:
        problems.add(key, 'needs {mpn: "<resource MPN glob>"} or {name: "<resource name glob>"}')
        return ResourceMatch()
    problems.unknown_keys(key, raw, _MATCH_KEYS)
    return ResourceMatch(
        mpn=_globs(problems, f"{key}.mpn", raw["mpn"]) if "mpn" in raw else (),
        name=_globs(problems, f"{key}.name", raw["name"]) if "name" in raw else (),
    )


def _units(problems: Problems, key: str, raw: Any, default: int | None) -> int | None:
    if raw is None:
        return default
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < -1:
        problems.add(key, "must be a whole number (max_units -1 = unlimited)")
        return default
    return raw


def _entry(problems: Problems, number: int, raw: Any) -> AddonRule | None:
    key = f"addons[{number}]"
    if not isinstance(raw, dict):
        problems.add(key, "must be a mapping with addon and base")
        return None
    problems.unknown_keys(key, raw, _ENTRY_KEYS)
    for needed in ("addon", "base"):
        if needed not in raw:
            problems.add(key, f"needs {needed}")
    min_units = _units(problems, f"{key}.min_units", raw.get("min_units"), 0) or 0
    max_units = _units(problems, f"{key}.max_units", raw.get("max_units"), None)
    if min_units < 0:
        problems.add(f"{key}.min_units", "must be 0 or more")
    if max_units is not None and max_units != -1 and max_units < min_units:
        problems.add(f"{key}.max_units", "must be -1 (unlimited) or at least min_units")
    standalone = raw.get("standalone", False)
    if not isinstance(standalone, bool):
        problems.add(f"{key}.standalone", "must be true or false")
        standalone = False
    dependence = (
        read_dependence(problems, f"{key}.dependence", raw["dependence"])
        if "dependence" in raw
        else None
    )
    return AddonRule(
        number=number,
        addon=_match(problems, f"{key}.addon", raw.get("addon")),
        base=_match(problems, f"{key}.base", raw.get("base")),
        min_units=min_units,
        max_units=max_units,
        dependence=dependence,
        standalone=standalone,
    )


def load_addon_rules(folder: Path) -> AddonRules:
    """Read and validate `addons.yaml` (absent: no rules); MappingsError lists every problem."""
    path = folder / ADDONS_FILE
    if not path.is_file():
        return AddonRules()
    data = read_yaml(path)
    problems = Problems(path)
    problems.unknown_keys("", data, {"addons"})
    raw = data.get("addons")
    raw = [] if raw is None else raw
    if not isinstance(raw, list):
        problems.add("addons", "must be a list of entries")
        raw = []
    rules = [_entry(problems, number, entry) for number, entry in enumerate(raw, start=1)]
    if problems.items:
        raise MappingsError(problems.items)
    return AddonRules(file=str(path), rules=tuple(rule for rule in rules if rule is not None))

"""Operator files in `mappings/`: read the YAML, validate every entry, build the domain rules."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from plm_sync.domain.periods import (
    BUILTIN_BILLING_WORDS,
    DEFAULT_TRIAL_LABEL,
    MAX_DURATION,
    BillingVocabulary,
    BillingWord,
    Period,
    Unit,
)
from plm_sync.domain.rules import (
    DEFAULT_PLAN_NAME_TEMPLATE,
    PLAN_NAME_FIELDS,
    PlmRules,
    UpgradeMode,
    template_fields,
)
from plm_sync.errors import MappingsError

PLM_FILE = "plm.yaml"
_TOP_KEYS = {"billing", "plans"}
_BILLING_KEYS = {"trial_label", "words"}
_WORD_KEYS = {"duration", "unit", "label", "trial"}
_PLAN_KEYS = {
    "name_template",
    "upgrade_paths",
    "trial_upgrades",
    "min_units",
    "max_units",
    "defaults",
}


class _Problems:
    """Collects every problem of one file, so the operator sees them all at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: list[str] = []

    def add(self, key: str, message: str) -> None:
        self.items.append(f"{self.path}: {key}: {message}")

    def unknown_keys(self, where: str, found: Mapping[str, Any], allowed: set[str]) -> None:
        for key in sorted(set(found) - allowed):
            self.add(
                f"{where}.{key}" if where else key,
                f"unknown key; expected one of {', '.join(sorted(allowed))}",
            )


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise MappingsError([f"{path}: cannot read: {error.strerror}"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise MappingsError([f"{path}: {where}not valid YAML: {problem}"]) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise MappingsError([f"{path}: the top level must be a mapping of keys"])
    return data


def _int(problems: _Problems, key: str, value: Any, low: int, high: int) -> int | None:  # noqa: ANN401
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems.add(key, f"must be a whole number from {low} to {high}, got {value!r}")
        return None
    return value


def _billing_word(problems: _Problems, word: str, spec: Any) -> BillingWord | None:  # noqa: ANN401
    key = f"billing.words.{word}"
    if not isinstance(spec, dict):
        problems.add(key, "must be a mapping like {duration: 3, unit: year, label: NCE COM TRI}")
        return None
    problems.unknown_keys(key, spec, _WORD_KEYS)
    label = spec.get("label")
    if not isinstance(label, str) or not label.strip():
        problems.add(f"{key}.label", "must be a non-empty text such as 'NCE COM TRI'")
        return None
    if spec.get("trial") is True:
        return BillingWord(word, None, label)
    units = ", ".join(unit.value for unit in Unit)
    try:
        unit = Unit(str(spec.get("unit")))
    except ValueError:
        problems.add(f"{key}.unit", f"must be one of {units}, got {spec.get('unit')!r}")
        return None
    duration = _int(problems, f"{key}.duration", spec.get("duration"), 1, MAX_DURATION)
    if duration is None:
        return None
    return BillingWord(word, Period(duration, unit), label)


def _vocabulary(problems: _Problems, data: Any) -> BillingVocabulary:  # noqa: ANN401
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problems.add("billing", "must be a mapping with 'words' and 'trial_label'")
        data = {}
    problems.unknown_keys("billing", data, _BILLING_KEYS)
    trial_label = data.get("trial_label", DEFAULT_TRIAL_LABEL)
    if not isinstance(trial_label, str) or not trial_label.strip():
        problems.add("billing.trial_label", "must be a non-empty text such as 'NCE COM TRIAL'")
        trial_label = DEFAULT_TRIAL_LABEL
    words = {entry.word.casefold(): entry for entry in BUILTIN_BILLING_WORDS}
    spec_words = data.get("words") or {}
    if not isinstance(spec_words, dict):
        problems.add("billing.words", "must be a mapping of word -> {duration, unit, label}")
        spec_words = {}
    for word, spec in spec_words.items():
        if not isinstance(word, str) or not word.isalnum():
            problems.add(f"billing.words.{word}", "a billing word is letters and digits only")
            continue
        entry = _billing_word(problems, word, spec)
        if entry is None:
            continue
        builtin = words.get(word.casefold())
        if builtin is not None and builtin.period != entry.period:
            problems.add(
                f"billing.words.{word}",
                "a built-in word keeps its meaning (Monthly = 1 month, Annual = 1 year, "
                "None = trial); only its label may change",
            )
            continue
        words[word.casefold()] = entry
    return BillingVocabulary(tuple(words.values()), trial_label)


def _template(problems: _Problems, template: Any) -> str | None:  # noqa: ANN401
    if not isinstance(template, str):
        problems.add("plans.name_template", "must be a text such as '{name} ({label})'")
        return None
    try:
        used = template_fields(template)
    except ValueError as error:
        problems.add("plans.name_template", str(error))
        return None
    unknown = used - PLAN_NAME_FIELDS
    if unknown:
        problems.add(
            "plans.name_template",
            f"unknown field(s) {sorted(unknown)}; use {sorted(PLAN_NAME_FIELDS)}",
        )
        return None
    if "name" not in used:
        problems.add(
            "plans.name_template", "must contain {name}, or every plan of a product gets one name"
        )
        return None
    return template


def _plan_rules(problems: _Problems, data: Any) -> dict[str, Any]:  # noqa: ANN401
    if data is None:
        return {}
    if not isinstance(data, dict):
        problems.add("plans", "must be a mapping")
        return {}
    problems.unknown_keys("plans", data, _PLAN_KEYS)
    values: dict[str, Any] = {}
    template = _template(problems, data.get("name_template", DEFAULT_PLAN_NAME_TEMPLATE))
    if template is not None:
        values["plan_name_template"] = template
    if "upgrade_paths" in data:
        try:
            values["upgrade_mode"] = UpgradeMode(data["upgrade_paths"])
        except ValueError:
            modes = ", ".join(mode.value for mode in UpgradeMode)
            problems.add("plans.upgrade_paths", f"must be one of {modes}")
    if "trial_upgrades" in data:
        if isinstance(data["trial_upgrades"], bool):
            values["trial_upgrades"] = data["trial_upgrades"]
        else:
            problems.add("plans.trial_upgrades", "must be true or false")
    values.update(_units_and_defaults(problems, data))
    return values


def _units_and_defaults(problems: _Problems, data: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in ("min_units", "max_units"):
        if key in data:
            number = _int(problems, f"plans.{key}", data[key], -1, 10**9)
            if number is not None:
                values[key] = number
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict) or not all(
        isinstance(key, str) and isinstance(value, str | int | bool)
        for key, value in defaults.items()
    ):
        problems.add("plans.defaults", "must map PLM column names to plain values")
    else:
        values["plan_defaults"] = MappingProxyType(
            {key: str(value) for key, value in defaults.items()}
        )
    return values


def load_plm_rules(folder: Path) -> PlmRules:
    """Read `plm.yaml` from the mappings folder (missing = built-in rules) and validate it.

    Raises MappingsError listing every problem with file and key.
    """
    path = folder / PLM_FILE
    if not folder.is_dir():
        hint = "set PLM_SYNC_MAPPINGS or --mappings to the folder that holds plm.yaml"
        raise MappingsError([f"{folder}: mappings folder not found; {hint}"])
    if not path.exists():
        return PlmRules()
    data = _read_yaml(path)
    problems = _Problems(path)
    problems.unknown_keys("", data, _TOP_KEYS)
    vocabulary = _vocabulary(problems, data.get("billing"))
    values = _plan_rules(problems, data.get("plans"))
    if problems.items:
        raise MappingsError(problems.items)
    try:
        return PlmRules(vocabulary=vocabulary, **values)
    except ValueError as error:
        raise MappingsError([f"{path}: plans: {error}"]) from None

"""`plm.yaml`: billing words, plan naming and limits, workbook defaults; validated whole."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Any

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
    DEFAULT_DEPENDENCE_KIND,
    DEFAULT_PLAN_NAME_TEMPLATE,
    PLAN_NAME_FIELDS,
    Dependence,
    PlmRules,
    UpgradeMode,
    WorkbookRules,
    template_fields,
)
from plm_sync.errors import MappingsError
from plm_sync.mappings.files import Problems, read_yaml

PLM_FILE = "plm.yaml"
_TOP_KEYS = {"billing", "plans", "ppr"}
_PPR_KEYS = {
    "cancellation_sheet",
    "resource_category",
    "plan_periods",
    "resource_rates",
    "cancellation_policies",
    "downsize_policies",
    "dependence",
}
_POLICY_KEYS = {"Action", "ActionPeriod", "ActionPeriodTimezone", "ApplicableTo"}
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


def _int(problems: Problems, key: str, value: Any, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems.add(key, f"must be a whole number from {low} to {high}, got {value!r}")
        return None
    return value


def _billing_word(problems: Problems, word: str, spec: Any) -> BillingWord | None:
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


def _vocabulary(problems: Problems, data: Any) -> BillingVocabulary:
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


def _template(problems: Problems, template: Any) -> str | None:
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


def _plan_rules(problems: Problems, data: Any) -> dict[str, Any]:
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


def _units_and_defaults(problems: Problems, data: dict[str, Any]) -> dict[str, Any]:
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


def _columns(problems: Problems, key: str, value: Any) -> dict[str, str | int]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str | int) and not isinstance(v, bool)
        for k, v in value.items()
    ):
        problems.add(key, "must map PLM column names to texts or numbers (write True as 'True')")
        return {}
    return dict(value)


def read_dependence(problems: Problems, key: str, raw: Any) -> Dependence:
    """`{kind: Requires, multiplier: 1}`: PLM's DependenceKind spelling and multiplier."""
    if not isinstance(raw, dict):
        problems.add(key, "must be a mapping such as {kind: Requires, multiplier: 1}")
        return Dependence()
    problems.unknown_keys(key, raw, {"kind", "multiplier"})
    kind = raw.get("kind", DEFAULT_DEPENDENCE_KIND)
    if not isinstance(kind, str) or not kind.strip():
        problems.add(f"{key}.kind", "must be PLM's DependenceKind text, e.g. Requires")
        kind = DEFAULT_DEPENDENCE_KIND
    multiplier = raw.get("multiplier", 1)
    if isinstance(multiplier, bool) or not isinstance(multiplier, int) or multiplier < 1:
        problems.add(f"{key}.multiplier", "must be a whole number of at least 1")
        multiplier = 1
    return Dependence(kind.strip(), multiplier)


def _workbook_rules(problems: Problems, data: Any) -> WorkbookRules:
    if data is None:
        return WorkbookRules()
    if not isinstance(data, dict):
        problems.add("ppr", "must be a mapping")
        return WorkbookRules()
    problems.unknown_keys("ppr", data, _PPR_KEYS)
    sheet = data.get("cancellation_sheet", "CancellationPolicies")
    if sheet not in {"CancellationPolicies", "CancelationPolicies"}:
        problems.add(
            "ppr.cancellation_sheet", "must be CancellationPolicies or CancelationPolicies"
        )
        sheet = "CancellationPolicies"
    category = data.get("resource_category", "Cloud Services")
    if not isinstance(category, str) or not category.strip():
        problems.add("ppr.resource_category", "must be a non-empty text")
        category = "Cloud Services"
    policies: dict[str, list[dict[str, str | int]]] = {}
    for name in ("cancellation_policies", "downsize_policies"):
        rows = data.get(name) or []
        if not isinstance(rows, list):
            problems.add(f"ppr.{name}", "must be a list of rows")
            rows = []
        policies[name] = []
        for index, row in enumerate(rows, start=1):
            where = f"ppr.{name}[{index}]"
            columns = _columns(problems, where, row)
            missing = _POLICY_KEYS - set(columns)
            if columns and missing:
                problems.add(where, f"needs {', '.join(sorted(missing))}")
            if isinstance(row, dict):
                problems.unknown_keys(where, row, _POLICY_KEYS)
            policies[name].append(columns)
    return WorkbookRules(
        cancellation_sheet=sheet,
        resource_category=category,
        plan_periods=MappingProxyType(
            _columns(problems, "ppr.plan_periods", data.get("plan_periods"))
        ),
        resource_rates=MappingProxyType(
            _columns(problems, "ppr.resource_rates", data.get("resource_rates"))
        ),
        cancellation_policies=tuple(MappingProxyType(r) for r in policies["cancellation_policies"]),
        downsize_policies=tuple(MappingProxyType(r) for r in policies["downsize_policies"]),
    )


_REQUIRED = {
    "billing": "the billing words (billing.words: Monthly, Annual, ...) and the trial label",
    "plans": "plan naming and limits (plans.name_template, min_units, max_units, ...)",
}


def load_plm_rules(folder: Path) -> PlmRules:
    """Read and validate `plm.yaml` from the mappings folder.

    The file is required, and so are its `billing` (with `words`) and `plans` sections: built-in
    rules applied silently would regroup (and deactivate) plans billed with words only the
    file knows. Raises MappingsError listing every problem with file and key.
    """
    path = folder / PLM_FILE
    if not folder.is_dir():
        hint = "set PLM_SYNC_MAPPINGS or --mappings to the folder that holds plm.yaml"
        raise MappingsError([f"{folder}: mappings folder not found; {hint}"])
    if not path.exists():
        raise MappingsError(
            [
                (
                    f"{path}: not found; every mappings folder needs plm.yaml (copy the one "
                    "shipped with plm-sync, `mappings/plm.yaml`, and adapt it), or point "
                    "PLM_SYNC_MAPPINGS or --mappings at the folder that has it"
                )
            ]
        )
    data = read_yaml(path)
    problems = Problems(path)
    if not data:
        raise MappingsError(
            [
                (
                    f"{path}: the file is empty; it needs the sections "
                    f"{', '.join(sorted(_REQUIRED))} (start from the shipped mappings/plm.yaml)"
                )
            ]
        )
    for section, holds in sorted(_REQUIRED.items()):
        if not data.get(section):
            problems.add(section, f"required section is missing or empty; it holds {holds}")
    if isinstance(data.get("billing"), dict) and not data["billing"].get("words"):
        problems.add(
            "billing.words",
            "required: the billing words your MPNs end with, e.g. "
            "Monthly: {duration: 1, unit: month, label: NCE COM MTH}",
        )
    problems.unknown_keys("", data, _TOP_KEYS)
    vocabulary = _vocabulary(problems, data.get("billing"))
    values = _plan_rules(problems, data.get("plans"))
    values["workbook"] = _workbook_rules(problems, data.get("ppr"))
    ppr = data.get("ppr")
    if isinstance(ppr, dict) and "dependence" in ppr:
        values["dependence"] = read_dependence(problems, "ppr.dependence", ppr["dependence"])
    if problems.items:
        raise MappingsError(problems.items)
    try:
        return PlmRules(vocabulary=vocabulary, **values)
    except ValueError as error:
        raise MappingsError([f"{path}: plans: {error}"]) from None

"""A product line as PLM holds it, compared field by field with what a push would send.

Both sides are in PLM's own model (`ExcelConfigData`): the wanted side is `parseConfig`'s
`excelConfig` of the line's workbook (PLM's reading of what would be sent), the held side is
`downloadConfig` of the product's service template (what the hub has). Both are normalised
the same way before they are compared (names and enumerations case-folded and trimmed,
numbers as decimals, an absent value as its default), so a line that is unchanged compares
equal. The one comparison is the convergence proof after a push was cut off, the dry run's
verdict, the check after an apply, and the drift check. No I/O.

What the hub's answer does not show is named in `ConfigDiff.unread`, never guessed as
"equal": PLM's export gives no plan billing period in the public model (the sandbox adds
one), so it is compared only where both sides carry it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

UNLIMITED = Decimal(-1)
# plan settings compared as text (PLM's names; a value is case-folded and trimmed)
PLAN_TEXT = (
    "pricePeriodType",
    "autoRenewType",
    "planCategory",
    "serviceTerms",
    "ratingMode",
    "billingPeriodAlignment",
    "vendorTimezone",
)
PLAN_FLAGS = ("isPublished", "isAllowedScheduledChanges")
PLAN_NUMBERS = ("renewOrderInterval",)
PERIOD_FEES = ("setupFee", "recurringFee", "renewalFee", "depositFee", "transferFee")
RATE_NUMBERS = ("min", "max")
RATE_FLAGS = ("measurable", "inCP", "instore")
BILLING = ("billingPeriod", "billingPeriodType")
SHOWN = 80  # characters of a value shown in a difference


def english(names: Any) -> str:  # noqa: ANN401 - JSON
    """A localised name's English text (`en`, `en_US`), else its first, else the text."""
    if isinstance(names, dict):
        for key in ("en", "en_US", "EN"):
            if names.get(key):
                return str(names[key])
        return str(next(iter(names.values()), ""))
    return str(names or "")


def _text(value: Any) -> str:  # noqa: ANN401 - JSON
    return " ".join(english(value).split()).casefold()


def _flag(value: Any) -> bool:  # noqa: ANN401 - JSON
    if isinstance(value, str):
        return value.strip().casefold() in {"true", "1", "yes"}
    return bool(value)


def _number(value: Any, default: Decimal = Decimal(0)) -> Decimal:  # noqa: ANN401 - JSON
    if value is None or value == "" or isinstance(value, bool):
        return default
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return default
    return number.normalize() if number.is_finite() else default


def _max(value: Any) -> Decimal:  # noqa: ANN401 - JSON
    """A rate's upper limit: absent, negative or empty is unlimited."""
    number = _number(value, UNLIMITED)
    return UNLIMITED if number < 0 else number


def _values(entries: Any) -> list[dict[str, Any]]:  # noqa: ANN401 - JSON
    """The values of an `excelConfig` list: `{value, action}` entries, or bare objects."""
    found = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        value = entry.get("value", entry)
        if isinstance(value, dict):
            found.append(value)
    return found


def _list(value: Any) -> list[Any]:  # noqa: ANN401 - JSON
    return value if isinstance(value, list) else []


def _shown(value: Any) -> str:  # noqa: ANN401
    if isinstance(value, Decimal):
        return "unlimited" if value == UNLIMITED else format(value, "f")
    if isinstance(value, tuple):
        return ", ".join(_shown(part) for part in value) or "none"
    text = str(value)
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"


@dataclass(frozen=True)
class Plan:
    """A service plan normalised for comparison: its fields, then its periods, rates, sharing."""

    name: str
    fields: dict[str, Any]
    periods: dict[tuple[int, str, bool], dict[str, Any]]
    rates: dict[str, dict[str, Any]]
    sharing: frozenset[str]


def _period_key(value: dict[str, Any]) -> tuple[int, str, bool]:
    unit = _text(value.get("periodType")).removesuffix("(s)").removesuffix("s")
    return int(_number(value.get("period"), Decimal(1))), unit, _flag(value.get("trial"))


def _rate_name(value: dict[str, Any]) -> str:
    kind = value.get("resourceType")
    named = english(value.get("name")) or english(
        kind.get("name") if isinstance(kind, dict) else kind
    )
    return " ".join(named.split()).casefold()


def normal_plan(value: dict[str, Any]) -> Plan:
    """One `servicePlans` value, normalised."""
    fields: dict[str, Any] = {"description": _text(value.get("description"))}
    fields |= {name: _text(value.get(name)) for name in PLAN_TEXT}
    fields |= {name: _flag(value.get(name)) for name in PLAN_FLAGS}
    fields |= {name: _number(value.get(name)) for name in PLAN_NUMBERS}
    fields["salesCategories"] = tuple(sorted(_text(v) for v in _list(value.get("salesCategories"))))
    fields["upgrades"] = tuple(sorted(_text(v) for v in _list(value.get("upgrades"))))
    fields["resellerGroups"] = tuple(
        sorted(
            _text(v.get("name") if isinstance(v, dict) else v)
            for v in _list(value.get("resellerGroups"))
        )
    )
    if all(name in value for name in BILLING):
        fields["billingPeriod"] = (
            _number(value.get("billingPeriod"), Decimal(1)),
            _text(value.get("billingPeriodType")).removesuffix("(s)").removesuffix("s"),
        )
    periods = {}
    for period in _values(value.get("subscriptionPeriods")):
        periods[_period_key(period)] = {"active": period.get("active") is not False} | {
            fee: _number(period.get(fee)) for fee in PERIOD_FEES
        }
    rates = {}
    for rate in _values(value.get("resources")):
        rates[_rate_name(rate)] = (
            {"min": _number(rate.get("min")), "max": _max(rate.get("max"))}
            | {flag: _flag(rate.get(flag, flag != "measurable")) for flag in RATE_FLAGS}
            | {"unit": _text(rate.get("unitOfMeasure") or rate.get("uom"))}
        )
    sharing = frozenset(
        _text(shared.get("vendorName") or shared.get("vendorId"))
        for shared in _values(value.get("delegatedServicePlans"))
        if shared.get("isPublished", True) is not False
    )
    return Plan(" ".join(english(value.get("name")).split()), fields, periods, rates, sharing)


def normal_plans(config: Mapping[str, Any] | None) -> dict[str, Plan]:
    """An `ExcelConfigData`'s plans by case-folded name (the last of a name wins)."""
    plans = {}
    for value in _values((config or {}).get("servicePlans")):
        plan = normal_plan(value)
        if plan.name:
            plans[plan.name.casefold()] = plan
    return plans


def _dict_diff(prefix: str, wanted: Mapping[str, Any], held: Mapping[str, Any]) -> list[str]:
    return [
        f"{prefix}{name} {_shown(held.get(name))} -> {_shown(wanted[name])}"
        for name in wanted
        if name in held and wanted[name] != held[name]
    ]


def _keyed_diff(
    what: str, wanted: Mapping[Any, Mapping[str, Any]], held: Mapping[Any, Mapping[str, Any]]
) -> list[str]:
    def label(key: Any) -> str:  # noqa: ANN401
        if isinstance(key, tuple):
            period, unit, trial = key
            return f"{period} {unit}{' trial' if trial else ''}"
        return str(key)

    found = [f"{what} {label(key)} missing" for key in wanted if key not in held]
    found += [f"{what} {label(key)} not in the line" for key in held if key not in wanted]
    for key in wanted:
        if key in held:
            found += _dict_diff(f"{what} {label(key)}: ", wanted[key], held[key])
    return found


def plan_differences(wanted: Plan, held: Plan) -> list[str]:
    """Each field in which the hub's plan differs from the line's, `field held -> wanted`."""
    found = _dict_diff("", wanted.fields, held.fields)
    found += _keyed_diff("period", wanted.periods, held.periods)
    found += _keyed_diff("rate", wanted.rates, held.rates)
    if wanted.sharing != held.sharing:
        found.append(
            f"sharing {sorted(held.sharing) or 'none'} -> {sorted(wanted.sharing) or 'none'}"
        )
    return found


@dataclass(frozen=True)
class PlanDiff:
    """A plan of the line that the hub holds otherwise: its name and what differs."""

    name: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class ConfigDiff:
    """A line compared with the hub: plans new, changed (with fields), unchanged, extra."""

    new: list[str] = field(default_factory=list)
    changed: list[PlanDiff] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)  # on the hub, not in the line
    unread: tuple[str, ...] = ()  # fields the hub's answer does not show

    @property
    def equal(self) -> bool:
        """Whether applying the line would change nothing the hub shows."""
        return not self.new and not self.changed

    def summary(self) -> str:
        """`1 new, 2 changed, 3 unchanged` (and extra plans, when any)."""
        text = f"{len(self.new)} new, {len(self.changed)} changed, {len(self.unchanged)} unchanged"
        return text + (f", {len(self.extra)} on the hub only" if self.extra else "")

    def details(self, limit: int = 6) -> str:
        """The changed fields, plan by plan, for a message (at most `limit` of them)."""
        parts = [f"{plan.name}: {'; '.join(plan.fields)}" for plan in self.changed[:limit]]
        if len(self.changed) > limit:
            parts.append(f"and {len(self.changed) - limit} more plan(s)")
        return " | ".join(parts)


def compare(wanted: Mapping[str, Any] | None, held: Mapping[str, Any] | None) -> ConfigDiff:
    """The line's `excelConfig` (wanted) against the hub's `downloadConfig` (held)."""
    mine, theirs = normal_plans(wanted), normal_plans(held)
    diff = ConfigDiff(unread=_unread(mine.values(), theirs.values()))
    for key, plan in sorted(mine.items()):
        current = theirs.get(key)
        if current is None:
            diff.new.append(plan.name)
            continue
        differences = plan_differences(plan, current)
        if differences:
            diff.changed.append(PlanDiff(plan.name, tuple(differences)))
        else:
            diff.unchanged.append(plan.name)
    diff.extra.extend(sorted(plan.name for key, plan in theirs.items() if key not in mine))
    return diff


def _unread(wanted: Iterable[Plan], held: Iterable[Plan]) -> tuple[str, ...]:
    held = list(held)
    if (
        held
        and any("billingPeriod" in plan.fields for plan in wanted)
        and not any("billingPeriod" in plan.fields for plan in held)
    ):
        return ("billing period",)
    return ()

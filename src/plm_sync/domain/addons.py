"""Add-ons: optional resources sold with a base resource, as rates in the base's plans.

An item whose Connect `parent` is set is an add-on of its parent item's resource; the
operator's `addons.yaml` names more (by MPN or name globs). In a line whose plans follow the
MPNs, every service plan of a base resource gets a rate of each of its add-ons with the same
billing period (`min_units` 0 unless a rule says otherwise, a rate period for each of the
plan's subscription periods the add-on is sold with, keyed by the add-on item's flat MPN);
the add-on keeps plans of its own only when `standalone`. Every line gets a resource
dependency per add-on and base (the add-on requires its base). Offer lines keep their
plans (an offer already carries add-ons as rates) and get the dependencies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase

from plm_sync.domain import events as codes
from plm_sync.domain.catalog import (
    ProductLine,
    RatePeriod,
    Resource,
    ResourceDependency,
    ResourceRate,
    ServicePlan,
)
from plm_sync.domain.events import Event, Level
from plm_sync.domain.rules import Dependence, PlmRules
from plm_sync.domain.source import SourceItem


@dataclass(frozen=True)
class ResourceMatch:
    """Globs a resource must match: any of its MPN globs, or any of its name globs."""

    mpn: tuple[str, ...] = ()
    name: tuple[str, ...] = ()

    def matches(self, resource: Resource) -> bool:
        """Whether the resource is one of these."""
        return any(fnmatchcase(resource.mpn, glob) for glob in self.mpn) or any(
            fnmatchcase(resource.name, glob) for glob in self.name
        )

    def describe(self) -> str:
        """`mpn CFQ7TTC0LHPG:*` / `name *Add-On*`, for messages."""
        parts = [f"mpn {', '.join(self.mpn)}" if self.mpn else ""]
        parts.append(f"name {', '.join(self.name)}" if self.name else "")
        return " or ".join(part for part in parts if part)


@dataclass(frozen=True)
class AddonRule:
    """An entry of `addons.yaml` (number = its position, from 1)."""

    number: int
    addon: ResourceMatch
    base: ResourceMatch
    min_units: int = 0
    max_units: int | None = None  # None: plm.yaml's default
    dependence: Dependence | None = None  # None: plm.yaml's `ppr.dependence`
    standalone: bool = False


@dataclass(frozen=True)
class AddonRules:
    """The operator's add-on rules; none when `addons.yaml` is absent."""

    file: str = field(default="addons.yaml", repr=False, compare=False)  # messages only
    rules: tuple[AddonRule, ...] = ()


@dataclass
class _Addon:
    """What is known of one add-on resource in a line."""

    mpn: str
    bases: set[str] = field(default_factory=set)
    min_units: int = 0
    max_units: int | None = None
    dependence: Dependence | None = None
    standalone: bool = False
    why: list[str] = field(default_factory=list)


def _event(level: Level, code: str, product_id: str, message: str, mpn: str) -> Event:
    return Event(level, code, message, product_id, mpn=mpn)


class _Finder:
    """Finds the add-ons of a line: by Connect's `parent`, then by the operator's rules."""

    def __init__(self, line: ProductLine, items: Sequence[SourceItem], rules: AddonRules) -> None:
        self.line = line
        self.items = items
        self.rules = rules
        self.events: list[Event] = []
        self.addons: dict[str, _Addon] = {}
        self.resource_of = {
            period.connect_item_id: plan.resource_mpn
            for plan in line.service_plans
            for period in plan.periods
        }
        by_mpn = {item.mpn.strip(): item for item in items}
        for plan in line.service_plans:  # offer plans: their rates carry the add-on items
            for rate in plan.resource_rates:
                for rate_period in rate.periods:
                    item = by_mpn.get(rate_period.mpn)
                    if item is not None:
                        self.resource_of.setdefault(item.id, rate.resource_mpn)

    def by_parent(self) -> None:
        for item in sorted(self.items, key=lambda item: item.id):
            if not item.parent_id:
                continue
            child = self.resource_of.get(item.id)
            if child is None:
                continue  # the item gives no resource (skipped or ignored with a reason)
            base = self.resource_of.get(item.parent_id)
            if base is None:
                self.events.append(
                    _event(
                        Level.WARNING,
                        codes.ADDON_BASE_MISSING,
                        self.line.connect_product_id,
                        f"item {item.id} is an add-on of item {item.parent_id} (Connect "
                        f"`parent`), which is not in this product line (not published?); "
                        f"resource {child} keeps plans of its own",
                        child,
                    )
                )
                continue
            if base != child:
                addon = self.addons.setdefault(child, _Addon(child))
                addon.bases.add(base)
                addon.why.append(f"item {item.id}'s Connect parent {item.parent_id}")

    def by_rule(self) -> None:
        resources = self.line.resources
        for rule in self.rules.rules:
            children = [r for r in resources if rule.addon.matches(r)]
            for child in children:
                bases = {r.mpn for r in resources if rule.base.matches(r) and r.mpn != child.mpn}
                if not bases:
                    self.events.append(
                        _event(
                            Level.WARNING,
                            codes.ADDON_BASE_MISSING,
                            self.line.connect_product_id,
                            f"{self.rules.file}: addons[{rule.number}] makes {child.mpn} an "
                            f"add-on, but no resource of this line matches its base "
                            f"({rule.base.describe()}); it keeps plans of its own",
                            child.mpn,
                        )
                    )
                    continue
                addon = self.addons.setdefault(child.mpn, _Addon(child.mpn))
                addon.bases |= bases
                addon.min_units = rule.min_units
                addon.max_units = rule.max_units
                addon.dependence = rule.dependence
                addon.standalone = rule.standalone
                addon.why.append(f"{self.rules.file}: addons[{rule.number}]")


def _same_billing(plan: ServicePlan, other: ServicePlan) -> bool:
    return plan.billing_period == other.billing_period and plan.trial == other.trial


def _attach(
    line: ProductLine, addon: _Addon, plm: PlmRules, events: list[Event]
) -> tuple[dict[str, ResourceRate], bool]:
    """The add-on's rate for each base plan (by plan name); whether any plan got one."""
    own = [plan for plan in line.service_plans if plan.resource_mpn == addon.mpn]
    rates: dict[str, ResourceRate] = {}
    product_id = line.connect_product_id
    bases = [plan for plan in line.service_plans if plan.resource_mpn in addon.bases]
    for plan in sorted(bases, key=lambda plan: plan.name):
        source = next((other for other in own if _same_billing(plan, other)), None)
        sold = {(p.period, p.trial): p for p in source.periods} if source is not None else {}
        periods, missing = [], []
        for period in plan.periods:
            match = sold.get((period.period, period.trial))
            if match is None:
                missing.append(period.period.term())
            else:
                periods.append(RatePeriod(period.period, match.mpn, match.active))
        if missing:
            events.append(
                _event(
                    Level.WARNING,
                    codes.ADDON_PERIOD_MISSING,
                    product_id,
                    f"add-on {addon.mpn} is not sold for {', '.join(missing)} of plan "
                    f"{plan.name!r}: that plan's rate of it has no period for "
                    f"{'it' if len(missing) == 1 else 'them'}",
                    addon.mpn,
                )
            )
        if periods:
            rates[plan.name] = ResourceRate(
                resource_mpn=addon.mpn,
                min_units=addon.min_units,
                max_units=plm.max_units if addon.max_units is None else addon.max_units,
                periods=tuple(periods),
                addon=True,
            )
    return rates, bool(rates)


def apply_addons(
    line: ProductLine, items: Sequence[SourceItem], rules: AddonRules, plm: PlmRules
) -> tuple[ProductLine, list[Event]]:
    """The line with its add-ons as rates of their bases' plans, and its dependencies."""
    finder = _Finder(line, items, rules)
    finder.by_parent()
    finder.by_rule()
    events = finder.events
    if not finder.addons:
        return line, events
    plans = {plan.name: plan for plan in line.service_plans}
    dropped: set[str] = set()
    dependencies: dict[str, ResourceDependency] = {}
    names = {resource.mpn: resource.name for resource in line.resources}
    for mpn in sorted(finder.addons):
        addon = finder.addons[mpn]
        if line.plan_source != "offer":
            rates, attached = _attach(line, addon, plm, events)
            if not attached:
                events.append(
                    _event(
                        Level.WARNING,
                        codes.ADDON_BASE_MISSING,
                        line.connect_product_id,
                        f"add-on {mpn} found no plan of its base "
                        f"{', '.join(sorted(addon.bases))} with the same billing period; it "
                        "keeps plans of its own",
                        mpn,
                    )
                )
                continue
            for name, rate in rates.items():
                plan = plans[name]
                kept = tuple(r for r in plan.resource_rates if r.resource_mpn != mpn)
                plans[name] = replace(
                    plan,
                    resource_rates=(*kept, rate),
                )
            if not addon.standalone:
                dropped |= {p.name for p in line.service_plans if p.resource_mpn == mpn}
            events.append(
                _event(
                    Level.INFO,
                    codes.ADDON_ATTACHED,
                    line.connect_product_id,
                    f"{names.get(mpn, mpn)} ({mpn}) is an add-on of "
                    f"{', '.join(f'{names.get(b, b)} ({b})' for b in sorted(addon.bases))} "
                    f"({'; '.join(addon.why)}): an optional rate in {len(rates)} base plan(s)"
                    + ("; it keeps plans of its own" if addon.standalone else ""),
                    mpn,
                )
            )
        dependence = addon.dependence or plm.dependence
        for base in sorted(addon.bases):
            dependency = ResourceDependency(mpn, base, dependence.kind, dependence.multiplier)
            dependencies[dependency.key] = dependency
    kept_plans = tuple(plans[name] for name in sorted(plans) if name not in dropped)
    return (
        replace(
            line,
            service_plans=kept_plans,
            resource_dependencies=tuple(dependencies[key] for key in sorted(dependencies)),
        ),
        events,
    )

"""Plan switches: one-way paths between service plans, from the Connect offer and the operator.

A switch from plan A to plan B says nothing about B to A. Each carries a preset (the
business rules PLM's PlanSwitchPaths sheet takes), an operation and an item mapping from
every item (flat MPN) of the source plan to an item of the target plan or to "no item".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from types import MappingProxyType

from plm_sync.domain import events as codes
from plm_sync.domain.catalog import PlanSwitch, PresetSettings, ProductLine, ServicePlan
from plm_sync.domain.events import Event, Level
from plm_sync.domain.offers import SWITCH_OPERATIONS, OfferSwitch, SourceOffer


@dataclass(frozen=True)
class SwitchEnd:
    """One end of an operator switch.

    A plan by name, or by resource MPN (or offer plan id) and billing (`day|month|year`, a
    term such as `P3Y`, or `trial`).
    """

    plan: str | None = None
    mpn: str | None = None
    offer_plan: str | None = None
    billing: str | None = None

    def describe(self) -> str:
        """How the operator wrote it, for messages."""
        parts = [
            f"{name}={value}"
            for name, value in (
                ("plan", self.plan),
                ("mpn", self.mpn),
                ("offer_plan", self.offer_plan),
                ("billing", self.billing),
            )
            if value is not None
        ]
        return "{" + ", ".join(parts) + "}"

    def matches(self, plan: ServicePlan) -> bool:  # noqa: PLR0911 - one return per key
        """Whether this end names the plan."""
        if self.plan is not None:
            return plan.name == self.plan
        if self.mpn is not None and (plan.offer_plan_id or plan.resource_mpn != self.mpn):
            return False
        if self.offer_plan is not None and plan.offer_plan_id != self.offer_plan:
            return False
        if self.billing is None:
            return True
        if self.billing == "trial":
            return plan.trial
        if plan.billing_period is None:
            return False
        return self.billing in {plan.billing_period.unit.value, plan.billing_period.term()}


@dataclass(frozen=True)
class SwitchRule:
    """A switch from `mappings/switches.yaml` (number = its position, from 1).

    `connect_switch` gives the item mapping of a Connect switch instead of a new path.
    `items` None means "map the items automatically" (same resource, or the only one).
    """

    number: int
    source: SwitchEnd = field(default_factory=SwitchEnd)
    target: SwitchEnd = field(default_factory=SwitchEnd)
    preset: str = ""
    operation: str = "upgrade"
    items: tuple[tuple[str, str | None], ...] | None = None
    product: str | None = None
    connect_switch: str | None = None


@dataclass(frozen=True)
class SwitchRules:
    """The operator's switches file: presets by name, and switches."""

    file: str = field(default="switches.yaml", repr=False, compare=False)  # messages only
    presets: Mapping[str, PresetSettings] = field(default_factory=lambda: MappingProxyType({}))
    switches: tuple[SwitchRule, ...] = ()

    def applies(self, rule: SwitchRule, product_id: str) -> bool:
        """Whether a rule is meant for this product line."""
        return rule.product is None or fnmatchcase(product_id, rule.product)


class SwitchError(ValueError):
    """The switches of a product line are not valid; `problems` names each one."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _items(plan: ServicePlan) -> dict[str, str]:
    """The plan's items: flat MPN -> resource MPN (every rate period of every rate)."""
    return {
        period.mpn: rate.resource_mpn for rate in plan.resource_rates for period in rate.periods
    }


def _term_of(plan: ServicePlan) -> dict[str, str]:
    return {
        period.mpn: period.period.term() for rate in plan.resource_rates for period in rate.periods
    }


def auto_mapping(source: ServicePlan, target: ServicePlan) -> dict[str, str | None]:
    """Map what can be mapped without the operator; unmapped source items are left out.

    A resource both plans have maps to itself; when exactly one resource of the source plan
    is not in the target plan and exactly one of the target plan is not in the source plan
    (the tier's main licence, e.g. Basic -> Standard), those two map to each other. A source
    item maps to the target item of its mapped resource with the same term.
    """
    source_items, target_items = _items(source), _items(target)
    source_terms, target_terms = _term_of(source), _term_of(target)
    by_resource_term = {(target_items[m], target_terms[m]): m for m in target_items}
    common = set(source_items.values()) & set(target_items.values())
    left_source = set(source_items.values()) - common
    left_target = set(target_items.values()) - common
    resources = {resource: resource for resource in common}
    if len(left_source) == 1 and len(left_target) == 1:
        resources[left_source.pop()] = left_target.pop()
    mapping: dict[str, str | None] = {}
    for mpn, resource in source_items.items():
        found = by_resource_term.get((resources.get(resource, ""), source_terms[mpn]))
        if found is not None:
            mapping[mpn] = found
    return mapping


def resource_mapping(
    source: ServicePlan, target: ServicePlan, items: Mapping[str, str | None]
) -> tuple[tuple[str, str], ...]:
    """The resources a switch changes: source resource -> target resource, where they differ."""
    source_items, target_items = _items(source), _items(target)
    pairs = {
        (source_items[mpn], target_items[dest])
        for mpn, dest in items.items()
        if dest is not None and mpn in source_items and dest in target_items
    }
    return tuple(sorted(pair for pair in pairs if pair[0] != pair[1]))


def check_mapping(
    where: str,
    source: ServicePlan,
    target: ServicePlan,
    items: Mapping[str, str | None],
) -> list[str]:
    """Every source item mapped, to a target-plan item or to no item; nothing else."""
    problems = []
    source_items, target_items = _items(source), _items(target)
    for mpn, dest in items.items():
        if mpn not in source_items:
            problems.append(
                f"{where}: item {mpn} is not an item of source plan {source.name!r} "
                f"(its items: {', '.join(sorted(source_items)) or 'none'})"
            )
        elif dest is not None and dest not in target_items:
            problems.append(
                f"{where}: item {mpn} maps to {dest}, which is not an item of target plan "
                f"{target.name!r} (its items: {', '.join(sorted(target_items)) or 'none'}); "
                "use null for no item"
            )
    problems += [
        f"{where}: source item {mpn} is not mapped; map it to an item of {target.name!r} "
        "or to null (no item)"
        for mpn in sorted(source_items)
        if mpn not in items
    ]
    return problems


@dataclass
class _Resolver:
    line: ProductLine
    offer: SourceOffer | None
    rules: SwitchRules
    problems: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    found: dict[str, PlanSwitch] = field(default_factory=dict)
    defaulted: set[str] = field(default_factory=set)
    _by_offer_plan: dict[str, list[ServicePlan]] | None = None

    def by_offer_plan(self) -> dict[str, list[ServicePlan]]:
        """The line's plans by the offer plan they come from (built once per line)."""
        if self._by_offer_plan is None:
            self._by_offer_plan = {}
            for plan in self.line.service_plans:
                self._by_offer_plan.setdefault(plan.offer_plan_id, []).append(plan)
        return self._by_offer_plan

    def _preset(self, name: str, preset_id: str = "") -> PresetSettings | None:
        for key in (name, preset_id):
            if key and key in self.rules.presets:
                return self.rules.presets[key]
        return None

    def _add(self, where: str, switch: PlanSwitch) -> None:
        if switch.key in self.found:
            self.problems.append(
                f"{where}: duplicate path {switch.source_plan!r} -> {switch.target_plan!r} "
                f"(already given by {_origin(self.found[switch.key])})"
            )
            return
        self.found[switch.key] = switch

    def _overlay(self, switch_id: str) -> SwitchRule | None:
        for rule in self.rules.switches:
            if rule.connect_switch == switch_id and self.rules.applies(
                rule, self.line.connect_product_id
            ):
                return rule
        return None

    def _connect_problem(self, switch: OfferSwitch, where: str) -> str | None:
        """What makes a Connect switch unusable on its own (plans, operation), if anything."""
        assert self.offer is not None  # noqa: S101 - only called with an offer
        plan_ids = {plan.id for plan in self.offer.plans}
        ends = [("source", switch.source_plan_id), ("target", switch.target_plan_id)]
        unknown = [f"{side} plan {pid!r}" for side, pid in ends if pid not in plan_ids]
        if unknown:
            return f"{where}: {' and '.join(unknown)} not a plan of the offer"
        if switch.source_plan_id == switch.target_plan_id:
            return f"{where}: source and target are the same plan {switch.source_plan_id}"
        if switch.operation not in SWITCH_OPERATIONS:
            return f"{where}: operation {switch.operation!r} is not one of " + ", ".join(
                SWITCH_OPERATIONS
            )
        return None

    def connect_switch(self, switch: OfferSwitch) -> None:
        """Turn one Connect switch into PLM switch paths, or note why it cannot be."""
        assert self.offer is not None  # noqa: S101 - only called with an offer
        where = f"Connect switch {switch.id} of offer {self.offer.id}"
        problem = self._connect_problem(switch, where)
        if problem is not None:
            self.problems.append(problem)
            return
        known = {preset.id for preset in self.offer.presets} | {p.name for p in self.offer.presets}
        settings = self._preset(switch.preset_name, switch.preset_id)
        if settings is None and switch.preset_id not in known and switch.preset_name not in known:
            self.problems.append(
                f"{where}: preset {switch.preset_id or switch.preset_name!r} exists neither in "
                f"Connect nor in {self.rules.file} presets"
            )
            return
        if settings is None and switch.preset_id not in self.defaulted:
            self.defaulted.add(switch.preset_id)
            self.events.append(
                Event(
                    Level.INFO,
                    codes.SWITCH_PRESET_DEFAULTS,
                    f"Connect preset {switch.preset_name or switch.preset_id!r} has no settings "
                    f"under presets in {self.rules.file}; its switch paths get PLM's defaults "
                    f"({_settings_text(PresetSettings())})",
                    self.line.connect_product_id,
                )
            )
        overlay = self._overlay(switch.id)
        by_offer_plan = self.by_offer_plan()
        pairs = _pair_by_billing(
            by_offer_plan.get(switch.source_plan_id, []),
            by_offer_plan.get(switch.target_plan_id, []),
        )
        if not pairs:
            self.events.append(
                Event(
                    Level.WARNING,
                    codes.SWITCH_NO_COMMON_BILLING,
                    f"{where}: plans {switch.source_plan_id} and {switch.target_plan_id} share "
                    "no billing period, so the switch gives no PLM switch path",
                    self.line.connect_product_id,
                )
            )
        if overlay is not None and overlay.items is not None:
            known_items = {mpn for source, _ in pairs for mpn in _items(source)}
            self.problems += [
                f"{self.rules.file}: switches[{overlay.number}] (Connect switch {switch.id}): "
                f"item {mpn} is not an item of its source plans"
                for mpn, _ in overlay.items
                if mpn not in known_items
            ]
        for source, target in pairs:
            items = dict(overlay.items) if overlay and overlay.items is not None else None
            if items is None:
                items = auto_mapping(source, target)
                hint = (
                    f"; give its item mapping in {self.rules.file} "
                    f"(connect_switch: {switch.id}, items: {{source MPN: target MPN or null}})"
                )
            else:
                items = {k: v for k, v in items.items() if k in _items(source)}
                hint = ""
            problems = check_mapping(
                f"{where} ({source.name!r} -> {target.name!r})", source, target, items
            )
            if problems:
                self.problems += [problem + hint for problem in problems]
                continue
            self._add(
                where,
                PlanSwitch(
                    source_plan=source.name,
                    target_plan=target.name,
                    preset=switch.preset_name or switch.preset_id,
                    operation=switch.operation,
                    item_mapping=tuple(sorted(items.items())),
                    preset_settings=settings or PresetSettings(),
                    resource_mapping=resource_mapping(source, target, items),
                    origin="connect",
                    connect_switch_id=switch.id,
                    active=switch.active and switch.operation != "eos",
                ),
            )

    def _resolve(self, where: str, side: str, end: SwitchEnd) -> ServicePlan | None:
        matched = [plan for plan in self.line.service_plans if end.matches(plan)]
        if len(matched) == 1:
            return matched[0]
        if not matched:
            self.problems.append(
                f"{where}: {side} {end.describe()} matches no service plan of product "
                f"{self.line.connect_product_id}"
            )
        else:
            self.problems.append(
                f"{where}: {side} {end.describe()} matches {len(matched)} plans "
                f"({', '.join(sorted(p.name for p in matched))}); name one with `plan:`"
            )
        return None

    def operator_switch(self, rule: SwitchRule) -> None:
        where = f"{self.rules.file}: switches[{rule.number}]"
        if rule.product is None and not any(
            rule.source.matches(p) for p in self.line.service_plans
        ):
            return  # meant for another product line
        source = self._resolve(where, "source", rule.source)
        target = self._resolve(where, "target", rule.target)
        if source is None or target is None:
            return
        if source.name == target.name:
            self.problems.append(f"{where}: source and target are the same plan {source.name!r}")
            return
        items = dict(rule.items) if rule.items is not None else auto_mapping(source, target)
        problems = check_mapping(where, source, target, items)
        if problems:
            self.problems += problems
            return
        self._add(
            where,
            PlanSwitch(
                source_plan=source.name,
                target_plan=target.name,
                preset=rule.preset,
                operation=rule.operation,
                item_mapping=tuple(sorted(items.items())),
                preset_settings=self.rules.presets[rule.preset],
                resource_mapping=resource_mapping(source, target, items),
                origin="mappings",
                active=rule.operation != "eos",
            ),
        )


def _settings_text(settings: PresetSettings) -> str:
    return ", ".join(f"{key} {value}" for key, value in settings.as_dict().items())


def _origin(switch: PlanSwitch) -> str:
    if switch.connect_switch_id:
        return f"Connect switch {switch.connect_switch_id}"
    return "an earlier switch in the file"


def _pair_by_billing(
    sources: list[ServicePlan], targets: list[ServicePlan]
) -> list[tuple[ServicePlan, ServicePlan]]:
    """Source and target variants with the same billing; a trial source pairs with every target."""
    pairs = []
    for source in sorted(sources, key=lambda p: p.name):
        for target in sorted(targets, key=lambda p: p.name):
            trial_to_paid = source.trial and not target.trial
            same = source.billing_period == target.billing_period and source.trial == target.trial
            if trial_to_paid or same:
                pairs.append((source, target))
    return pairs


def resolve_switches(
    line: ProductLine, offer: SourceOffer | None, rules: SwitchRules
) -> tuple[ProductLine, list[Event]]:
    """The line with its plan switches: the offer's (when plans follow it) and the operator's.

    Rules:
    - a Connect switch becomes one PLM switch per billing period both plans have (a trial
      source plan switches to every paid variant); `endofsale` and `eos` switches stay,
      inactive (PLM removes the path);
    - its items map automatically (same resource and term, or the one resource that differs
      between the plans), unless a `connect_switch:` entry of the switches file gives the
      mapping (an entry naming its `product` must match a switch of that product's offer);
    - an operator switch applies to the line its `product` names, or, without `product`, to
      the lines where its source names a plan;
    - invalid switches (unknown plan or preset, source = target, an item left unmapped or
      mapped outside the target plan, a duplicate path) raise SwitchError naming each one:
      the caller leaves the stored line as it was.
    """
    resolver = _Resolver(line, offer, rules)
    connect_ids: set[str] = set()
    if offer is not None and line.plan_source == "offer":
        connect_ids = {switch.id for switch in offer.switches}
        for switch in sorted(offer.switches, key=lambda s: s.id):
            resolver.connect_switch(switch)
    resolver.problems += [
        f"{rules.file}: switches[{rule.number}]: connect_switch {rule.connect_switch} is not a "
        f"switch of this product's offer"
        + (
            f" {offer.id}"
            if offer is not None and line.plan_source == "offer"
            else " (it has none)"
        )
        for rule in rules.switches
        if rule.connect_switch is not None
        and rule.product is not None
        and rules.applies(rule, line.connect_product_id)
        and rule.connect_switch not in connect_ids
    ]
    for rule in rules.switches:
        if rule.connect_switch is None and rules.applies(rule, line.connect_product_id):
            resolver.operator_switch(rule)
    if resolver.problems:
        raise SwitchError(resolver.problems)
    switches = tuple(sorted(resolver.found.values(), key=lambda s: (s.source_plan, s.target_plan)))
    return replace(line, plan_switches=switches), resolver.events


def switch_error_events(product_id: str, error: SwitchError) -> list[Event]:
    """One error event per problem, for the run report."""
    return [
        Event(
            Level.ERROR,
            codes.SWITCH_INVALID,
            f"{problem}; the product line was left as it was",
            product_id,
        )
        for problem in error.problems
    ]

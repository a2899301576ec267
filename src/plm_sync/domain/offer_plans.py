"""Service plans that follow a Connect offer's plans (instead of one plan per resource)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from plm_sync.domain import events as codes
from plm_sync.domain.catalog import (
    Feature,
    PlanPeriod,
    ProductLine,
    RatePeriod,
    ResourceRate,
    ServicePlan,
)
from plm_sync.domain.events import Event, Level
from plm_sync.domain.grouping import (
    GroupedProduct,
    ItemReading,
    add_upgrade_paths,
    plan_name,
    read_items,
)
from plm_sync.domain.offers import (
    OfferFeature,
    OfferItemValue,
    OfferPlan,
    SourceOffer,
    parse_commitment,
)
from plm_sync.domain.periods import Period, parse_connect_period
from plm_sync.domain.rules import PlmRules
from plm_sync.domain.source import SourceItem, SourceProduct


@dataclass(frozen=True)
class _Included:
    """An item of the product as one offer plan includes it."""

    value: OfferItemValue
    reading: ItemReading


def plan_features(plan_id: str, features: Iterable[OfferFeature]) -> tuple[Feature, ...]:
    """The plan's features with their values, by group position then feature position."""
    ordered = sorted(features, key=lambda f: (f.group_position, f.group, f.position, f.name, f.id))
    found = []
    for feature in ordered:
        value = dict(feature.values).get(plan_id)
        if value is not None and value.strip():
            found.append(Feature(feature.group, feature.name, value.strip()))
    return tuple(found)


def describe_plan(plan: OfferPlan, features: tuple[Feature, ...]) -> str:
    """The PLM plan description: the offer plan's own text, then a line per feature group."""
    lines = [plan.description.strip()] if plan.description.strip() else []
    groups: dict[str, list[str]] = {}
    for feature in features:
        groups.setdefault(feature.group, []).append(f"{feature.name}: {feature.value}")
    lines += [f"{group}: {'; '.join(entries)}" for group, entries in groups.items()]
    return "\n".join(lines) or plan.name


def _event(
    level: Level, code: str, product_id: str, message: str, item: SourceItem | None = None
) -> Event:
    if item is None:
        return Event(level, code, message, product_id)
    return Event(level, code, message, product_id, item.id, item.mpn)


class _OfferPlanBuilder:
    """Turns the offer plans into PLM service plans, one per offer plan and billing period."""

    def __init__(self, product: SourceProduct, offer: SourceOffer, rules: PlmRules) -> None:
        self.product = product
        self.offer = offer
        self.rules = rules
        self.events: list[Event] = []

    def warn(self, code: str, message: str, item: SourceItem | None = None) -> None:
        self.events.append(_event(Level.WARNING, code, self.product.id, message, item))

    def included(self, readings: dict[str, ItemReading]) -> dict[str, list[_Included]]:
        """Per offer plan id: the product's items it includes, checked against the MPNs."""
        plans = {plan.id for plan in self.offer.plans}
        per_plan: dict[str, list[_Included]] = {plan: [] for plan in plans}
        seen: set[tuple[str, str]] = set()
        for value in sorted(self.offer.values, key=lambda v: (v.plan_id, v.item_id)):
            if value.plan_id not in plans:
                self.warn(
                    codes.OFFER_UNKNOWN_PLAN,
                    f"offer {self.offer.id} gives item {value.item_id} a value in plan "
                    f"{value.plan_id}, which is not one of its plans; value ignored",
                )
                continue
            reading = readings.get(value.item_id)
            if reading is None:
                self.warn(
                    codes.OFFER_UNKNOWN_ITEM,
                    f"offer {self.offer.id} plan {value.plan_id} includes item "
                    f"{value.item_id}, which is not a published or end-of-sale item of this "
                    "product (or its MPN could not be used); left out of the plan",
                )
                continue
            if (value.plan_id, value.item_id) in seen:
                self.warn(
                    codes.OFFER_DUPLICATE_VALUE,
                    f"offer {self.offer.id} lists item {value.item_id} twice in plan "
                    f"{value.plan_id}; the first value is used",
                    reading.item,
                )
                continue
            seen.add((value.plan_id, value.item_id))
            self._check_period(value, reading)
            per_plan[value.plan_id].append(_Included(value, reading))
        return per_plan

    def _check_period(self, value: OfferItemValue, reading: ItemReading) -> None:
        connect = parse_connect_period(value.period)
        offer_billing = None if connect is None else connect.billing
        if value.period != "trial" and (connect is None or offer_billing != reading.billing):
            said = "a trial" if reading.billing is None else reading.billing.term()
            self.warn(
                codes.OFFER_PERIOD_MISMATCH,
                f"offer plan {value.plan_id} gives the item period {value.period!r}, but its "
                f"MPN bills {said}; the MPN is used",
                reading.item,
            )

    def plans(self, per_plan: dict[str, list[_Included]]) -> list[ServicePlan]:
        """A service plan per offer plan and billing period of the items it includes."""
        built: list[ServicePlan] = []
        taken: dict[str, str] = {}
        for plan in sorted(self.offer.plans, key=lambda p: (p.position, p.name, p.id)):
            included = per_plan.get(plan.id, [])
            if not included:
                self.warn(
                    codes.OFFER_PLAN_EMPTY,
                    f"offer plan {plan.id} ({plan.name!r}) includes no item of this product; "
                    "it gives no service plan",
                )
                continue
            by_billing: dict[Period | None, list[_Included]] = {}
            for entry in included:
                by_billing.setdefault(entry.reading.billing, []).append(entry)
            self._check_plan_terms(plan, included)
            features = plan_features(plan.id, self.offer.features)
            for billing in sorted(by_billing, key=_billing_order):
                service_plan = self._plan(plan, billing, by_billing[billing], features)
                name = service_plan.name
                if name in taken:
                    unique = f"{name} [{plan.id}]"
                    self.warn(
                        codes.PLAN_NAME_CONFLICT,
                        f"plan name {name!r} is already used by offer plan {taken[name]}; "
                        f"this plan is named {unique!r}",
                    )
                    service_plan = replace(service_plan, name=unique)
                taken[service_plan.name] = plan.id
                built.append(service_plan)
        return built

    def _check_plan_terms(self, plan: OfferPlan, included: list[_Included]) -> None:
        """Warn where an item's billing or commitment is not one the offer plan declares."""
        billings = {parse_connect_period(word) for word in plan.periods}
        declared = {period.billing for period in billings if period is not None}
        commitments = {parse_commitment(word) for word in plan.commitments}
        for entry in included:
            reading = entry.reading
            if reading.billing is None:
                continue
            if plan.periods and reading.billing not in declared:
                self.warn(
                    codes.OFFER_PERIOD_NOT_IN_PLAN,
                    f"offer plan {plan.id} ({plan.name!r}) declares periods "
                    f"{', '.join(plan.periods)}, not the item's billing "
                    f"{reading.billing.term()}; the item is kept",
                    reading.item,
                )
            # Connect cannot store a commitment equal to the billing period ("no commitment").
            allowed = {*commitments, reading.billing}
            if plan.commitments and reading.commitment not in allowed:
                self.warn(
                    codes.OFFER_PERIOD_NOT_IN_PLAN,
                    f"offer plan {plan.id} ({plan.name!r}) declares commitments "
                    f"{', '.join(plan.commitments)}, not the item's "
                    f"{reading.commitment.term()}; the item is kept",
                    reading.item,
                )

    def _plan(
        self,
        plan: OfferPlan,
        billing: Period | None,
        included: list[_Included],
        features: tuple[Feature, ...],
    ) -> ServicePlan:
        by_resource: dict[str, list[_Included]] = {}
        for entry in included:
            by_resource.setdefault(entry.reading.resource_mpn, []).append(entry)
        terms: dict[Period, list[_Included]] = {}
        for entry in sorted(included, key=lambda e: (e.reading.resource_mpn, e.reading.item.id)):
            terms.setdefault(entry.reading.commitment, []).append(entry)
        periods = tuple(
            PlanPeriod(
                period=term,
                trial=billing is None,
                mpn=entries[0].reading.item.mpn.strip(),
                connect_item_id=entries[0].reading.item.id,
                active=any(entry.reading.item.is_active for entry in entries),
            )
            for term, entries in sorted(terms.items(), key=lambda pair: pair[0].sort_key)
        )
        rates = tuple(
            self._rate(plan, resource, entries, [p.period for p in periods])
            for resource, entries in sorted(by_resource.items())
        )
        primary = rates[0].resource_mpn
        return ServicePlan(
            name=plan_name(self.rules, plan.name, primary, billing),
            resource_mpn=primary,
            billing_period=billing,
            trial=billing is None,
            active=any(period.active for period in periods),
            periods=periods,
            resource_rates=rates,
            description=describe_plan(plan, features),
            offer_plan_id=plan.id,
            features=features,
        )

    def _limits(self, value: OfferItemValue) -> tuple[int, int]:
        """(min, max) units from the item's constraint, else from the rules."""
        low = self.rules.min_units if value.min_units is None else value.min_units
        high = self.rules.max_units if value.max_units is None else value.max_units
        return low, high

    def _rate(
        self, plan: OfferPlan, resource: str, entries: list[_Included], terms: list[Period]
    ) -> ResourceRate:
        first = entries[0].value
        limits = self._limits(first)
        for entry in entries[1:]:
            if self._limits(entry.value) != limits:
                self.warn(
                    codes.OFFER_CONSTRAINT_CONFLICT,
                    f"offer plan {plan.id} limits resource {resource} to "
                    f"{_limits(*self._limits(entry.value))} on this item but "
                    f"to {_limits(*limits)} on item {first.item_id}; the first is used",
                    entry.reading.item,
                )
        by_term: dict[Period, _Included] = {}
        for entry in entries:
            by_term.setdefault(entry.reading.commitment, entry)
        missing = [term.term() for term in terms if term not in by_term]
        if missing:
            self.warn(
                codes.OFFER_RATE_PERIOD_MISSING,
                f"offer plan {plan.id} ({plan.name!r}) has period(s) {', '.join(missing)} but "
                f"resource {resource} has no item for them in this plan; its rate has no "
                "rate period there",
                entries[0].reading.item,
            )
        return ResourceRate(
            resource_mpn=resource,
            min_units=limits[0],
            max_units=limits[1],
            periods=tuple(
                RatePeriod(
                    term,
                    by_term[term].reading.item.mpn.strip(),
                    by_term[term].reading.item.is_active,
                )
                for term in terms
                if term in by_term
            ),
        )


def _limits(low: int, high: int) -> str:
    return f"{low}..{'unlimited' if high == -1 else high}"


def _billing_order(billing: Period | None) -> tuple[int, tuple[int, int, str]]:
    return (1, (0, 0, "")) if billing is None else (0, billing.sort_key)


def group_offer(
    product: SourceProduct,
    items: Iterable[SourceItem],
    offer: SourceOffer,
    rules: PlmRules,
) -> GroupedProduct:
    """Build the product line whose service plans follow a Connect offer's plans.

    Rules:
    - resources, names and flat MPNs come from the MPN rules, as without an offer;
    - one **service plan** per offer plan and billing period of the items it includes,
      named by the template with the offer plan's name; a trial billing gives a trial plan;
    - its **plan periods** are the commitment terms of those items (each keeps the flat MPN
      of the first item with that term, by resource MPN); a billing or commitment the offer
      plan does not declare is a warning (the MPN is the truth);
    - one **resource rate** per resource the plan includes, `min_units`/`max_units` from the
      item's constraint (max none = -1), a rate period per plan period the resource has;
    - the **description** is the offer plan's description, then its features by group with
      their values;
    - **upgrade paths** between the billing variants of one offer plan, as the rules configure;
    - items in no plan stay resources (an info event says so).
    """
    builder = read_items(items, rules)
    events = list(builder.events)
    readings = {
        reading.item.id: reading
        for readings in builder.resource_offers.values()
        for reading in readings
    }
    planner = _OfferPlanBuilder(product, offer, rules)
    per_plan = planner.included(readings)
    in_plans = {entry.reading.item.id for entries in per_plan.values() for entry in entries}
    events += [
        _event(
            Level.INFO,
            codes.OFFER_ITEM_NOT_IN_PLAN,
            product.id,
            f"item is in no plan of offer {offer.id}: its resource is kept, with no rate",
            reading.item,
        )
        for item_id, reading in sorted(readings.items())
        if item_id not in in_plans
    ]
    plans = add_upgrade_paths(planner.plans(per_plan), rules, lambda plan: plan.offer_plan_id)
    events += planner.events
    events.append(
        _event(
            Level.INFO,
            codes.OFFER_PLANS_USED,
            product.id,
            f"service plans follow offer {offer.id} ({offer.name!r}): {len(plans)} plan(s) "
            f"from {len(offer.plans)} offer plan(s)",
        )
    )
    line = ProductLine(
        connect_product_id=product.id,
        name=product.name,
        vendor=product.vendor,
        resources=builder.resources(),
        service_plans=plans,
        plan_source="offer",
        offer_id=offer.id,
        offer_name=offer.name,
    )
    return GroupedProduct(line, tuple(events))

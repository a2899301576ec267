"""Grouping of one Connect product's flat items into a hierarchical PLM product line."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from plm_sync.domain import events as codes
from plm_sync.domain.catalog import (
    PlanPeriod,
    ProductLine,
    RatePeriod,
    Resource,
    ResourceRate,
    ServicePlan,
)
from plm_sync.domain.events import Event, Level
from plm_sync.domain.mpn import ParsedMpn, parse_mpn
from plm_sync.domain.names import strip_name_suffix
from plm_sync.domain.periods import Period, parse_connect_period
from plm_sync.domain.rules import PlmRules, UpgradeMode
from plm_sync.domain.source import ItemType, SourceItem, SourceProduct


@dataclass(frozen=True)
class GroupedProduct:
    """A product line and what the rules noticed on the way."""

    product_line: ProductLine
    events: tuple[Event, ...]


@dataclass(frozen=True)
class ItemReading:
    """One item read by the rules: which resource, plan and period it gives."""

    item: SourceItem
    resource_mpn: str
    resource_name: str
    plan_name: str | None  # fixed for as-is items; MPN-based plans are named by the template
    billing: Period | None
    commitment: Period
    as_is: bool

    @property
    def plan_key(self) -> tuple[str, Period | None]:
        """The MPN-based plan this reading belongs to: (resource MPN, billing)."""
        return (self.resource_mpn, self.billing)


def plan_name(rules: PlmRules, name: str, resource_mpn: str, billing: Period | None) -> str:
    """Name a service plan with the operator's template (default `{name} ({label})`)."""
    return rules.plan_name_template.format(
        name=name,
        label=rules.vocabulary.label_for(billing),
        mpn=resource_mpn,
        billing_duration="" if billing is None else billing.duration,
        billing_unit="trial" if billing is None else billing.unit.value,
    )


def _event(level: Level, code: str, item: SourceItem, message: str) -> Event:
    return Event(level, code, message, item.product_id, item.id, item.mpn)


def _read_parsed(item: SourceItem, parsed: ParsedMpn) -> tuple[ItemReading, list[Event]]:
    found: list[Event] = []
    connect = parse_connect_period(item.period)
    if (
        not parsed.is_trial
        and connect is not None
        and not connect.is_trial
        and connect.billing != parsed.billing
    ):
        assert connect.billing is not None  # noqa: S101 - not a trial, so it has a billing period
        assert parsed.billing is not None  # noqa: S101 - same
        found.append(
            _event(
                Level.WARNING,
                codes.PERIOD_MISMATCH,
                item,
                f"Connect period {item.period!r} ({connect.billing.term()}) disagrees with the "
                f"MPN's billing frequency {parsed.billing_word!r} ({parsed.billing.term()}); "
                "the MPN is used",
            )
        )
    offer = ItemReading(
        item=item,
        resource_mpn=parsed.vendor_product_id,
        resource_name=strip_name_suffix(item.name) or item.id,
        plan_name=None,
        billing=parsed.billing,
        commitment=parsed.commitment,
        as_is=False,
    )
    return offer, found


def _read_as_is(item: SourceItem, reason: str, code: str) -> tuple[ItemReading | None, list[Event]]:
    mpn = item.mpn.strip()
    if not mpn:
        return None, [
            _event(
                Level.ERROR,
                codes.ITEM_NO_MPN,
                item,
                "item has no MPN, so PLM cannot key it; give the item an MPN in Connect",
            )
        ]
    connect = parse_connect_period(item.period)
    if connect is None:
        return None, [
            _event(
                Level.WARNING,
                codes.ITEM_NO_RECURRING_PERIOD,
                item,
                f"MPN is taken as is ({reason}) but the item's period {item.period!r} is not "
                "recurring, so it gives no service plan; item skipped",
            )
        ]
    if connect.billing is None:
        assert connect.trial_length is not None  # noqa: S101 - trials always carry a length
        commitment = connect.trial_length
    else:
        commitment = connect.billing.times(max(item.commitment_count, 1))
    name = item.name.strip() or mpn
    offer = ItemReading(
        item=item,
        resource_mpn=mpn,
        resource_name=name,
        plan_name=name,
        billing=connect.billing,
        commitment=commitment,
        as_is=True,
    )
    message = f"MPN taken as is: {reason}; periods come from the item's own period/commitment"
    return offer, [_event(Level.INFO, code, item, message)]


def read_item(item: SourceItem, rules: PlmRules) -> tuple[ItemReading | None, list[Event]]:
    """Apply the MPN rule to one item, falling back to as-is with an `info` event."""
    parsed = parse_mpn(item.mpn, rules.vocabulary)
    if isinstance(parsed, ParsedMpn):
        return _read_parsed(item, parsed)
    return _read_as_is(item, parsed.detail, parsed.reason.event_code)


class LineBuilder:
    """Accumulates offers into resources and plans, recording conflicts as events."""

    def __init__(self, rules: PlmRules) -> None:
        self.rules = rules
        self.events: list[Event] = []
        self.resource_offers: dict[str, list[ItemReading]] = {}
        self.plan_offers: dict[tuple[str, Period | None], list[ItemReading]] = {}
        self.seen_periods: dict[tuple[str, Period | None, Period], ItemReading] = {}

    def add(self, offer: ItemReading) -> None:
        """Record one item reading, or a conflict event when it cannot be used."""
        known = self.resource_offers.get(offer.resource_mpn)
        if known is not None and known[0].as_is != offer.as_is:
            self.events.append(self._collision(offer, known[0]))
            return
        if offer.as_is and known is not None:
            self.events.append(self._collision(offer, known[0]))
            return
        period_key = (offer.resource_mpn, offer.billing, offer.commitment)
        first = self.seen_periods.get(period_key)
        if first is not None:
            self.events.append(
                _event(
                    Level.WARNING,
                    codes.DUPLICATE_PERIOD,
                    offer.item,
                    f"same vendor product, commitment and billing as item {first.item.id} "
                    f"({first.item.mpn}); this item is ignored",
                )
            )
            return
        self.seen_periods[period_key] = offer
        if known is None:
            self.resource_offers[offer.resource_mpn] = [offer]
        else:
            if offer.resource_name != known[0].resource_name:
                self.events.append(
                    _event(
                        Level.WARNING,
                        codes.RESOURCE_NAME_CONFLICT,
                        offer.item,
                        f"name {offer.resource_name!r} differs from {known[0].resource_name!r} "
                        f"of item {known[0].item.id} for the same vendor product id; "
                        f"the resource keeps {known[0].resource_name!r}",
                    )
                )
            known.append(offer)
        self.plan_offers.setdefault(offer.plan_key, []).append(offer)

    @staticmethod
    def _collision(offer: ItemReading, other: ItemReading) -> Event:
        return _event(
            Level.WARNING,
            codes.AS_IS_MPN_COLLISION,
            offer.item,
            f"resource MPN {offer.resource_mpn!r} is already given by item {other.item.id}; "
            "this item is ignored",
        )

    def resources(self) -> tuple[Resource, ...]:
        """One resource per MPN read, sorted by MPN."""
        built = []
        for mpn, offers in self.resource_offers.items():
            first = offers[0]
            built.append(
                Resource(
                    mpn=mpn,
                    name=first.resource_name,
                    uom=first.item.unit,
                    measurable=any(offer.item.type is ItemType.PPU for offer in offers),
                    as_is=first.as_is,
                    active=any(offer.item.is_active for offer in offers),
                )
            )
        return tuple(sorted(built, key=lambda resource: resource.mpn))

    def plan_names(self) -> dict[tuple[str, Period | None], str]:
        """A unique name per (resource, billing) plan, conflicts resolved with events."""
        names: dict[tuple[str, Period | None], str] = {}
        taken: dict[str, tuple[str, Period | None]] = {}
        for key in sorted(self.plan_offers, key=_plan_key_order):
            offers = self.plan_offers[key]
            resource_name = self.resource_offers[key[0]][0].resource_name
            name = offers[0].plan_name or plan_name(self.rules, resource_name, key[0], key[1])
            if name in taken:
                unique = f"{name} [{key[0]}]"
                self.events.append(
                    _event(
                        Level.WARNING,
                        codes.PLAN_NAME_CONFLICT,
                        offers[0].item,
                        f"plan name {name!r} is already used by resource {taken[name][0]}; "
                        f"this plan is named {unique!r}",
                    )
                )
                name = unique
            taken[name] = key
            names[key] = name
        return names

    def plans(self) -> tuple[ServicePlan, ...]:
        """The MPN-based service plans, sorted by name."""
        names = self.plan_names()
        plans: dict[tuple[str, Period | None], ServicePlan] = {}
        for key, offers in self.plan_offers.items():
            ordered = sorted(offers, key=lambda offer: (offer.commitment.sort_key, offer.item.mpn))
            periods = tuple(
                PlanPeriod(
                    period=offer.commitment,
                    trial=offer.billing is None,
                    mpn=offer.item.mpn.strip(),
                    connect_item_id=offer.item.id,
                    active=offer.item.is_active,
                )
                for offer in ordered
            )
            rate = ResourceRate(
                resource_mpn=key[0],
                min_units=self.rules.min_units,
                max_units=self.rules.max_units,
                periods=tuple(
                    RatePeriod(period.period, period.mpn, period.active) for period in periods
                ),
            )
            plans[key] = ServicePlan(
                name=names[key],
                resource_mpn=key[0],
                billing_period=key[1],
                trial=key[1] is None,
                active=any(period.active for period in periods),
                periods=periods,
                resource_rates=(rate,),
            )
        return add_upgrade_paths(plans.values(), self.rules, lambda plan: plan.resource_mpn)


def _plan_key_order(key: tuple[str, Period | None]) -> tuple[str, int, tuple[int, int, str]]:
    resource, billing = key
    if billing is None:
        return (resource, 1, (0, 0, ""))
    return (resource, 0, billing.sort_key)


def add_upgrade_paths(
    plans: Iterable[ServicePlan], rules: PlmRules, family: Callable[[ServicePlan], str]
) -> tuple[ServicePlan, ...]:
    """The plans with upgrade paths to their siblings, sorted by name.

    Siblings are the plans of one `family` (one resource, or one offer plan); a path leads
    to an active paid sibling, as the rules configure.
    """
    plans = list(plans)
    paid: dict[str, list[ServicePlan]] = {}
    for plan in plans:
        if plan.billing_period is not None and plan.active:
            paid.setdefault(family(plan), []).append(plan)
    done = [_with_upgrade_paths(plan, paid.get(family(plan), []), rules) for plan in plans]
    return tuple(sorted(done, key=lambda plan: plan.name))


def _with_upgrade_paths(
    plan: ServicePlan,
    paid_siblings: list[ServicePlan],
    rules: PlmRules,
) -> ServicePlan:
    """`paid_siblings`: the active non-trial plans of the plan's family (itself included)."""
    if rules.upgrade_mode is UpgradeMode.NONE or (plan.trial and not rules.trial_upgrades):
        return plan
    siblings = [other for other in paid_siblings if other.name != plan.name]
    if rules.upgrade_mode is UpgradeMode.LONGER_BILLING and plan.billing_period is not None:
        own = plan.billing_period.sort_key
        siblings = [
            other
            for other in siblings
            if other.billing_period is not None and other.billing_period.sort_key > own
        ]
    return replace(plan, upgrade_paths=tuple(sorted(other.name for other in siblings)))


def read_items(items: Iterable[SourceItem], rules: PlmRules) -> LineBuilder:
    """Apply the MPN rules to every item: resources, plan candidates and their events."""
    builder = LineBuilder(rules)
    deferred: list[ItemReading] = []
    for item in sorted(items, key=lambda item: item.id):
        reading, found = read_item(item, rules)
        builder.events.extend(found)
        if reading is None:
            continue
        if reading.as_is:
            deferred.append(reading)
        else:
            builder.add(reading)
    for reading in deferred:  # rule-following items claim their MPNs before as-is ones
        builder.add(reading)
    return builder


def group_items(
    product: SourceProduct, items: Iterable[SourceItem], rules: PlmRules
) -> GroupedProduct:
    """Build the PLM product line of one Connect product from its items.

    Rules:
    - one **resource** per vendor product id (the MPN before its suffix), named by the item name
      without its last parenthesised suffix; `measurable` when any of its items is pay-per-use;
      UOM from the first item's unit;
    - one **service plan** per (resource, billing period), named by the template; billing
      `None` gives a trial plan;
    - its **plan periods** are the commitment terms found, each keeping its flat MPN and item;
    - one **resource rate** per plan x resource, with a **rate period** for every plan period,
      even when there is only one;
    - **upgrade paths** between sibling plans of a resource, as the rules configure;
    - an item whose MPN does not follow the rule is **as is**: its own resource and plan named
      by the item, periods from its Connect `period` and `commitment` (an `info` event says why);
    - `endofsale` items stay, deactivated; a plan or resource is active while any period is;
    - conflicts are warnings, the first item (by Connect id) wins: differing names for one
      vendor id, the same (vendor id, term, billing) twice, an as-is MPN that is already a
      resource, two plans with one name (the later gets its resource MPN appended), and the
      item's Connect period disagreeing with the MPN (the MPN wins).
    Output lists are sorted (resources by MPN, plans by name, periods by length).
    """
    builder = read_items(items, rules)
    line = ProductLine(
        connect_product_id=product.id,
        name=product.name,
        vendor=product.vendor,
        resources=builder.resources(),
        service_plans=builder.plans(),
    )
    return GroupedProduct(line, tuple(builder.events))

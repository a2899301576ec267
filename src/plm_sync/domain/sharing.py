"""Sharing of service plans with operating units and reseller groups, from operator rules."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase

from plm_sync.domain.catalog import ProductLine, ServicePlan, Sharing


@dataclass(frozen=True)
class PlanSelector:
    """Which plans a rule applies to; every given key must match (globs, case-sensitive)."""

    product: str | None = None
    mpn: str | None = None
    plan: str | None = None
    billing: str | None = None  # day | month | year: the billing period's unit
    trial: bool | None = None

    def matches(self, product_id: str, plan: ServicePlan) -> bool:
        """Whether the plan of this product is selected."""
        billing = plan.billing_period.unit.value if plan.billing_period else None
        checks = (
            (self.product, product_id),
            (self.mpn, plan.resource_mpn),
            (self.plan, plan.name),
        )
        if any(
            pattern is not None and not fnmatchcase(value, pattern) for pattern, value in checks
        ):
            return False
        if self.billing is not None and billing != self.billing:
            return False
        return self.trial is None or plan.trial == self.trial


@dataclass(frozen=True)
class SharingRule:
    """Give the selected plans operating units, reseller groups and a published flag."""

    selector: PlanSelector
    op_units: tuple[str, ...] = ()
    reseller_groups: tuple[str, ...] = ()
    op_unit_reseller_groups: tuple[tuple[str, tuple[str, ...]], ...] = ()
    published: bool | None = None


@dataclass(frozen=True)
class SharingRules:
    """The operator's sharing file: rules applied in order, each adding to the earlier ones.

    With `from_listings`, every plan of a line is also shared with the operating units of the
    marketplaces its product is listed in (`marketplace_units`: the file's `marketplaces`).
    """

    rules: tuple[SharingRule, ...] = ()
    from_listings: bool = False
    marketplace_units: tuple[tuple[str, str], ...] = ()

    def listing_units(self, marketplaces: Collection[str]) -> tuple[str, ...]:
        """The operating units of these marketplaces (none unless `from_listings`)."""
        if not self.from_listings:
            return ()
        return tuple(sorted({unit for mp, unit in self.marketplace_units if mp in marketplaces}))

    @property
    def units(self) -> tuple[str, ...]:
        """Every operating unit the file names (rules and marketplaces): the workbook sets each.

        A unit a plan is not shared with is written FALSE, so PLM takes a plan from a unit it
        was shared with before (a listing gone, a rule changed), as CloudBlue's extension
        writes every marketplace's column.
        """
        named = {unit for rule in self.rules for unit in rule.op_units}
        named |= {unit for rule in self.rules for unit, _ in rule.op_unit_reseller_groups}
        return tuple(sorted(named | {unit for _, unit in self.marketplace_units}))

    def withdrawn_units(self, listings: Listings) -> tuple[str, ...]:
        """The units of the marketplaces a product's listing is gone from: never shared.

        As CloudBlue's own extension scopes a workbook to the marketplaces it deploys to
        (every other marketplace's `OpUnit_<code>` FALSE). A unit another marketplace the
        product is still listed in maps to stays.
        """
        kept = {unit for mp, unit in self.marketplace_units if mp in listings.listed}
        return tuple(
            sorted(
                {
                    unit
                    for mp, unit in self.marketplace_units
                    if mp in listings.gone and unit not in kept
                }
            )
        )


@dataclass(frozen=True)
class Listings:
    """Where a product is listed in Connect now, and where its listing is gone.

    `gone`: marketplaces it was listed in (the store remembers them) and is no longer.
    """

    listed: tuple[str, ...] = ()
    gone: tuple[str, ...] = ()

    @classmethod
    def of(cls, listed: Collection[str], known: Collection[str]) -> Listings:
        """From the marketplaces it is listed in and those it ever was (stored)."""
        now = set(listed)
        return cls(tuple(sorted(now)), tuple(sorted(set(known) - now)))


def _merge(sharing: Sharing, rule: SharingRule) -> Sharing:
    units = set(sharing.op_units) | set(rule.op_units)
    groups = set(sharing.reseller_groups) | set(rule.reseller_groups)
    nested = {unit: set(names) for unit, names in sharing.op_unit_reseller_groups}
    for unit, names in rule.op_unit_reseller_groups:
        nested.setdefault(unit, set()).update(names)
    return Sharing(
        op_units=tuple(sorted(units)),
        reseller_groups=tuple(sorted(groups)),
        op_unit_reseller_groups=tuple(
            (unit, tuple(sorted(names))) for unit, names in sorted(nested.items())
        ),
    )


def apply_sharing(
    line: ProductLine, rules: SharingRules, listings: Listings | None = None
) -> ProductLine:
    """Set each plan's sharing and published flag from the rules.

    Rules:
    - rules are applied in file order; a matching rule **adds** its operating units,
      reseller groups and reseller groups under units to what earlier rules gave;
    - `published`, when a matching rule sets it, is the last such rule's value (default
      true, as PLM's default);
    - a plan no rule matches is shared with nobody;
    - consistency (groups under a unit need the unit) is checked when the file is loaded,
      so the union of consistent rules is consistent;
    - with `from_listings`, every plan is also shared with the units of the marketplaces
      the product is listed in;
    - a unit of a marketplace the product's listing is gone from is shared with no plan.
    """
    listings = listings or Listings()
    listed = SharingRule(PlanSelector(), op_units=rules.listing_units(listings.listed))
    withdrawn = set(rules.withdrawn_units(listings))
    plans = []
    for plan in line.service_plans:
        sharing = _merge(Sharing(), listed) if listed.op_units else Sharing()
        published = True
        for rule in rules.rules:
            if rule.selector.matches(line.connect_product_id, plan):
                sharing = _merge(sharing, rule)
                if rule.published is not None:
                    published = rule.published
        if withdrawn:
            sharing = replace(
                sharing,
                op_units=tuple(unit for unit in sharing.op_units if unit not in withdrawn),
                op_unit_reseller_groups=tuple(
                    (unit, groups)
                    for unit, groups in sharing.op_unit_reseller_groups
                    if unit not in withdrawn
                ),
            )
        plans.append(replace(plan, sharing=sharing, published=published))
    return replace(line, service_plans=tuple(plans))


def sharing_difference(before: Sharing, after: Sharing) -> tuple[list[str], list[str]]:
    """What a change shares and unshares, as readable entries (`OpUnit US`, `Group X`)."""

    def entries(sharing: Sharing) -> set[str]:
        found = {f"operating unit {unit}" for unit in sharing.op_units}
        found |= {f"reseller group {group!r}" for group in sharing.reseller_groups}
        found |= {
            f"reseller group {group!r} under {unit}"
            for unit, groups in sharing.op_unit_reseller_groups
            for group in groups
        }
        return found

    old, new = entries(before), entries(after)
    return sorted(new - old), sorted(old - new)

"""The hierarchical PLM catalog of one product line (its JSON is `catalog_json`'s)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from plm_sync.domain.periods import Period

JsonDict = dict[str, Any]


@dataclass(frozen=True)
class Resource:
    """A PLM resource: one per vendor product id (or per as-is item)."""

    mpn: str
    name: str
    uom: str
    measurable: bool
    as_is: bool
    active: bool


@dataclass(frozen=True)
class PlanPeriod:
    """A subscription period of a plan; keeps the flat MPN and the Connect item it came from."""

    period: Period
    trial: bool
    mpn: str
    connect_item_id: str
    active: bool


@dataclass(frozen=True)
class RatePeriod:
    """A resource rate period: the key of flat price lists is its MPN."""

    period: Period
    mpn: str
    active: bool = True


@dataclass(frozen=True)
class ResourceRate:
    """The rate of one resource in one plan, with a period per plan subscription period."""

    resource_mpn: str
    min_units: int
    max_units: int
    periods: tuple[RatePeriod, ...]
    addon: bool = False  # an add-on's optional rate in a base plan


@dataclass(frozen=True)
class ResourceDependency:
    """A resource that depends on another in PLM: an add-on (child) requires its base."""

    child_mpn: str
    parent_mpn: str
    kind: str
    multiplier: int

    @property
    def key(self) -> str:
        """Its identity in the line: the resource pair."""
        return f"{self.child_mpn}>{self.parent_mpn}"


@dataclass(frozen=True)
class Sharing:
    """Who may sell a plan: operating units, direct reseller groups, groups under a unit."""

    op_units: tuple[str, ...] = ()
    reseller_groups: tuple[str, ...] = ()
    op_unit_reseller_groups: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @classmethod
    def from_dict(cls, data: JsonDict) -> Sharing:
        """Inverse of `as_dict`."""
        nested = data.get("op_unit_reseller_groups") or {}
        return cls(
            op_units=tuple(data.get("op_units") or ()),
            reseller_groups=tuple(data.get("reseller_groups") or ()),
            op_unit_reseller_groups=tuple(
                (unit, tuple(groups)) for unit, groups in sorted(nested.items())
            ),
        )

    def as_dict(self) -> JsonDict:
        """JSON shape of `catalog`."""
        return {
            "op_units": list(self.op_units),
            "reseller_groups": list(self.reseller_groups),
            "op_unit_reseller_groups": {
                unit: list(groups) for unit, groups in self.op_unit_reseller_groups
            },
        }


@dataclass(frozen=True)
class Feature:
    """A feature of an offer plan, in its feature group, with the plan's value."""

    group: str
    name: str
    value: str

    def as_dict(self) -> JsonDict:
        """JSON shape of `catalog`."""
        return {"group": self.group, "name": self.name, "value": self.value}


@dataclass(frozen=True)
class ServicePlan:
    """A PLM service plan: one per (resource, billing period); trials have no billing period."""

    name: str
    resource_mpn: str
    billing_period: Period | None
    trial: bool
    active: bool
    periods: tuple[PlanPeriod, ...]
    resource_rates: tuple[ResourceRate, ...]
    upgrade_paths: tuple[str, ...] = ()
    sharing: Sharing = field(default_factory=Sharing)
    published: bool = True
    description: str = ""
    offer_plan_id: str = ""
    features: tuple[Feature, ...] = ()

    @property
    def key(self) -> str:
        """The plan's identity in its line: resource MPN (or offer plan) and billing term."""
        billing = self.billing_period.term() if self.billing_period else "trial"
        if self.offer_plan_id:
            return f"offer:{self.offer_plan_id}|{billing}"
        return f"{self.resource_mpn}|{billing}"


@dataclass(frozen=True)
class PresetSettings:
    """A switch preset's business rules, as PLM's PlanSwitchPaths columns take them."""

    immediate: bool = True
    start_date: str = "Date of upgrade"
    period_change: bool = False
    upsize: bool = True
    downsize: bool = False
    partial: bool = False

    def as_dict(self) -> JsonDict:
        """JSON shape of `catalog`."""
        return {
            "immediate": self.immediate,
            "start_date": self.start_date,
            "period_change": self.period_change,
            "upsize": self.upsize,
            "downsize": self.downsize,
            "partial": self.partial,
        }


@dataclass(frozen=True)
class PlanSwitch:
    """A one-way switch from a source plan to a target plan.

    `item_mapping` maps each source-plan item (flat MPN) to a target-plan item or to None
    ("no item"); `resource_mapping` lists the resources that change on the way.
    `origin` is `connect` (from the offer) or `mappings` (switches.yaml).
    """

    source_plan: str
    target_plan: str
    preset: str
    operation: str
    item_mapping: tuple[tuple[str, str | None], ...]
    preset_settings: PresetSettings = field(default_factory=PresetSettings)
    resource_mapping: tuple[tuple[str, str], ...] = ()
    origin: str = "mappings"
    connect_switch_id: str = ""
    active: bool = True

    @property
    def key(self) -> str:
        """The switch's identity in its line: the plan pair (a path exists once)."""
        return f"{self.source_plan}>{self.target_plan}"


@dataclass(frozen=True)
class ProductLine:
    """The hierarchical catalog of one Connect product; lists are sorted for stable output."""

    connect_product_id: str
    name: str
    vendor: str
    resources: tuple[Resource, ...]
    service_plans: tuple[ServicePlan, ...]
    plan_switches: tuple[PlanSwitch, ...] = ()
    plan_source: str = "mpn"  # `offer`: plans follow the Connect offer `offer_id`
    offer_id: str = ""
    offer_name: str = ""
    resource_dependencies: tuple[ResourceDependency, ...] = ()
    # end-of-sale Connect items and the published items replacing them (item ids): they
    # become `eos` switches once the plans have their final names
    replacements: tuple[tuple[str, str], ...] = ()

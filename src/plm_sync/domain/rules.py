"""The operator-tunable PLM rules (from `mappings/plm.yaml`), as plain validated data."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from plm_sync.domain.periods import BillingVocabulary, default_vocabulary

PLAN_NAME_FIELDS = frozenset({"name", "label", "mpn", "billing_duration", "billing_unit"})
DEFAULT_PLAN_NAME_TEMPLATE = "{name} ({label})"


class UpgradeMode(StrEnum):
    """Which upgrade paths sibling plans of one resource get.

    `siblings`: every paid plan to every other paid plan of the resource;
    `longer_billing`: only to plans with a longer billing period; `none`: no paths.
    """

    SIBLINGS = "siblings"
    LONGER_BILLING = "longer_billing"
    NONE = "none"


def template_fields(template: str) -> set[str]:
    """The `{field}` names a plan-name template uses; raises ValueError when it is malformed."""
    names: set[str] = set()
    for _, field_name, spec, conversion in string.Formatter().parse(template):
        if field_name is None:
            continue
        if not field_name or spec or conversion:
            msg = "use plain {field} placeholders, without positions, formats or conversions"
            raise ValueError(msg)
        names.add(field_name)
    return names


@dataclass(frozen=True)
class WorkbookRules:
    """What the PLM workbook needs beyond the catalog: categories, period settings, policies.

    Values are written as given (PLM spellings such as `No Refund`); policy rows are added
    for every plan period.
    """

    cancellation_sheet: str = "CancellationPolicies"
    resource_category: str = "Cloud Services"
    plan_periods: Mapping[str, str | int] = field(default_factory=lambda: MappingProxyType({}))
    resource_rates: Mapping[str, str | int] = field(default_factory=lambda: MappingProxyType({}))
    cancellation_policies: tuple[Mapping[str, str | int], ...] = ()
    downsize_policies: tuple[Mapping[str, str | int], ...] = ()


DEFAULT_DEPENDENCE_KIND = "Requires"


@dataclass(frozen=True)
class Dependence:
    """How an add-on depends on its base in PLM's ResourceDependencies sheet.

    PLM documents the kinds Requires, Provided by and two Conflicts kinds; their exact
    workbook spelling is a setting (`ppr.dependence` in plm.yaml).
    """

    kind: str = DEFAULT_DEPENDENCE_KIND
    multiplier: int = 1


@dataclass(frozen=True)
class PlmRules:
    """Everything the grouping rules take from the operator.

    `plan_defaults` are extra ServicePlans settings (PlanCategory, ServiceTerms, ...) carried
    through to the workbook untouched.
    """

    vocabulary: BillingVocabulary = field(default_factory=default_vocabulary)
    plan_name_template: str = DEFAULT_PLAN_NAME_TEMPLATE
    upgrade_mode: UpgradeMode = UpgradeMode.SIBLINGS
    trial_upgrades: bool = True
    min_units: int = 1
    max_units: int = -1
    plan_defaults: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    workbook: WorkbookRules = field(default_factory=WorkbookRules)
    # out of `repr` only so the digests of version 1 (a `repr`) of pushed lines can still be
    # recognised (push.pushed_as); digests of version 2 leave a default field out anyway
    dependence: Dependence = field(default_factory=Dependence, repr=False)

    def __post_init__(self) -> None:
        unknown = template_fields(self.plan_name_template) - PLAN_NAME_FIELDS
        if unknown:
            msg = (
                f"plan name template uses unknown field(s) {sorted(unknown)}; "
                f"known: {sorted(PLAN_NAME_FIELDS)}"
            )
            raise ValueError(msg)
        if self.min_units < 0 or (self.max_units != -1 and self.max_units < self.min_units):
            msg = "units need 0 <= min_units <= max_units (max_units -1 = unlimited)"
            raise ValueError(msg)

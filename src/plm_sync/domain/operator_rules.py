"""The operator's rules as one value: PLM rules, sharing and switches, with one fingerprint."""

from __future__ import annotations

from dataclasses import dataclass, field

from plm_sync.domain.addons import AddonRules
from plm_sync.domain.catalog import ProductLine
from plm_sync.domain.digests import content_hash
from plm_sync.domain.prices import PricingRules
from plm_sync.domain.rules import PlmRules
from plm_sync.domain.sharing import Listings, SharingRules, apply_sharing
from plm_sync.domain.switches import SwitchRules


@dataclass(frozen=True)
class OperatorRules:
    """Everything the operator's files say, validated; loaded once per run (or per process).

    `addons` come from `addons.yaml` (optional), `pricing` from `pricing.yaml` (optional).

    `fingerprint` changes whenever any of the three does: a line stored under another
    fingerprint is recomputed even when Connect did not change.
    """

    plm: PlmRules = field(default_factory=PlmRules)
    sharing: SharingRules = field(default_factory=SharingRules)
    switches: SwitchRules = field(default_factory=SwitchRules)
    addons: AddonRules = field(default_factory=AddonRules)
    # prices only: a line's catalog does not depend on them (not in its fingerprint)
    pricing: PricingRules = field(default_factory=PricingRules)
    fingerprint: str = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        # canonical form: a rules field left at its default is not in the digest, so a field
        # added later with its default changes no fingerprint
        object.__setattr__(
            self,
            "fingerprint",
            content_hash(
                {
                    "plm": self.plm,
                    "sharing": self.sharing,
                    "switches": self.switches,
                    "addons": self.addons,
                }
            ),
        )

    def share(self, line: ProductLine, listings: Listings | None = None) -> ProductLine:
        """The line with every plan's sharing from the sharing rules (and its listings)."""
        return apply_sharing(line, self.sharing, listings)

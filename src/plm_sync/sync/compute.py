"""One product line computed from what Connect served: grouped, shared, flattened into rows.

The CPU side of a sync, with no I/O: the rules group a product's items into plans
(`domain.lines`), the line is flattened into the rows each catalog table should hold
(`domain.line_rows`), with its header, its findings and the events computing it gave. What the
stored line looks like is not known here; the batch writer (`load`, with `diff`) diffs the result
against it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from plm_sync.domain.events import Event, Level
from plm_sync.domain.line_rows import Desired, Values, flatten, line_header
from plm_sync.domain.lines import build_line, group_product, line_source_hash
from plm_sync.domain.offers import SourceOffer, choose_offer
from plm_sync.domain.operator_rules import OperatorRules
from plm_sync.domain.overrides import Override
from plm_sync.domain.sharing import Listings
from plm_sync.domain.source import SourceItem, SourceProduct
from plm_sync.domain.switches import SwitchError, switch_error_events


@dataclass
class BuiltLine:
    """A product line ready to be diffed and written, with what computing it found.

    `desired` None: the rules refused the line (a switch error); nothing is stored for it but
    its events, and it counts as a failed product.
    """

    product: SourceProduct
    items: list[SourceItem]
    offers: list[SourceOffer]
    offer: SourceOffer | None  # the offer its plans follow
    source: str  # the hash of what it was computed from
    read_events: list[Event]  # what reading its rows from Connect gave
    events: list[Event] = field(default_factory=list)  # what computing it gave
    findings: list[Event] = field(default_factory=list)  # its warnings and errors, kept
    desired: Desired | None = None
    header: Values = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        """The rules refused the line: nothing of it is stored."""
        return self.desired is None

    @property
    def rows(self) -> int:
        """Catalog rows the line holds (what a batch's size is counted in)."""
        return sum(map(len, self.desired.values())) if self.desired else 0

    @property
    def all_events(self) -> list[Event]:
        """Reading's events, then computing's."""
        return [*self.read_events, *self.events]


class LineBuilder:
    """Computes product lines under one run's rules."""

    def __init__(self, rules: OperatorRules) -> None:
        self.rules = rules

    def source(
        self,
        product: SourceProduct,
        items: Sequence[SourceItem],
        offers: Sequence[SourceOffer],
        overrides: list[Override],
        listings: Listings | None,
    ) -> str:
        """The hash of all the line is computed from (its listings too, when sharing follows)."""
        offer, _ = choose_offer(list(offers))
        return line_source_hash(
            product,
            list(items),
            self.rules.fingerprint,
            overrides,
            offer,
            listings=listings,
            sharing=self.rules.sharing,
        )

    def build(
        self,
        product: SourceProduct,
        items: Sequence[SourceItem],
        offers: Sequence[SourceOffer],
        overrides: list[Override],
        *,
        source: str,
        read_events: Sequence[Event] = (),
        listings: Listings | None = None,
    ) -> BuiltLine:
        """The line of one product; a switch error gives a failed line with its events."""
        grouped, offer = group_product(product, items, offers, self.rules)
        built = BuiltLine(
            product,
            list(items),
            list(offers),
            offer,
            source,
            list(read_events),
            events=list(grouped.events),
        )
        try:
            line, line_events = build_line(
                grouped.product_line, self.rules, overrides, offer, listings
            )
        except SwitchError as error:
            built.events += switch_error_events(product.id, error)
            return built
        built.events += line_events
        built.findings = [
            event for event in (*grouped.events, *line_events) if event.level is not Level.INFO
        ]
        built.desired = flatten(line)
        built.header = line_header(line, source) | {
            "findings": [event.as_dict() for event in built.findings]
        }
        if product.signature:
            built.header["connect_signature"] = product.signature
        return built

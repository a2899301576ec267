"""A product line built from Connect data and the operator's rules, and its digests.

Grouped, shared, overridden, switched; the digests tell whether a stored line is still what
its inputs give.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from plm_sync.domain import events as codes
from plm_sync.domain.addons import apply_addons
from plm_sync.domain.catalog import ProductLine
from plm_sync.domain.digests import content_hash, plain_hash
from plm_sync.domain.events import Event, Level
from plm_sync.domain.grouping import GroupedProduct, group_items
from plm_sync.domain.offer_plans import group_offer
from plm_sync.domain.offers import SourceOffer, choose_offer
from plm_sync.domain.operator_rules import OperatorRules
from plm_sync.domain.overrides import Override, apply_overrides
from plm_sync.domain.replacements import add_replacement_switches, replacement_pairs
from plm_sync.domain.sharing import Listings, SharingRules
from plm_sync.domain.source import SourceItem, SourceProduct
from plm_sync.domain.switches import resolve_switches

SYNCED_ITEM_STATUSES = frozenset({"published", "endofsale"})


def _row(i: SourceItem) -> dict[str, str | int]:
    """An item's fields a line is computed from, plain (an absent reference left out)."""
    row: dict[str, str | int] = {
        "id": str(i.id),
        "name": str(i.name),
        "mpn": str(i.mpn),
        "type": str(i.type.value),
        "period": str(i.period),
        "commitment_count": int(i.commitment_count),
        "unit": str(i.unit),
        "status": str(i.status),
    }
    if i.parent_id is not None:
        row["parent_id"] = str(i.parent_id)
    if i.replacement_id is not None:
        row["replacement_id"] = str(i.replacement_id)
    return row


def source_hash(product: SourceProduct, items: Sequence[SourceItem], rules_hash: str) -> str:
    """Digest of everything a line is computed from: product, items and the rules.

    The rows are built plain, so the digest is taken without a walk of the value (the same
    digest `content_hash` gives of it: a sync's one hash per line).
    """
    rows = [_row(i) for i in sorted(items, key=lambda i: (i.id, i.mpn))]
    return plain_hash([str(product.id), str(product.name), str(product.vendor), rows, rules_hash])


def line_source_hash(
    product: SourceProduct,
    items: Sequence[SourceItem],
    fingerprint: str,
    overrides: list[Override],
    offer: SourceOffer | None = None,
    *,
    listings: Listings | None = None,
    sharing: SharingRules | None = None,
) -> str:
    """What a stored line was computed from; equal hashes mean nothing to write.

    `listings` count as far as the sharing rules make the line depend on them: where the
    product is listed when sharing follows listings (`from_listings`), and the units of the
    marketplaces its listing is gone from (when there are any).
    """
    listings = listings or Listings()
    follows = sharing is not None and sharing.from_listings
    inputs: dict[str, object] = {
        "rules": fingerprint,
        "overrides": overrides,
        "offer": offer,
        "listed": sorted(listings.listed) if follows else None,
    }
    withdrawn = sharing.withdrawn_units(listings) if sharing is not None else ()
    if withdrawn:  # only then: the hash of a line never unlisted stays as it was
        inputs["withdrawn"] = list(withdrawn)
    return source_hash(product, items, content_hash(inputs))


def group_product(
    product: SourceProduct,
    items: Sequence[SourceItem],
    offers: Sequence[SourceOffer],
    rules: OperatorRules,
) -> tuple[GroupedProduct, SourceOffer | None]:
    """Plans follow the product's published Connect offer if it has one, else the MPNs."""
    offer, notes = choose_offer(list(offers))
    ignored = [
        Event(
            Level.INFO,
            codes.OFFER_IGNORED,
            f"offer {other.id} ({other.name!r}) is {other.status}, not ready or listed; "
            "it gives no plans",
            product.id,
        )
        for other in offers
        if not other.is_published
    ]
    ignored += [Event(Level.WARNING, codes.OFFER_IGNORED, note, product.id) for note in notes]
    if offer is None:
        grouped = group_items(product, items, rules.plm)
    else:
        grouped = group_offer(product, items, offer, rules.plm)
    line, addon_events = apply_addons(grouped.product_line, items, rules.addons, rules.plm)
    pairs, replacement_events = replacement_pairs(product.id, items)
    line = replace(line, replacements=pairs)
    found = (*ignored, *grouped.events, *addon_events, *replacement_events)
    return GroupedProduct(line, found), offer


def build_line(
    grouped: ProductLine,
    rules: OperatorRules,
    overrides: list[Override],
    offer: SourceOffer | None = None,
    listings: Listings | None = None,
) -> tuple[ProductLine, list[Event]]:
    """The line as stored: grouped, shared, the overrides (win), then its plan switches.

    What a sync stores and what a workbook import compares with: both call this, with the
    product's listings. Switches are resolved on the final plan names (what the workbook's
    switch paths name); invalid ones raise SwitchError.
    """
    line, events = apply_overrides(rules.share(grouped, listings), overrides)
    line, switch_events = resolve_switches(line, offer, rules.switches)
    line, replacement_events = add_replacement_switches(line, rules.switches.presets)
    return line, events + switch_events + replacement_events

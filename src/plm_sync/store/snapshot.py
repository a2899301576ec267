"""The raw Connect snapshot: last-seen products and items with content hashes."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plm_sync.domain.digests import content_hash
from plm_sync.domain.offers import SourceOffer
from plm_sync.domain.source import ItemType, SourceItem, SourceProduct
from plm_sync.store.bulk import insert_rows
from plm_sync.store.models import ConnectItem, ConnectOffer, ConnectProduct, table_of


class SnapshotRepository:
    """Keeps `connect_products` and `connect_items` equal to what Connect last served."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def save(self, product: SourceProduct, items: Sequence[SourceItem], run_id: int) -> int:
        """Write what changed (by content hash); items no longer served get `present` false.

        Returns the number of rows written.
        """
        written = 0
        values = {
            "name": product.name,
            "vendor": product.vendor,
            "status": product.status,
            "updated_at": product.updated_at,
        }
        digest = content_hash(values)
        stored = self.session.get(ConnectProduct, product.id)
        if stored is None:
            self.session.add(
                ConnectProduct(
                    id=product.id, content_hash=digest, last_seen_run_id=run_id, **values
                )
            )
            written += 1
        elif stored.content_hash != digest:
            for key, value in values.items():
                setattr(stored, key, value)
            stored.content_hash, stored.last_seen_run_id = digest, run_id
            written += 1
        # items are written with their product's row: a product never stored has none
        known = (
            {}
            if stored is None
            else {
                ident: (digest, present)
                for ident, digest, present in self.session.execute(
                    select(ConnectItem.id, ConnectItem.content_hash, ConnectItem.present).where(
                        ConnectItem.product_id == product.id
                    )
                )
            }
        )
        inserts, updates = [], []
        for item in items:
            row = {
                "product_id": item.product_id,
                "mpn": item.mpn,
                "name": item.name,
                "type": item.type.value,
                "period": item.period,
                "commitment_count": item.commitment_count,
                "unit": item.unit,
                "status": item.status,
                "updated_at": item.updated_at,
            }
            row |= {"parent_id": item.parent_id, "replacement_id": item.replacement_id}
            item_digest = content_hash(row)
            previous = known.pop(item.id, None)
            if previous is None:
                inserts.append({**row, "id": item.id, "content_hash": item_digest, "present": True})
            elif previous != (item_digest, True):
                updates.append({**row, "id": item.id, "content_hash": item_digest, "present": True})
        updates += [
            {"id": ident, "present": False} for ident, (_, present) in known.items() if present
        ]
        if inserts:
            insert_rows(self.session, table_of(ConnectItem), inserts)
        if updates:
            self.session.execute(update(ConnectItem), updates)
        return written + len(inserts) + len(updates)

    def save_offer(self, product_id: str, offer: SourceOffer | None, run_id: int) -> None:
        """Keep the offer the product's plans follow (none: the row goes)."""
        stored = self.session.get(ConnectOffer, product_id)
        if offer is None:
            if stored is not None:
                self.session.delete(stored)
            return
        payload = offer.as_dict()
        digest = content_hash(payload)
        if stored is None:
            self.session.add(
                ConnectOffer(
                    product_id=product_id,
                    offer_id=offer.id,
                    payload=payload,
                    content_hash=digest,
                    last_seen_run_id=run_id,
                )
            )
        elif stored.content_hash != digest:
            stored.offer_id, stored.payload = offer.id, payload
            stored.content_hash, stored.last_seen_run_id = digest, run_id

    def load_offer(self, product_id: str) -> SourceOffer | None:
        """The offer last seen for a product, to recompute its line offline."""
        stored = self.session.get(ConnectOffer, product_id)
        return None if stored is None else SourceOffer.from_dict(stored.payload)

    def load(self, product_id: str) -> tuple[SourceProduct, list[SourceItem]] | None:
        """The product and its present items as last seen, to recompute a line offline."""
        product = self.session.get(ConnectProduct, product_id)
        if product is None:
            return None
        items = self.session.scalars(
            select(ConnectItem)
            .where(ConnectItem.product_id == product_id, ConnectItem.present.is_(True))
            .order_by(ConnectItem.id)
        )
        return (
            SourceProduct(
                product.id, product.name, product.vendor, product.status, product.updated_at
            ),
            [
                SourceItem(
                    id=item.id,
                    product_id=item.product_id,
                    name=item.name,
                    mpn=item.mpn,
                    type=ItemType(item.type),
                    period=item.period,
                    commitment_count=item.commitment_count,
                    unit=item.unit,
                    status=item.status,
                    updated_at=item.updated_at,
                    parent_id=item.parent_id,
                    replacement_id=item.replacement_id,
                )
                for item in items
            ],
        )

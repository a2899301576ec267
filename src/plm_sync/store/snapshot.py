"""The raw Connect snapshot: last-seen products and items with content hashes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plm_sync.domain.digests import content_hash
from plm_sync.domain.offers import SourceOffer
from plm_sync.domain.source import ItemType, SourceItem, SourceProduct
from plm_sync.store.bulk import in_chunks, insert_rows
from plm_sync.store.models import ConnectItem, ConnectOffer, ConnectProduct, table_of


class SnapshotRepository:
    """Keeps `connect_products` and `connect_items` equal to what Connect last served."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def save_batch(
        self, products: Sequence[tuple[SourceProduct, Sequence[SourceItem]]], run_id: int
    ) -> int:
        """Write what changed of a batch of products (by content hash), in one read per table.

        Items no longer served get `present` false. Returns the number of rows written.
        """
        if not products:
            return 0
        stored, known = self._stored([product.id for product, _ in products])
        new_products, changed_products = [], []
        inserts, updates = [], []
        for product, items in products:
            values = _product_values(product)
            digest = content_hash(values)
            row = {**values, "id": product.id, "content_hash": digest, "last_seen_run_id": run_id}
            if product.id not in stored:
                new_products.append(row)
            elif stored[product.id] != digest:
                changed_products.append(row)
            for item in items:
                item_values = _item_values(item)
                item_digest = content_hash(item_values)
                previous = known.pop(item.id, None)
                item_row = {**item_values, "id": item.id, "content_hash": item_digest}
                if previous is None:
                    inserts.append(item_row | {"present": True})
                elif previous != (item_digest, True):
                    updates.append(item_row | {"present": True})
        updates += [
            {"id": ident, "present": False} for ident, (_, present) in known.items() if present
        ]
        self._write(ConnectProduct, new_products, changed_products)
        self._write(ConnectItem, inserts, updates)
        return len(new_products) + len(changed_products) + len(inserts) + len(updates)

    def _write(
        self,
        model: type[ConnectProduct | ConnectItem],
        inserts: list[dict[str, Any]],
        updates: list[dict[str, Any]],
    ) -> None:
        if inserts:
            insert_rows(self.session, table_of(model), inserts)
        if updates:
            self.session.execute(update(model), updates)

    def _stored(self, ids: list[str]) -> tuple[dict[str, str], dict[str, tuple[str, bool]]]:
        """The stored products' digests, and their items' digests and presence."""
        stored = {
            row.id: row.content_hash
            for chunk in in_chunks(ids)
            for row in self.session.execute(
                select(ConnectProduct.id, ConnectProduct.content_hash).where(
                    ConnectProduct.id.in_(chunk)
                )
            )
        }
        known: dict[str, tuple[str, bool]] = {}
        # items are written with their product's row: a product never stored has none
        for chunk in in_chunks([pid for pid in ids if pid in stored]):
            known |= {
                ident: (digest, present)
                for ident, digest, present in self.session.execute(
                    select(ConnectItem.id, ConnectItem.content_hash, ConnectItem.present).where(
                        ConnectItem.product_id.in_(chunk)
                    )
                )
            }
        return stored, known

    def save_offers(self, offers: dict[str, SourceOffer | None], run_id: int) -> None:
        """Keep the offer each product's plans follow (none: the row goes), in one read."""
        if not offers:
            return
        stored = {
            row.product_id: row
            for chunk in in_chunks(sorted(offers))
            for row in self.session.scalars(
                select(ConnectOffer).where(ConnectOffer.product_id.in_(chunk))
            )
        }
        for product_id, offer in offers.items():
            row = stored.get(product_id)
            if offer is None:
                if row is not None:
                    self.session.delete(row)
                continue
            payload = offer.as_dict()
            digest = content_hash(payload)
            if row is None:
                self.session.add(
                    ConnectOffer(
                        product_id=product_id,
                        offer_id=offer.id,
                        payload=payload,
                        content_hash=digest,
                        last_seen_run_id=run_id,
                    )
                )
            elif row.content_hash != digest:
                row.offer_id, row.payload = offer.id, payload
                row.content_hash, row.last_seen_run_id = digest, run_id

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


def _product_values(product: SourceProduct) -> dict[str, Any]:
    return {
        "name": product.name,
        "vendor": product.vendor,
        "status": product.status,
        "updated_at": product.updated_at,
    }


def _item_values(item: SourceItem) -> dict[str, Any]:
    return {
        "product_id": item.product_id,
        "mpn": item.mpn,
        "name": item.name,
        "type": item.type.value,
        "period": item.period,
        "commitment_count": item.commitment_count,
        "unit": item.unit,
        "status": item.status,
        "updated_at": item.updated_at,
        "parent_id": item.parent_id,
        "replacement_id": item.replacement_id,
    }

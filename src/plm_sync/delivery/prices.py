"""A line's prices into Commerce, one marketplace at a time, through the price-import wizard.

After the line's workbook is in PLM (a price for a plan PLM does not have is refused), for
each marketplace with prices whose file differs from what this hub last received: find the
marketplace's reseller account (`pricing.yaml`, else its hub entry's external id), upload
the file, `prepare-proposals` (a dry run stops there and shows them), `set-prices`. Commerce
refuses an effective date in the past: such rows are sent as effective today (said in the
event); scheduled rows keep their date, one upload per date.

`set-prices` changes prices: an intent is written before it is sent, and a push that finds
one open reads the reseller's flat-catalog products back; prices already there as sent are
recorded as received (`commerce_prices_converged`), else they are set again, saying why.

What the catalog no longer holds leaves the hub. A marketplace whose listing is gone: the
line's workbook unshares its plans from the marketplace's operating unit, and this hub's
memory of the prices there is cleared (`commerce_prices_forgotten`; sent again if it is
listed again). A row removed while the marketplace still sells the line: Commerce's price
import sets prices and has no call that removes one (PROTOCOL.md §6, §10: "In PLM you cannot
set up product prices"), so the push reads the reseller's flat catalog back; a row still
shown is `commerce_price_not_withdrawn` (error, kept on the hub's record and shown by
`status`, `/health` and the alerts) until a later push reads it gone or the catalog holds it
again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import structlog

from plm_sync.commerce.client import CommerceClient
from plm_sync.commerce.wizard import PriceWizard, WizardOptions
from plm_sync.delivery import intents
from plm_sync.delivery.intents import IntentLog
from plm_sync.delivery.price_list import price_list_bytes, price_list_rows
from plm_sync.delivery.price_rows import (
    EMPTY,
    ROWS_NAMED,
    Batch,
    dropped_rows,
    named,
    price_drift,
    price_keys,
    priced_marketplaces,
    sent_digest,
    shown_prices,
    stored_out_of_bounds,
    upload_batches,
    wanted_prices,
)
from plm_sync.domain.events import (
    PRICE_NOT_WITHDRAWN,
    PRICES_APPLIED,
    PRICES_CONVERGED,
    PRICES_FAILED,
    PRICES_FORGOTTEN,
    PRICES_PROPOSED,
    PRICES_WITHDRAWN,
    RESELLER_UNKNOWN,
    Event,
    Level,
)
from plm_sync.domain.prices import Marketplace, PricingRules
from plm_sync.errors import CommerceError, CommerceUnknownOutcomeError
from plm_sync.runs.runlog import RunLog, utcnow
from plm_sync.store.database import unit_of_work
from plm_sync.store.pushes import PriceKey, PriceMemory, PushRepository

log = structlog.get_logger(__name__)


class PricePusher:
    """Pushes the prices of a run's lines to one hub (one client, the pricing rules)."""

    def __init__(
        self,
        runlog: RunLog,
        client: CommerceClient,
        rules: PricingRules,
        marketplaces: dict[str, Marketplace],
        *,
        dry_run: bool,
        force: bool,
        clock: Callable[[], datetime] = utcnow,
        only: set[str] | None = None,
    ) -> None:
        self.runlog = runlog
        self.client = client
        self.hub = client.hub
        self.rules = rules
        self.marketplaces = marketplaces
        self.dry_run = dry_run
        self.force = force
        self.clock = clock
        self.intents = IntentLog(runlog.factory, client.hub, runlog.run_id, clock)
        self.only = only  # approving a plan: the marketplaces it showed, no other
        # a dry run's count of rows each marketplace would change on the hub (the last line's)
        self.proposed: dict[str, int] = {}

    def push(self, line: dict[str, Any], line_id: int, events: list[Event]) -> int:
        """Every marketplace of the line whose prices this hub lacks; how many were sent.

        Then what the hub holds that the catalog dropped: a marketplace no longer listed is
        forgotten, rows removed are read back (see the module's docstring).
        """
        product_id = str(line["connect_product_id"])
        self.proposed = {}
        with unit_of_work(self.runlog.factory) as session:
            memory = PushRepository(session).price_memory(self.hub, [line_id]).get(line_id, {})
        listed = set(line.get("marketplaces") or ())
        sent = 0
        for marketplace_id in sorted(set(priced_marketplaces(line)) | set(memory)):
            held = memory.get(marketplace_id)
            if marketplace_id not in listed:
                if held is not None:
                    self._forget(product_id, line_id, marketplace_id, events)
                continue
            if self.only is not None and marketplace_id not in self.only:
                continue  # not in the plan being approved: nobody saw a change there
            digest = sent_digest(line, marketplace_id)
            try:
                dropped = dropped_rows(line, marketplace_id, held) if held else frozenset()
                due = digest != EMPTY and (held is None or held.content != digest or self.force)
                if due and not self._unfit(line, marketplace_id, events):
                    sent += self._marketplace(
                        line,
                        line_id,
                        marketplace_id,
                        digest,
                        events,
                        keep=dropped,
                        unchanged=held is not None and held.content == digest,
                    )
                if dropped:
                    self._withdrawn(
                        line, line_id, marketplace_id, dropped, held=held, events=events
                    )
            except CommerceError as error:
                events.append(
                    Event(
                        Level.ERROR,
                        PRICES_FAILED,
                        f"the prices of {product_id} in {marketplace_id} were not set: {error}",
                        product_id,
                        subject=marketplace_id,
                    )
                )
        return sent

    @staticmethod
    def _unfit(line: dict[str, Any], marketplace_id: str, events: list[Event]) -> bool:
        """Rows stored before the door checks that are out of bounds: an error, none sent."""
        product_id = str(line["connect_product_id"])
        unfit = stored_out_of_bounds(line["prices"][marketplace_id]["rows"])
        if unfit:
            events.append(
                Event(
                    Level.ERROR,
                    PRICES_FAILED,
                    f"the prices of {product_id} in {marketplace_id} were not sent: "
                    f"{'; '.join(unfit[:ROWS_NAMED])}; sync the line again (the source is "
                    "checked and such a row refused) before pushing its prices",
                    product_id,
                    subject=marketplace_id,
                )
            )
        return bool(unfit)

    def _forget(
        self, product_id: str, line_id: int, marketplace_id: str, events: list[Event]
    ) -> None:
        """A marketplace whose listing is gone: this hub's memory of its prices is cleared."""
        if not self.dry_run:
            with unit_of_work(self.runlog.factory) as session:
                PushRepository(session).forget_prices(line_id, self.hub, marketplace_id)
        events.append(
            Event(
                Level.INFO,
                PRICES_FORGOTTEN,
                f"{product_id} is no longer listed in {marketplace_id}: its workbook unshares "
                "the line's plans from the marketplace's operating unit, and this hub's memory "
                f"of its prices there {'would be' if self.dry_run else 'was'} cleared (they are "
                "sent again if it is listed again)",
                product_id,
                subject=marketplace_id,
            )
        )

    def _withdrawn(
        self,
        line: dict[str, Any],
        line_id: int,
        marketplace_id: str,
        dropped: frozenset[PriceKey],
        *,
        held: PriceMemory | None,
        events: list[Event],
    ) -> None:
        """Rows the catalog dropped: read the reseller's flat catalog back, say what it sells."""
        product_id = str(line["connect_product_id"])
        marketplace = self.marketplaces.get(marketplace_id)
        account = self.rules.reseller_of(marketplace) if marketplace is not None else None
        prices = (line.get("prices") or {}).get(marketplace_id) or {}
        vendor = str(prices.get("vendor_id") or (held.vendor if held else ""))
        if account is None:
            events.append(
                Event(
                    Level.ERROR,
                    PRICE_NOT_WITHDRAWN,
                    f"{len(dropped)} price row(s) of {product_id} in {marketplace_id} left the "
                    f"catalog ({named(dropped)}), and no reseller account is known to read "
                    "the hub back: name its reseller_account in pricing.yaml; they may still "
                    "be sold",
                    product_id,
                    subject=marketplace_id,
                )
            )
            return
        shown = shown_prices(PriceWizard(self.client, account).products(vendor))
        still = frozenset(dropped & shown.keys())
        if still:
            events.append(
                Event(
                    Level.ERROR,
                    PRICE_NOT_WITHDRAWN,
                    f"{len(still)} price row(s) of {product_id} in {marketplace_id} are no "
                    f"longer in the catalog, but the hub still sells them (reseller {account}): "
                    f"{named(still)}; Commerce's price import sets prices and cannot remove "
                    "one: remove them in Commerce (Portfolio > Prices, or the plan's resource "
                    "rates), then push again: the next push reads the hub back and clears this",
                    product_id,
                    subject=marketplace_id,
                )
            )
        elif not self.dry_run:
            events.append(
                Event(
                    Level.INFO,
                    PRICES_WITHDRAWN,
                    f"the hub no longer shows the {len(dropped)} price row(s) of {product_id} "
                    f"in {marketplace_id} that left the catalog ({named(dropped)}): recorded "
                    "as withdrawn",
                    product_id,
                    subject=marketplace_id,
                )
            )
        if self.dry_run:
            return
        current = price_keys(line, marketplace_id)
        with unit_of_work(self.runlog.factory) as session:
            PushRepository(session).record_prices(
                line_id,
                self.hub,
                marketplace_id,
                content=sent_digest(line, marketplace_id),
                effective_date=None,
                run_id=self.runlog.run_id,
                now=self.clock(),
                vendor=vendor,
                rows=current | still,
                not_withdrawn=still,
            )

    def _marketplace(
        self,
        line: dict[str, Any],
        line_id: int,
        marketplace_id: str,
        digest: str,
        events: list[Event],
        *,
        keep: frozenset[PriceKey] = frozenset(),
        unchanged: bool = False,
    ) -> int:
        """Send one marketplace's file; `keep`: rows dropped, still to be read back.

        `unchanged`: the hub holds this file already (only --force sends it).
        """
        product_id = str(line["connect_product_id"])
        held = (price_keys(line, marketplace_id) | keep, keep)
        marketplace = self.marketplaces.get(marketplace_id)
        account = self.rules.reseller_of(marketplace) if marketplace is not None else None
        if account is None:
            events.append(
                Event(
                    Level.ERROR,
                    RESELLER_UNKNOWN,
                    f"no Commerce reseller account is known for marketplace {marketplace_id}: "
                    "name its reseller_account in pricing.yaml or give the marketplace's hub "
                    f"entry an external id in Connect; the prices of {product_id} there were "
                    "not sent",
                    product_id,
                    subject=marketplace_id,
                )
            )
            return 0
        prices = line["prices"][marketplace_id]
        vendor = str(prices.get("vendor_id") or "")
        wizard = PriceWizard(self.client, account)
        batches = upload_batches(
            price_list_rows(line, marketplace_id), self.clock().astimezone(UTC).date()
        )
        if self.dry_run:
            changes = self._read_back(wizard, line, marketplace_id, vendor)
            self.proposed[marketplace_id] = len(changes)
            shown = "; ".join(changes[:ROWS_NAMED]) + (
                f"; and {len(changes) - ROWS_NAMED} more" if len(changes) > ROWS_NAMED else ""
            )
            for batch in batches:
                proposals = self._proposals(wizard, batch, vendor)
                events.append(
                    Event(
                        Level.INFO,
                        PRICES_PROPOSED,
                        f"the wizard would set {len(batch.rows) - 1} price row(s) of {product_id} "
                        f"in {marketplace_id} effective {batch.effective:%m/%d/%Y} (reseller "
                        f"{account}; {proposals}); "
                        + (
                            f"{len(changes)} differ from the hub (hub -> catalog): {shown}"
                            if changes
                            else "the hub shows them as they are"
                        )
                        + "; dry run: nothing was set",
                        product_id,
                        subject=marketplace_id,
                    )
                )
            return 1
        opened = self.intents.open(line_id, digest, marketplace_id)
        intent, earlier = opened.id, opened.resumed
        if earlier is not None and not self.force and self._held(wizard, batches, vendor):
            self._received(
                line_id,
                marketplace_id,
                digest,
                batches,
                intent=intent,
                outcome=intents.CONVERGED,
                vendor=vendor,
                rows=held,
            )
            events.append(
                Event(
                    Level.INFO,
                    PRICES_CONVERGED,
                    f"an earlier push of the prices of {product_id} in {marketplace_id} (run "
                    f"{earlier.run_id}) was cut off; the hub's flat catalog shows them as sent: "
                    "recorded, nothing was set again",
                    product_id,
                    subject=marketplace_id,
                )
            )
            return 1
        for batch in batches:
            try:
                self._set(wizard, batch, vendor, marketplace_id)
            except CommerceUnknownOutcomeError:
                raise  # the hub may have set them: the intent stays open, read back next time
            except CommerceError:
                self.intents.close(intent, intents.NOT_TAKEN)  # refused or never sent: nothing set
                raise
            moved = (
                f"; their effective date {batch.moved_from} had passed, sent as effective today"
                if batch.moved_from
                else ""
            )
            again = (
                f"; an earlier push (run {earlier.run_id}) was cut off and the hub did not show "
                "them: set again"
                if earlier is not None and not self.force
                else ""
            )
            if self.force and earlier is not None:
                again += (
                    "; forced (--force): sent without reading the hub back first, which closes "
                    f"the push of run {earlier.run_id} that was cut off"
                )
            elif self.force and unchanged:
                again += "; forced (--force): sent though this hub holds them as they are"
            events.append(
                Event(
                    Level.INFO,
                    PRICES_APPLIED,
                    f"the wizard set {len(batch.rows) - 1} price row(s) of {product_id} in "
                    f"{marketplace_id} (reseller {account}) effective "
                    f"{batch.effective:%m/%d/%Y}{moved}{again}",
                    product_id,
                    subject=marketplace_id,
                )
            )
        self._received(
            line_id,
            marketplace_id,
            digest,
            batches,
            intent=intent,
            outcome=intents.APPLIED,
            vendor=vendor,
            rows=held,
        )
        return 1

    @staticmethod
    def _read_back(
        wizard: PriceWizard, line: dict[str, Any], marketplace_id: str, vendor: str
    ) -> list[str]:
        """The rows whose price the hub shows otherwise than the catalog (`hub -> catalog`)."""
        try:
            shown = wizard.products(vendor)
        except CommerceError as error:
            return [f"the hub's prices could not be read back ({error})"]
        return price_drift(wanted_prices(line, marketplace_id), shown)

    @staticmethod
    def _options(batch: Batch, structure: dict[str, Any]) -> WizardOptions:
        header = set(batch.rows[0])
        return WizardOptions(
            export_costs="Cost" in header,
            export_prices="Price" in header,
            export_msrp="MSRP" in header,
            effective_date=f"{batch.effective:%m/%d/%Y}",
            price_model=str(structure.get("pricingModel") or "FLAT"),
            fee_type=str(structure.get("feeType") or "RECURRING"),
        )

    def _prepared(
        self, wizard: PriceWizard, batch: Batch, vendor: str
    ) -> tuple[object, WizardOptions, dict[str, Any]]:
        """Steps a and b for one batch: its upload's id, the options sent, the proposals."""
        uploaded = wizard.upload(price_list_bytes(batch.rows), vendor)
        options = self._options(batch, uploaded)
        return uploaded["dataId"], options, wizard.prepare(uploaded["dataId"], options, vendor)

    def _proposals(self, wizard: PriceWizard, batch: Batch, vendor: str) -> str:
        _, _, prepared = self._prepared(wizard, batch, vendor)
        overridings = prepared.get("overridings") or {}
        moved = len(overridings.get("effectiveDate") or [])
        return f"proposals prepared, {moved} row(s) with another effective date"

    def _set(self, wizard: PriceWizard, batch: Batch, vendor: str, marketplace_id: str) -> None:
        data_id, options, _ = self._prepared(wizard, batch, vendor)
        name = f"plm-sync-{marketplace_id}-{batch.effective:%Y%m%d}.xlsx"
        info = wizard.set_prices(data_id, options, name)
        log.info("commerce_prices_set", marketplace=marketplace_id, aps_info=info)

    def _held(self, wizard: PriceWizard, batches: list[Batch], vendor: str) -> bool:
        """Whether the reseller's flat catalog shows every row's price as these batches send."""
        shown = {
            (
                str(row.get("mpn")),
                str(row.get("billingPeriod")),
                str(row.get("subscriptionPeriod")),
            ): row
            for row in wizard.products(vendor)
        }
        for batch in batches:
            header = batch.rows[0]
            for row in batch.rows[1:]:
                values = dict(zip(header, row, strict=True))
                key = (
                    str(values["MPN"]),
                    str(values["Billing Period"]),
                    str(values.get("Subscription Period") or ""),
                )
                found = shown.get(key)
                if found is None or str(found.get("price")) != str(values.get("Price")):
                    return False
        return True

    def _received(
        self,
        line_id: int,
        marketplace_id: str,
        digest: str,
        batches: list[Batch],
        *,
        intent: int,
        outcome: str,
        vendor: str,
        rows: tuple[frozenset[PriceKey], frozenset[PriceKey]],
    ) -> None:
        """Remember the hub received the prices and close the intent, in one transaction.

        `rows`: what it holds (the file's rows and the dropped ones still to be read back),
        and of them those it still showed before (not withdrawn).
        """
        effective = min(batch.effective for batch in batches).isoformat() if batches else ""
        self.intents.received(
            intent,
            outcome,
            lambda pushes: pushes.record_prices(
                line_id,
                self.hub,
                marketplace_id,
                content=digest,
                effective_date=effective,
                run_id=self.runlog.run_id,
                now=self.clock(),
                vendor=vendor,
                rows=rows[0],
                not_withdrawn=rows[1],
            ),
        )

"""What was pushed into Commerce PLM, and whether the last sync left a line fit to push."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.orm import Session

from plm_sync.domain.digests import DIGEST_VERSION
from plm_sync.store.bulk import in_chunks
from plm_sync.store.models import (
    LinePush,
    Price,
    PricePush,
    ProductLine,
    PushIntent,
    RunEvent,
)

PUSH_TRIGGER = "push"
DRIFT_TRIGGER = "drift"  # a read-back of a hub: it judges no line
_CHUNK = 1000  # lines per statement


@dataclass(frozen=True)
class PushedLine:
    """A stored line as a push to one hub sees it: what that hub last received of it."""

    connect_product_id: str
    line_id: int
    active: bool
    pushed_hash: str | None
    pushed_task_id: str | None
    pushed_digest_version: int | None
    # the line's catalog digest and own values (what its workbook is made of but the rules)
    catalog: tuple[str | None, ...] = ()
    pushed_catalog: str | None = None  # the line's catalog key the hub last received
    priced: bool = False  # the line has prices (compared by building its catalog JSON)


STEP_OPENED = "opened"
STEP_PARSED = "parsed"
STEP_APPLYING = "applying"
STEP_TASK = "task"


@dataclass(frozen=True)
class Intent:
    """An `applyConfig` written down before it was sent, still open (its answer not kept)."""

    id: int
    content_hash: str
    run_id: int
    tracking_id: str | None
    opened_at: datetime
    step: str | None = None  # None: written before steps were kept, read as `applying`
    step_at: datetime | None = None

    @property
    def reached(self) -> str:
        """How far the push got: `opened`, `parsed`, `applying` or `task`."""
        if self.tracking_id:
            return STEP_TASK
        return self.step or STEP_APPLYING

    @property
    def applied_nothing(self) -> bool:
        """Whether the push was cut off before its `applyConfig` could leave."""
        return self.reached in {STEP_OPENED, STEP_PARSED}


@dataclass(frozen=True)
class SyncVerdict:
    """The last sync run that read a line, and the error codes it left for it."""

    run_id: int
    codes: tuple[str, ...]


class PushRepository:
    """Push state of product lines, per hub; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def lines(self, hub: str, product_ids: Sequence[str] = ()) -> list[PushedLine]:
        """The stored lines (those named, or all), by product id, with what `hub` received.

        One query, whatever the number of lines: with each line's catalog digest, what a
        push compares before it builds anything.
        """
        # prices to push, or a hub that holds some of this line (withdrawn ones to check)
        priced = or_(
            exists().where(Price.product_line_id == ProductLine.id),
            exists().where(PricePush.product_line_id == ProductLine.id, PricePush.hub == hub),
        )
        query = (
            select(
                ProductLine.connect_product_id,
                ProductLine.id,
                ProductLine.active,
                LinePush.content_hash,
                LinePush.task_id,
                LinePush.digest_version,
                ProductLine.catalog_digest,
                ProductLine.name,
                ProductLine.vendor,
                ProductLine.plan_source,
                ProductLine.offer_id,
                ProductLine.offer_name,
                LinePush.catalog_digest,
                priced,
            )
            .outerjoin(
                LinePush, (LinePush.product_line_id == ProductLine.id) & (LinePush.hub == hub)
            )
            .order_by(ProductLine.connect_product_id)
        )
        if product_ids:
            query = query.where(ProductLine.connect_product_id.in_(product_ids))
        return [
            PushedLine(
                *row[:6],
                catalog=tuple(str(value) if value is not None else None for value in row[6:12]),
                pushed_catalog=row[12],
                priced=bool(row[13]),
            )
            for row in self.session.execute(query)
        ]

    def stored(self, product_ids: Iterable[str]) -> tuple[str, ...]:
        """Which of these products have a stored line, sorted."""
        wanted = sorted(set(product_ids))
        found: set[str] = set()
        for chunk in in_chunks(wanted, _CHUNK):
            found.update(
                self.session.scalars(
                    select(ProductLine.connect_product_id).where(
                        ProductLine.connect_product_id.in_(chunk)
                    )
                )
            )
        return tuple(sorted(found))

    def adopt_unattributed(self, hub: str) -> int:
        """Take what was pushed before hubs were told apart (hub '') as `hub`'s.

        Only while no other hub has received anything: before migration 0011 one hub was
        pushed to, and the first hub pushed to afterwards is taken to be it. Returns how
        many lines' memories were taken.
        """
        others = self.session.scalar(
            select(LinePush.id).where(LinePush.hub.not_in(("", hub))).limit(1)
        )
        if others is not None:
            return 0
        result = self.session.execute(
            update(LinePush)
            .where(
                LinePush.hub == "",
                ~LinePush.product_line_id.in_(
                    select(LinePush.product_line_id).where(LinePush.hub == hub)
                ),
            )
            .values(hub=hub)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def record(
        self,
        line_id: int,
        hub: str,
        *,
        content: str,
        task_id: str | None,
        run_id: int,
        now: datetime,
        catalog: str | None = None,
    ) -> None:
        """Remember that `hub` received the line with this content (digest version now).

        `catalog`: the line's catalog key it was built from (None: not known).
        """
        values = {
            "content_hash": content,
            "catalog_digest": catalog,
            "digest_version": DIGEST_VERSION,
            "task_id": task_id,
            "pushed_at": now,
            "run_id": run_id,
        }
        updated = self.session.execute(
            update(LinePush)
            .where(LinePush.product_line_id == line_id, LinePush.hub == hub)
            .values(**values)
        )
        if not getattr(updated, "rowcount", 0):
            self.session.add(LinePush(product_line_id=line_id, hub=hub, **values))

    def upgrade_digest(
        self, line_id: int, hub: str, content: str, catalog: str | None = None
    ) -> None:
        """Keep what `hub` holds of a line in the current form, found equal by building it.

        Its digest in the current version (it was recognised in an older) and the line's
        catalog key, so the next push compares that alone.
        """
        self.session.execute(
            update(LinePush)
            .where(LinePush.product_line_id == line_id, LinePush.hub == hub)
            .values(content_hash=content, digest_version=DIGEST_VERSION, catalog_digest=catalog)
        )

    # -- prices: what a hub received per line and marketplace -------------------------------

    def price_memory(
        self, hub: str, line_ids: Collection[int]
    ) -> dict[int, dict[str, PriceMemory]]:
        """What `hub` holds of the lines' prices, by line and marketplace: digest and rows."""
        found: dict[int, dict[str, PriceMemory]] = {}
        for chunk in in_chunks(sorted(line_ids), _CHUNK):
            rows = self.session.execute(
                select(
                    PricePush.product_line_id,
                    PricePush.marketplace_id,
                    PricePush.content_hash,
                    PricePush.rows,
                    PricePush.not_withdrawn,
                ).where(PricePush.hub == hub, PricePush.product_line_id.in_(chunk))
            )
            for line_id, marketplace, content, stored, held in rows:
                sent = stored if isinstance(stored, dict) else {}
                found.setdefault(line_id, {})[marketplace] = PriceMemory(
                    content,
                    str(sent.get("vendor") or ""),
                    _keys(sent.get("rows")) if "rows" in sent else None,
                    _keys(held),
                )
        return found

    def forget_prices(self, line_id: int, hub: str, marketplace_id: str) -> None:
        """`hub` holds nothing of the line's prices in the marketplace (its listing is gone)."""
        self.session.execute(
            delete(PricePush).where(
                PricePush.product_line_id == line_id,
                PricePush.hub == hub,
                PricePush.marketplace_id == marketplace_id,
            )
        )

    def record_prices(
        self,
        line_id: int,
        hub: str,
        marketplace_id: str,
        *,
        content: str,
        effective_date: str | None,
        run_id: int,
        now: datetime,
        vendor: str = "",
        rows: Collection[PriceKey] = (),
        not_withdrawn: Collection[PriceKey] = (),
    ) -> None:
        """Remember that `hub` received the line's prices in the marketplace.

        `rows`: the rows it holds (sent, and those it still shows though the catalog dropped
        them: `not_withdrawn`).
        """
        values: dict[str, object] = {
            "content_hash": content,
            "effective_date": effective_date or "",
            "pushed_at": now,
            "run_id": run_id,
            "rows": {"vendor": vendor, "rows": [list(key) for key in sorted(rows)]},
            "not_withdrawn": [list(key) for key in sorted(not_withdrawn)] or None,
        }
        if effective_date is None:  # a read-back: the file's date stays as it was
            values.pop("effective_date")
        updated = self.session.execute(
            update(PricePush)
            .where(
                PricePush.product_line_id == line_id,
                PricePush.hub == hub,
                PricePush.marketplace_id == marketplace_id,
            )
            .values(**values)
        )
        if not getattr(updated, "rowcount", 0):
            self.session.add(
                PricePush(product_line_id=line_id, hub=hub, marketplace_id=marketplace_id, **values)
            )

    # -- intents: a change written down before it is sent ----------------------------------

    def open_intent(
        self, line_id: int, hub: str, marketplace_id: str | None = None
    ) -> Intent | None:
        """The line's newest intent to `hub` still open (a push cut off before its answer).

        Of its workbook, or with `marketplace_id` of its prices there.
        """
        row = self.session.execute(
            select(
                PushIntent.id,
                PushIntent.content_hash,
                PushIntent.run_id,
                PushIntent.tracking_id,
                PushIntent.opened_at,
                PushIntent.step,
                PushIntent.step_at,
            )
            .where(
                PushIntent.product_line_id == line_id,
                PushIntent.hub == hub,
                PushIntent.closed_at.is_(None),
                PushIntent.kind == ("workbook" if marketplace_id is None else "prices"),
                PushIntent.marketplace_id.is_(None)
                if marketplace_id is None
                else PushIntent.marketplace_id == marketplace_id,
            )
            .order_by(PushIntent.id.desc())
            .limit(1)
        ).one_or_none()
        return None if row is None else Intent(*row)

    def write_intent(
        self,
        line_id: int,
        hub: str,
        content: str,
        *,
        run_id: int,
        now: datetime,
        marketplace_id: str | None = None,
    ) -> int:
        """Write down a change about to be sent (a workbook, or a marketplace's prices)."""
        intent = PushIntent(
            product_line_id=line_id,
            hub=hub,
            kind="workbook" if marketplace_id is None else "prices",
            marketplace_id=marketplace_id,
            content_hash=content,
            run_id=run_id,
            opened_at=now,
            step=STEP_OPENED,
            step_at=now,
        )
        self.session.add(intent)
        self.session.flush()
        return intent.id

    def intent_sent(self, intent_id: int, tracking_id: str) -> None:
        """The hub answered the change with its task: kept on the intent."""
        self.session.execute(
            update(PushIntent)
            .where(PushIntent.id == intent_id)
            .values(tracking_id=tracking_id, step=STEP_TASK)
        )

    def intent_step(
        self, intent_id: int, step: str, now: datetime, *, content: str | None = None
    ) -> None:
        """The push is about to take `step` (written, and committed, before it is taken).

        `content`: what it now sends, when a resumed intent sends the line as it is now.
        A step back to `opened` or `parsed` forgets the earlier task.
        """
        values: dict[str, object] = {"step": step, "step_at": now}
        if content is not None:
            values["content_hash"] = content
        if step in {STEP_OPENED, STEP_PARSED, STEP_APPLYING}:
            values["tracking_id"] = None
        self.session.execute(update(PushIntent).where(PushIntent.id == intent_id).values(**values))

    def close_intent(self, intent_id: int, outcome: str, now: datetime) -> None:
        """Close an intent with its outcome (`applied`, `converged`, `failed`, `superseded`)."""
        self.session.execute(
            update(PushIntent)
            .where(PushIntent.id == intent_id, PushIntent.closed_at.is_(None))
            .values(closed_at=now, outcome=outcome)
        )

    def verdicts(self, product_ids: Sequence[str]) -> dict[str, SyncVerdict]:
        """Each named line's verdict: the last sync that read it and the errors it left.

        One query for all lines, from the lines themselves; a line no sync read since it was
        stored has none.
        """
        rows = self.session.execute(
            select(
                ProductLine.connect_product_id, ProductLine.sync_run_id, ProductLine.sync_errors
            ).where(
                ProductLine.connect_product_id.in_(product_ids),
                ProductLine.sync_run_id.is_not(None),
            )
        )
        return {
            product_id: SyncVerdict(int(run_id), tuple(sorted(codes or ())))
            for product_id, run_id, codes in rows
            if run_id is not None
        }

    def record_verdicts(
        self, run_id: int, product_ids: Iterable[str], *, priced: Iterable[str] = ()
    ) -> None:
        """Keep on each line the verdict of the sync (or import) closing now.

        Lines it read and lines it left an error event for: the run's error codes of each
        (none: clean). A line of which the run read the prices alone (`priced`) keeps its
        other codes and gets the run's price codes: a clean price read clears a price error
        an earlier run left. Called in the transaction that closes the run.
        """
        codes: dict[str, set[str]] = {}
        for product_id, code in self.session.execute(
            select(RunEvent.connect_product_id, RunEvent.code)
            .where(
                RunEvent.run_id == run_id,
                RunEvent.level == "error",
                RunEvent.connect_product_id.is_not(None),
            )
            .distinct()
        ):
            codes.setdefault(str(product_id), set()).add(code)
        read = set(product_ids)
        only_prices = set(priced) - read
        if only_prices:
            for chunk in in_chunks(sorted(only_prices), _CHUNK):
                for product_id, earlier in self.session.execute(
                    select(ProductLine.connect_product_id, ProductLine.sync_errors).where(
                        ProductLine.connect_product_id.in_(chunk)
                    )
                ):
                    kept = {code for code in earlier or () if not is_price_code(code)}
                    codes[str(product_id)] = kept | codes.get(str(product_id), set())
        groups: dict[tuple[str, ...], list[str]] = {}
        for product_id in read | only_prices | codes.keys():
            groups.setdefault(tuple(sorted(codes.get(product_id, ()))), []).append(product_id)
        for found, members in groups.items():
            for chunk in in_chunks(members, _CHUNK):
                self.session.execute(
                    update(ProductLine)
                    .where(ProductLine.connect_product_id.in_(chunk))
                    .values(sync_run_id=run_id, sync_errors=list(found))
                )


PriceKey = tuple[str, str, str]  # resource MPN, billing period, subscription period


def _keys(value: object) -> frozenset[PriceKey]:
    """Stored rows (JSON lists of three texts) as keys; anything else is none."""
    if not isinstance(value, list):
        return frozenset()
    return frozenset(
        (str(row[0]), str(row[1]), str(row[2]))
        for row in value
        if isinstance(row, list) and len(row) == 3  # noqa: PLR2004 - a key's three parts
    )


@dataclass(frozen=True)
class PriceMemory:
    """What a hub holds of a line's prices in one marketplace, as far as plm-sync knows."""

    content: str  # the digest of the file it last received
    vendor: str
    rows: frozenset[PriceKey] | None  # None: recorded before rows were kept
    not_withdrawn: frozenset[PriceKey]


def is_price_code(code: str) -> bool:
    """Whether an event code is the price stage's (a price read gives or clears it)."""
    return code.startswith(("price_", "marketplace_"))


def judges_lines(trigger: str, dry_run: bool) -> bool:
    """Whether a run's close gives the lines it read their verdict (a sync or an import)."""
    return trigger not in {PUSH_TRIGGER, DRIFT_TRIGGER} and not dry_run

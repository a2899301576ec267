"""Run-status reports and catalog views, read from the store for the CLI."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from plm_sync.config import Settings
from plm_sync.domain import events as codes
from plm_sync.domain.changes import ChangeKind
from plm_sync.domain.events import Event
from plm_sync.ops.views import PageEvents
from plm_sync.store.browse import BrowseRepository
from plm_sync.store.catalog import CatalogRepository
from plm_sync.store.database import open_database, unit_of_work
from plm_sync.store.run_rows import (
    health_of,
    health_runs,
    not_withdrawn,
    recent_runs,
    run_json,
    with_seconds,
)
from plm_sync.store.runs import RunRepository

Factory = sessionmaker[Session]
Opener = Callable[[], AbstractContextManager[Factory]]


@contextmanager
def reading(settings: Settings) -> Iterator[Reader]:
    """A reader of the database in `settings`, opened read-only for the block (a command)."""
    with open_database(settings.database_url, migrate=False) as factory:
        yield Reader(factory)


def list_runs(
    settings: Settings, limit: int = 20, status: str | None = None, since: datetime | None = None
) -> list[dict[str, Any]]:
    """Runs, newest first, in the JSON shape of DESIGN §7 (plus `seconds`)."""
    with reading(settings) as reader:
        return reader.list_runs(limit, status, since)


@dataclass
class RunReport:
    """One run's report, read in one streamed pass over its events (memory stays bounded).

    `document` is the JSON report (DESIGN §7 run fields, `seconds`, then `events`,
    `event_summary`, `codes`, `diff`, `products`) with the events and the names of the diff
    left out: `events()` and `diff_names()` read them from the database again, up to the last
    event this pass saw, so a JSON or workbook writer streams them. `shown` are the at most
    PAGE_EVENTS a page lists, `total` how many; `changes` the count and first CHANGE_NAMES
    names of each diff key (what a page shows).
    """

    opener: Opener  # the database its streams read
    run_id: int
    document: dict[str, Any]
    shown: list[dict[str, Any]]
    total: int
    last_event_id: int | None
    changes: dict[str, dict[str, Any]]

    _factory: sessionmaker[Session] | None = field(default=None, init=False, repr=False)

    @contextmanager
    def opened(self) -> Iterator[None]:
        """One database for every stream read inside, not one opened per stream.

        A writer reads the events and the thirteen kinds of diff names: one connection.
        """
        with self.opener() as factory:
            self._factory = factory
            try:
                yield
            finally:
                self._factory = None

    def _stream(self, code: str | None = None) -> Iterator[Event]:
        if self.last_event_id is None:
            return
        with ExitStack() as stack:
            factory = self._factory or stack.enter_context(self.opener())
            session = stack.enter_context(unit_of_work(factory))
            runs = RunRepository(session)
            for _, event in runs.stream_events(self.run_id, self.last_event_id, code):
                yield event

    def events(self) -> Iterator[dict[str, Any]]:
        """The run's events in recorded order, streamed from the database."""
        return (event.as_dict() for event in self._stream())

    def diff_names(self, key: str) -> Iterator[str]:
        """The names under one key of the report's `diff`, streamed from the database."""
        return (_diff_name(event) for event in self._stream(_DIFF_CODES[key]))

    def diff(self) -> dict[str, Iterator[str]]:
        """The report's `diff`, each key's names as an iterator."""
        return {key: self.diff_names(key) for key in _DIFF_KEYS.values()}

    def streamed(self) -> dict[str, Any]:
        """The JSON report with its events and diff names as iterators (for `write_json`)."""
        return {
            key: self.events() if key == "events" else self.diff() if key == "diff" else value
            for key, value in self.document.items()
        }

    def materialised(self) -> dict[str, Any]:
        """The JSON report with every event and diff name in lists."""
        with self.opened():
            return {
                key: list(self.events())
                if key == "events"
                else {name: list(names) for name, names in self.diff().items()}
                if key == "diff"
                else value
                for key, value in self.document.items()
            }


def read_report(settings: Settings, run_id: int | str) -> RunReport:
    """One run's report (`latest` for the newest): summary, changes, products, page events.

    Its streams open the database again when read (`RunReport.opened` for one opening).
    """
    with reading(settings) as reader:
        return reader.read_report(
            run_id, lambda: open_database(settings.database_url, migrate=False)
        )


def _read_report(factory: Factory, run_id: int | str, opener: Opener) -> RunReport:
    with unit_of_work(factory) as session:
        runs = RunRepository(session)
        run = runs.get(run_id)
        ident = run.id
        page = PageEvents()
        levels_codes: Counter[tuple[str, str]] = Counter()
        changes: dict[str, dict[str, Any]] = {
            key: {"count": 0, "names": []} for key in _DIFF_KEYS.values()
        }
        products = _ProductTally(run.product_ids or ())
        price_changes = _PriceTally()
        last = None
        total = 0
        for ident_of_event, event in runs.stream_events(ident):
            last = ident_of_event
            shown = event.as_dict()
            page.add(total, shown)
            total += 1
            levels_codes[(event.level.value, event.code)] += 1
            _count_change(changes, event)
            products.add(shown)
            price_changes.add(event)
        rows = products.rows()
        sources = CatalogRepository(session).plan_sources(
            {row["connect_product_id"] for row in rows if row["connect_product_id"]}
        )
        document = with_seconds(run_json(run))
    document["events"] = None  # streamed by RunReport.events
    document["event_summary"] = [
        {"level": level, "code": code, "count": count}
        for (level, code), count in sorted(levels_codes.items())
    ]
    document["codes"] = sorted({code for _, code in levels_codes})
    document["diff"] = None  # streamed by RunReport.diff
    for row in rows:
        row["plans_from"] = sources.get(row["connect_product_id"] or "", "")
    document["products"] = rows
    document["price_changes"] = price_changes.rows()
    return RunReport(opener, ident, document, page.shown(), total, last, changes)


def run_report(settings: Settings, run_id: int | str) -> dict[str, Any]:
    """One run with every event (`latest` for the newest) and a summary of events by code.

    Holds all events in memory: commands stream them through `read_report` instead.
    """
    return read_report(settings, run_id).materialised()


def _diff(events: Iterable[Event]) -> dict[str, list[str]]:
    """What changed: plans, sharing, switch paths, add-on rates and resource dependencies.

    Grouped on the change events' code and subject (events recorded before subjects were
    stored name their plan in the message, which is shown whole).
    """
    diff: dict[str, list[str]] = {key: [] for key in _DIFF_KEYS.values()}
    for event in events:
        key = _DIFF_KEYS.get(event.code)
        if key is not None:
            diff[key].append(_diff_name(event))
    return diff


def _diff_name(event: Event) -> str:
    """How a change event is named in the report's `diff`: product, then plan or path."""
    prefix = f"{event.connect_product_id}: " if event.connect_product_id else ""
    return prefix + (event.subject or event.message)


CHANGE_NAMES = 20  # names of each kind of change a report page shows


def _count_change(changes: dict[str, dict[str, Any]], event: Event) -> None:
    key = _DIFF_KEYS.get(event.code)
    if key is not None:
        change = changes[key]
        change["count"] += 1
        if len(change["names"]) < CHANGE_NAMES:
            change["names"].append(_diff_name(event))


_DIFF_KEYS: dict[str, str] = {
    ChangeKind.PLAN_CREATED.value: "plans_created",
    ChangeKind.PLAN_UPDATED.value: "plans_updated",
    ChangeKind.PLAN_DEACTIVATED.value: "plans_deactivated",
    ChangeKind.PLAN_SHARING_CHANGED.value: "sharing_changed",
    ChangeKind.SWITCH_CREATED.value: "switches_created",
    ChangeKind.SWITCH_UPDATED.value: "switches_updated",
    ChangeKind.SWITCH_DEACTIVATED.value: "switches_deactivated",
    ChangeKind.ADDON_RATE_CREATED.value: "addon_rates_created",
    ChangeKind.ADDON_RATE_UPDATED.value: "addon_rates_updated",
    ChangeKind.ADDON_RATE_DEACTIVATED.value: "addon_rates_deactivated",
    ChangeKind.DEPENDENCY_CREATED.value: "dependencies_created",
    ChangeKind.DEPENDENCY_UPDATED.value: "dependencies_updated",
    ChangeKind.DEPENDENCY_DEACTIVATED.value: "dependencies_deactivated",
}
_DIFF_CODES = {key: code for code, key in _DIFF_KEYS.items()}


_PRICE_COLUMNS = {
    codes.MARKETPLACE_ADDED: "listed",
    codes.MARKETPLACE_REMOVED: "unlisted",
    codes.PRICE_CREATED: "created",
    codes.PRICE_CHANGED: "changed",
    codes.PRICE_REMOVED: "removed",
    codes.PRICE_CHANGE_LIMIT: "held",
}


class _PriceTally:
    """Price changes counted by product line and marketplace (the events' `subject`)."""

    def __init__(self) -> None:
        self.grouped: dict[tuple[str, str], dict[str, Any]] = {}

    def add(self, event: Event) -> None:
        column = _PRICE_COLUMNS.get(event.code)
        if column is None or not event.subject:
            return
        key = (event.connect_product_id or "", event.subject)
        row = self.grouped.get(key)
        if row is None:
            row = self.grouped[key] = {
                "connect_product_id": key[0],
                "marketplace": key[1],
                **dict.fromkeys(_PRICE_COLUMNS.values(), 0),
            }
        row[column] += 1

    def rows(self) -> list[dict[str, Any]]:
        """By product line, then marketplace."""
        return [self.grouped[key] for key in sorted(self.grouped)]


class _ProductTally:
    """Events counted by Connect product: counts per level and the codes seen.

    Products the run read without any event are listed too, with zero counts.
    """

    def __init__(self, seen: Iterable[str] = ()) -> None:
        self.grouped: dict[str, dict[str, Any]] = {}
        for product_id in seen:
            self._row(product_id)

    def _row(self, product_id: str | None) -> dict[str, Any]:
        row = self.grouped.get(product_id or "")
        if row is None:
            row = self.grouped[product_id or ""] = {
                "connect_product_id": product_id,
                "error": 0,
                "warning": 0,
                "info": 0,
                "codes": set(),
            }
        return row

    def add(self, event: dict[str, Any]) -> None:
        row = self._row(event["connect_product_id"])
        row[event["level"]] += 1
        row["codes"].add(event["code"])

    def rows(self) -> list[dict[str, Any]]:
        """Most errors first, then most warnings, then by product id."""
        rows = sorted(
            self.grouped.values(),
            key=lambda p: (-p["error"], -p["warning"], p["connect_product_id"] or ""),
        )
        for row in rows:
            row["codes"] = sorted(row["codes"])
        return rows


LINE_HISTORY_CODES = (
    *(kind.value for kind in ChangeKind),
    codes.PRODUCT_LINE_DEACTIVATED,
    codes.MARKETPLACE_ADDED,
    codes.MARKETPLACE_REMOVED,
    codes.PRICE_CREATED,
    codes.PRICE_CHANGED,
    codes.PRICE_REMOVED,
    codes.PRICE_CHANGE_LIMIT,
    codes.DEACTIVATION_LIMIT,
    codes.OVERRIDE_SET,
    codes.OVERRIDE_CLEARED,
)
BROWSE_PAGE = 100  # product lines per catalog page


def browse_lines(settings: Settings, search: str = "", page: int = 1) -> dict[str, Any]:
    """A page of the catalog browser: matching lines with their counts, and how many match."""
    with reading(settings) as reader:
        return reader.browse_lines(search, page)


def _browse_lines(factory: Factory, search: str, page: int) -> dict[str, Any]:
    with unit_of_work(factory, commit=False) as session:
        page = max(page, 1)
        total, rows = BrowseRepository(session).lines(search, (page - 1) * BROWSE_PAGE, BROWSE_PAGE)
    return {
        "search": search,
        "page": page,
        "pages": max(1, -(-total // BROWSE_PAGE)),
        "total": total,
        "lines": rows,
    }


def line_page(settings: Settings, product_id: str) -> dict[str, Any] | None:
    """One product line as stored (catalog JSON) with its history of changes; None: no line."""
    with reading(settings) as reader:
        return reader.line_page(product_id)


def _line_page(factory: Factory, product_id: str) -> dict[str, Any] | None:
    with unit_of_work(factory, commit=False) as session:
        found = CatalogRepository(session).catalog((product_id,))["product_lines"]
        if not found:
            return None
        history = BrowseRepository(session).history(product_id, LINE_HISTORY_CODES)
    return {"line": found[0], "history": history}


def health(settings: Settings, max_age_hours: float) -> dict[str, Any]:
    """Is the catalog in sync? The last run, the last success and its age, any running run.

    `ok` is false when the newest finished run failed or the last success is older than
    `max_age_hours` (or there is none).
    """
    with reading(settings) as reader:
        return reader.health(max_age_hours)


def catalog(settings: Settings, product_ids: tuple[str, ...] = ()) -> dict[str, Any]:
    """The stored hierarchical catalog (DESIGN §6)."""
    with reading(settings) as reader:
        return reader.catalog(product_ids)


class Reader:
    """Every read of the reports on one database: a command's, or `serve`'s for its life."""

    def __init__(self, factory: Factory) -> None:
        self.factory = factory

    def list_runs(
        self, limit: int = 20, status: str | None = None, since: datetime | None = None
    ) -> list[dict[str, Any]]:
        """Runs, newest first, in the JSON shape of DESIGN §7 (plus `seconds`)."""
        with unit_of_work(self.factory) as session:
            return recent_runs(session.connection(), limit, status, since)

    def read_report(self, run_id: int | str, opener: Opener | None = None) -> RunReport:
        """One run's report; its streams read this database (or `opener`'s)."""
        return _read_report(self.factory, run_id, opener or (lambda: nullcontext(self.factory)))

    def browse_lines(self, search: str = "", page: int = 1) -> dict[str, Any]:
        """A page of the catalog browser."""
        return _browse_lines(self.factory, search, page)

    def line_page(self, product_id: str) -> dict[str, Any] | None:
        """One product line with its history; None: no line."""
        return _line_page(self.factory, product_id)

    def health(self, max_age_hours: float) -> dict[str, Any]:
        """Is the catalog in sync (see `health`)."""
        with unit_of_work(self.factory) as session:
            connection = session.connection()
            return health_of(health_runs(connection), max_age_hours, not_withdrawn(connection))

    def catalog(self, product_ids: tuple[str, ...] = ()) -> dict[str, Any]:
        """The stored hierarchical catalog (DESIGN §6)."""
        with unit_of_work(self.factory) as session:
            return CatalogRepository(session).catalog(product_ids)

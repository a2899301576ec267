"""What a sync run knows of the stored lines before it writes one.

A run that walks the catalog in one process reads every line's state and overrides once, at
its start (`LineStates.read`): an unchanged line then costs its fetch and a hash, a new line
needs no lookup, and each line is written once in the run, so its events need no replacing.
A product task on the workers knows nothing ahead (`LineStates.unknown`): it reads its line
in the line's transaction, and may run twice (a worker died), so its events replace those of
an earlier attempt. The run does the same either way; only what it knows differs.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from plm_sync.domain.overrides import Override
from plm_sync.store.catalog import CatalogRepository, LineState
from plm_sync.store.database import unit_of_work
from plm_sync.store.overrides import OverrideRepository


@dataclass(frozen=True)
class LineStates:
    """The stored lines' states and overrides read at a run's start, or none (`known` False)."""

    known: bool = False
    states: dict[str, LineState] = field(default_factory=dict)
    overrides: dict[int, list[Override]] = field(default_factory=dict)
    # the products read (None: all of them, a run in one process)
    scope: frozenset[str] | None = None

    @classmethod
    def unknown(cls) -> LineStates:
        """Nothing read ahead: each line is read when written (a product task)."""
        return cls()

    @classmethod
    def read(cls, session: Session, product_ids: Collection[str] | None = None) -> LineStates:
        """The stored lines' states and overrides, in the caller's transaction.

        Every line's (None), or those of a product task's products.
        """
        states = CatalogRepository(session).line_states(product_ids)
        lines = None if product_ids is None else [state.line_id for state in states.values()]
        return cls(
            known=True,
            states=states,
            overrides=OverrideRepository(session).by_line(lines),
            scope=None if product_ids is None else frozenset(product_ids),
        )

    def state(self, product_id: str) -> LineState | None:
        """The line's state read at the start (None: not stored, or not read ahead)."""
        return self.states.get(product_id)

    def overrides_of(self, state: LineState) -> list[Override]:
        """The overrides of a line read at the start."""
        return self.overrides.get(state.line_id, [])

    def overrides_for(self, product_id: str, factory: sessionmaker[Session]) -> list[Override]:
        """The line's overrides: read ahead, or (a line not read ahead) read now."""
        state = self.state(product_id)
        if state is not None or self.new(product_id):
            return self.overrides_of(state) if state else []
        with unit_of_work(factory) as session:
            stored = CatalogRepository(session).line(product_id)
            return OverrideRepository(session).for_line(stored.id) if stored else []

    def new(self, product_id: str) -> bool:
        """Known to have no stored line (only when read ahead: else it must be looked up)."""
        return self.read_ahead(product_id) and product_id not in self.states

    def read_ahead(self, product_id: str) -> bool:
        """Whether the product's stored line (or its absence) was read ahead."""
        return self.known and (self.scope is None or product_id in self.scope)

    @property
    def events_replaced(self) -> bool:
        """Whether a line's events replace earlier ones of the run (a task may run twice)."""
        return self.scope is not None or not self.known

    def signatures(self) -> dict[str, tuple[str | None, bool]] | None:
        """Each line's change signals and activity, when all were read ahead (else None)."""
        if not self.known or self.scope is not None:
            return None
        return {pid: (s.connect_signature, s.active) for pid, s in self.states.items()}

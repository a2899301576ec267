"""The write-ahead record of a change sent to one hub: one intent machine for workbooks and prices.

A push writes an intent, in a transaction of its own, before it sends a change (a line's
workbook, or its prices in one marketplace); it writes the step it is about to take before
each call that may change the hub; and it closes the intent with its outcome in the same
transaction that records what the hub received. A crash anywhere leaves the intent open: an
intent found open is an earlier push cut off, and the caller reads the hub back before it
sends anything again.

Outcomes: `applied`, `converged` (the hub, read back, already held it), `refused` (PLM
refused the workbook's parse), `not_taken` (refused or never sent: nothing changed),
`failed` (the hub's task failed), `not_as_pushed` (applied, but read back otherwise).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from plm_sync.store.database import unit_of_work
from plm_sync.store.pushes import Intent, PushRepository

APPLIED = "applied"
CONVERGED = "converged"
REFUSED = "refused"
NOT_TAKEN = "not_taken"
FAILED = "failed"
NOT_AS_PUSHED = "not_as_pushed"


@dataclass(frozen=True)
class OpenIntent:
    """The intent a change is sent under; `resumed`: the earlier push's, when found open."""

    id: int
    resumed: Intent | None


class IntentLog:
    """Intents of one run to one hub; each call is its own committed transaction."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        hub: str,
        run_id: int,
        clock: Callable[[], datetime],
    ) -> None:
        self.factory = factory
        self.hub = hub
        self.run_id = run_id
        self.clock = clock

    def open(self, line_id: int, content: str, marketplace_id: str | None = None) -> OpenIntent:
        """The change's open intent (an earlier push cut off), else a new one, committed.

        Of the line's workbook, or with `marketplace_id` of its prices there.
        """
        with unit_of_work(self.factory) as session:
            pushes = PushRepository(session)
            found = pushes.open_intent(line_id, self.hub, marketplace_id)
            if found is not None:
                return OpenIntent(found.id, found)
            ident = pushes.write_intent(
                line_id,
                self.hub,
                content,
                run_id=self.run_id,
                now=self.clock(),
                marketplace_id=marketplace_id,
            )
        return OpenIntent(ident, None)

    def step(self, intent_id: int, step: str, content: str | None = None) -> None:
        """Write the step the push is about to take, committed before it is taken."""
        with unit_of_work(self.factory) as session:
            PushRepository(session).intent_step(intent_id, step, self.clock(), content=content)

    def sent(self, intent_id: int, tracking_id: str) -> None:
        """The hub answered the change with its task: kept on the intent."""
        with unit_of_work(self.factory) as session:
            PushRepository(session).intent_sent(intent_id, tracking_id)

    def close(self, intent_id: int, outcome: str) -> None:
        """Close the intent with an outcome that leaves the hub's record as it was."""
        with unit_of_work(self.factory) as session:
            PushRepository(session).close_intent(intent_id, outcome, self.clock())

    def received(
        self, intent_id: int, outcome: str, record: Callable[[PushRepository], None]
    ) -> None:
        """The hub holds the change: `record` it and close the intent, in one transaction."""
        with unit_of_work(self.factory) as session:
            pushes = PushRepository(session)
            record(pushes)
            pushes.close_intent(intent_id, outcome, self.clock())

"""The tasks of a delivery run fanned out to workers (push, drift): one line each, then close.

A line task resumes the run (bound to its id in the logs), does nothing once an operator
cancelled it, opens a Commerce client for the hub, and gives its line's tally; a line that
fails is an error event of that line (replacing an earlier attempt's) and a failed tally.
A hub that refuses the app as a whole (`refused`, a push) fails the run instead. The closing
task adds the line tasks' tallies up and closes the run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from plm_sync.commerce.client import CommerceClient
from plm_sync.config import Settings
from plm_sync.domain.events import Event, Level
from plm_sync.errors import CommerceAuthError, CommerceServiceError, PlmSyncError
from plm_sync.runs.runlog import RunLog, RunOutcome


class LineTally(Protocol):
    """What a delivery run's lines come to: built empty or for one failed line, merged, JSON."""

    def __init__(self, *, products: int = 0, errors: int = 0, seen: list[str] = ...) -> None: ...

    def merge(self, other: dict[str, Any]) -> None:
        """Add a line task's tally."""

    def as_dict(self) -> dict[str, Any]:
        """JSON for the tasks."""


T = TypeVar("T", bound=LineTally)


def line_task(
    settings: Settings,
    factory: sessionmaker[Session],
    run_id: int,
    product_id: str,
    *,
    tally: type[LineTally],
    failed_code: str,
    work: Callable[[RunLog, CommerceClient], LineTally],
    hub: Settings | None = None,
    refused: Callable[[RunLog, PlmSyncError], object] | None = None,
) -> dict[str, Any]:
    """One line of a delivery run on the hub `hub` (else the settings'): its tally as JSON."""
    runlog = RunLog.resume(factory, run_id, settings=settings)
    with runlog.bound():
        if runlog.cancel_requested():
            return tally().as_dict()
        client = CommerceClient.from_settings(hub or settings)
        try:
            return work(runlog, client).as_dict()
        except PlmSyncError as error:
            if refused is not None and isinstance(error, CommerceAuthError | CommerceServiceError):
                refused(runlog, error)  # the run fails now; the other line tasks find it closed
                return tally().as_dict()
            runlog.record([Event(Level.ERROR, failed_code, str(error), product_id)], product_id)
            return tally(products=1, errors=1, seen=[product_id]).as_dict()
        finally:
            client.close()


def close_tasks(
    settings: Settings,
    factory: sessionmaker[Session],
    run_id: int,
    tallies: Sequence[dict[str, Any]],
    *,
    tally: type[T],
    close: Callable[[RunLog, T], RunOutcome],
) -> RunOutcome:
    """Add up the line tasks' tallies and close the run."""
    runlog = RunLog.resume(factory, run_id, settings=settings)
    with runlog.bound():
        total = tally()
        for part in tallies:
            total.merge(part)
        return close(runlog, total)

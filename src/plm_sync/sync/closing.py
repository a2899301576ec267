"""How a sync run closes: whether the Connect cursor moves, and the message it keeps.

Its status, and the message of a failure, are the run closer's (`RunLog.conclude`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from plm_sync.domain.moments import parse_moment
from plm_sync.sync.request import SyncRequest
from plm_sync.sync.tally import Tally


@dataclass(frozen=True)
class Closing:
    """What a run's row says when it closes."""

    cursor_after: str | None  # None: the cursor stays where it was
    message: str | None


def closing(
    tally: Tally,
    request: SyncRequest,
    *,
    failure: BaseException | None,
    step: str,
    cursor_before: str | None,
    notes: Sequence[str | None],
    incremental: bool,
) -> Closing:
    """The run's closing: the cursor moves only after full success of an unscoped run.

    `step`: what the run was doing when cancelled; `notes`: the brakes' messages.
    """
    cursor_after = None
    moves = (
        failure is None
        and not tally.cancelled
        and not tally.failed_products
        and not request.product_ids
        and not request.dry_run
    )
    if moves and tally.newest is not None:
        before = parse_moment(cursor_before)
        if before is None or tally.newest > before:
            cursor_after = tally.newest.isoformat()
    message = "; ".join(part for part in notes if part) or (
        incremental_note(tally) if incremental else None
    )
    if failure is None and tally.cancelled:
        message = (
            f"cancelled by an operator while {step}; the product lines written before "
            "stay, the cursor did not move"
        )
    return Closing(cursor_after, message)


def incremental_note(tally: Tally) -> str:
    """What an incremental run synced, and what only a full run finds."""
    return (
        f"incremental: synced {len(tally.seen)} of {len(tally.listed)} published "
        "products (new, or with new change signals: version, status, events); item and "
        "offer changes Connect does not stamp on their product are found by the full run "
        "(`plm-sync sync --full`, nightly on the workers)"
    )

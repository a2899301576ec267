"""Run statuses and the deactivation brake's limit: how many plans one run may deactivate."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum


class RunStatus(StrEnum):
    """Where a run is in its life (DESIGN §7)."""

    QUEUED = "queued"  # recorded by `enqueue`, no worker has taken it yet
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    SUCCEEDED_WITH_ERRORS = "succeeded_with_errors"
    FAILED = "failed"
    CANCELLED = "cancelled"
    PLANNED = "planned"  # a push's change plan, waiting for `approve` or `reject`

    @property
    def is_open(self) -> bool:
        """Queued or running: the run still holds the database's one run slot."""
        return self in OPEN_STATUSES


OPEN_STATUSES = frozenset({RunStatus.QUEUED, RunStatus.RUNNING})
# a run that did what it was asked (with item errors or without); a dry run never counts
SUCCEEDED_STATUSES = frozenset({RunStatus.SUCCEEDED, RunStatus.SUCCEEDED_WITH_ERRORS})
# a run's counts as the run log keeps them (DESIGN §7)
COUNT_FIELDS = ("products", "items", "created", "updated", "unchanged", "deactivated", "errors")


@dataclass(frozen=True)
class RunStart:
    """What a new run is."""

    trigger: str
    scope: str
    full: bool
    dry_run: bool
    queued: bool = False  # recorded for the workers, not yet taken by one
    deactivation_limit: int | None = None  # None: the deactivation brake is lifted


DEFAULT_DEACTIVATION_LIMIT = "10%"
MIN_PERCENT_LIMIT = 20  # a percentage never allows fewer plans than this
_LIMIT = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(%?)\s*")


@dataclass(frozen=True)
class DeactivationLimit:
    """At most how many service plans one run may deactivate before the brake holds it.

    Rules:
    - `N` allows N plans, whatever the catalog's size;
    - `N%` allows N percent of the plans that were active before the run, rounded down, and
      never fewer than MIN_PERCENT_LIMIT (a small catalog keeps room for ordinary
      end-of-sale changes).
    """

    plans: int | None = None
    percent: float | None = None

    @classmethod
    def parse(cls, text: str) -> DeactivationLimit:
        """`25` or `10%`; ValueError names the accepted forms."""
        match = _LIMIT.fullmatch(text)
        if match is None:
            raise ValueError(f"{text!r} is not a number of plans (e.g. 50) or a percentage (10%)")
        number, percent = match.groups()
        if percent:
            value = float(number)
            if value > 100:  # noqa: PLR2004 - a percentage
                raise ValueError(f"{text!r}: a percentage is at most 100%")
            return cls(percent=value)
        if "." in number:
            raise ValueError(f"{text!r}: a number of plans is a whole number")
        return cls(plans=int(number))

    def allowed(self, active_before: int) -> int:
        """How many plans the run may deactivate, given the active plans stored before it."""
        if self.plans is not None:
            return self.plans
        share = math.floor(active_before * (self.percent or 0.0) / 100)
        return max(MIN_PERCENT_LIMIT, share)

    def __str__(self) -> str:
        return f"{self.percent:g}%" if self.plans is None else str(self.plans)

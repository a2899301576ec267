"""One way to retry an HTTP call, for every adapter (Connect and Commerce alike).

What is retried is what the adapter marks transient (an error with `transient = True`: 429,
5xx without an answer body that says otherwise, resets, timeouts); nothing else ever is, and an
adapter never hands a call that may not be repeated (PLM's `applyConfig`) to `Retrier.call`.
Waits grow exponentially with jitter, a `Retry-After` is a floor jitter never shortens, and
the whole is bounded by a number of attempts and a total wait: a wait that would overrun the
budget ends the retries at once with the error, saying so. Retries are counted under a lock
(calls run on several threads when items are fetched ahead).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import ParamSpec, TypeVar

import structlog
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
)

from plm_sync.domain.moments import aware

log = structlog.get_logger(__name__)
_P = ParamSpec("_P")
_R = TypeVar("_R")


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds to wait: delta-seconds or an HTTP date; None if absent/bad."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, (aware(when) - (now or datetime.now(UTC))).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries: attempts, total time, exponential backoff with jitter."""

    max_attempts: int = 6
    max_total_wait: float = 300.0
    initial_backoff: float = 0.5
    max_backoff: float = 30.0

    def wait(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds before retry number `attempt` (from 1): backoff with jitter.

        Exponential, capped at `max_backoff`; a `Retry-After` is a floor the jitter never
        shortens.
        """
        base = min(self.max_backoff, self.initial_backoff * float(2 ** max(attempt - 1, 0)))
        backoff = base + random.uniform(0, base)  # noqa: S311 - jitter, not cryptography
        return backoff if retry_after is None else max(retry_after, backoff)


def is_transient(error: BaseException) -> bool:
    """Whether an error is marked transient (worth another try)."""
    return bool(getattr(error, "transient", False))


class BudgetSpentError(Exception):
    """Raised inside a wait that would overrun the retry budget; carries the last error."""

    def __init__(self, error: BaseException, wait: float) -> None:
        self.error = error
        self.wait = wait
        super().__init__(str(error))


class Retrier:
    """Runs calls with retries under one policy; counts them; logs each with `event`.

    `over_budget(error, wait)` builds the error a call ends with when the next wait would
    overrun the policy's total wait (it must not be transient, or be raised as it is).
    """

    def __init__(
        self,
        policy: RetryPolicy,
        *,
        event: str,
        over_budget: Callable[[BaseException, float], BaseException] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.policy = policy
        self.event = event
        self.over_budget = over_budget
        self.sleep = sleep
        self._count = 0
        self._lock = threading.Lock()

    @property
    def retries(self) -> int:
        """Retries made so far, by every call."""
        with self._lock:
            return self._count

    def add(self, count: int = 1) -> None:
        """Count retries made outside `call` (a listing read again from its start)."""
        with self._lock:
            self._count += count

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        retry_after = getattr(error, "retry_after", None)
        wait = self.policy.wait(state.attempt_number, retry_after)
        elapsed = state.seconds_since_start or 0.0
        if error is not None and elapsed + wait > self.policy.max_total_wait:
            raise BudgetSpentError(error, wait)
        return wait

    def _before_sleep(self, state: RetryCallState) -> None:
        self.add()
        error = state.outcome.exception() if state.outcome else None
        log.warning(
            self.event,
            attempt=state.attempt_number,
            wait=round(state.upcoming_sleep, 3),
            error=str(error),
        )

    def call(self, function: Callable[_P, _R], *args: _P.args, **kwargs: _P.kwargs) -> _R:
        """`function(*args, **kwargs)`, retried while it raises a transient error."""
        retrying = Retrying(
            retry=retry_if_exception(is_transient),
            stop=stop_after_attempt(self.policy.max_attempts)
            | stop_after_delay(self.policy.max_total_wait),
            wait=self._wait,
            before_sleep=self._before_sleep,
            sleep=self.sleep,
            reraise=True,
        )
        try:
            return retrying(function, *args, **kwargs)
        except BudgetSpentError as spent:
            if self.over_budget is None:
                raise spent.error from None
            raise self.over_budget(spent.error, spent.wait) from None

"""Fetch ahead: the next products' items are read on a small pool while a line is written.

Results come back in product order, so a run's outcome is the same as a sequential one.
"""

from __future__ import annotations

import contextvars
from collections import deque
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import islice
from typing import Generic, TypeVar

_K = TypeVar("_K")
_V = TypeVar("_V")


class Prefetched(Generic[_V]):
    """What a fetch gave: its value, or the exception it raised (re-raised by `get`)."""

    def __init__(self, future: Future[_V] | None, value: _V | None = None) -> None:
        self._future = future
        self._value = value

    def get(self) -> _V:
        """The fetched value; raises what the fetch raised."""
        if self._future is None:
            return self._value  # type: ignore[return-value] # fetched in this thread
        return self._future.result()


def prefetched(
    keys: Iterable[_K], fetch: Callable[[_K], _V], workers: int
) -> Generator[tuple[_K, Prefetched[_V]], None, None]:
    """`(key, fetch(key))` in the order of `keys`, up to `workers` fetches running ahead.

    `workers` below 2 fetches each key when it is reached (no thread). Each fetch runs in a
    copy of the caller's context, so its log lines carry the run's bound values. Closing the
    iterator (or leaving the loop) cancels the fetches not started; those running finish.
    """
    if workers < 2:  # noqa: PLR2004 - one worker is no pool
        for key in keys:
            try:
                value = fetch(key)
            except Exception as error:  # noqa: BLE001 - handed to the consumer, as a future would
                failed: Future[_V] = Future()
                failed.set_exception(error)
                yield key, Prefetched(failed)
            else:
                yield key, Prefetched(None, value)
        return
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="plm-sync-fetch")
    window: deque[tuple[_K, Future[_V]]] = deque()
    source = iter(keys)
    stopped_early = True
    try:
        while True:
            for key in islice(source, workers + 1 - len(window)):  # `workers` ahead of this one
                context = contextvars.copy_context()
                window.append((key, pool.submit(context.run, fetch, key)))
            if not window:
                stopped_early = False
                return
            key, future = window.popleft()
            yield key, Prefetched(future)
    finally:  # on an early stop, fetches not started are cancelled
        pool.shutdown(wait=True, cancel_futures=stopped_early)

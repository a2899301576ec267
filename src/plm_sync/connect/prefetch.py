"""Fetch ahead: the next products' items are read on a small pool while a line is written.

Results come back in product order, so a run's outcome is the same as a sequential one.
"""

from __future__ import annotations

import contextvars
from collections import deque
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import islice
from typing import TypeVar

_K = TypeVar("_K")
_V = TypeVar("_V")


def prefetched(
    keys: Iterable[_K], fetch: Callable[[_K], _V], workers: int
) -> Generator[tuple[_K, Future[_V]], None, None]:
    """`(key, future of fetch(key))` in the order of `keys`, up to `workers` running ahead.

    `future.result()` gives the fetched value or raises what the fetch raised.

    `workers` below 2 fetches each key when it is reached (no thread). Each fetch runs in a
    copy of the caller's context, so its log lines carry the run's bound values. Closing the
    iterator (or leaving the loop) cancels the fetches not started; those running finish.
    """
    if workers < 2:  # noqa: PLR2004 - one worker is no pool
        for key in keys:
            done: Future[_V] = Future()
            try:
                done.set_result(fetch(key))
            except Exception as error:  # noqa: BLE001 - handed to the consumer, as a pool would
                done.set_exception(error)
            yield key, done
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
            yield key, future
    finally:  # on an early stop, fetches not started are cancelled
        pool.shutdown(wait=True, cancel_futures=stopped_early)

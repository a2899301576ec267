"""Fetching ahead: product order kept, errors where they belong, a bounded window, context."""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Iterator

import pytest

from plm_sync.connect.prefetch import prefetched

RUN = contextvars.ContextVar("run", default="none")


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_results_come_in_key_order_whatever_finishes_first(workers: int) -> None:
    def fetch(key: int) -> int:
        time.sleep(0.01 * (5 - key))  # later keys finish first
        return key * 10

    got = [(key, result.result()) for key, result in prefetched(range(5), fetch, workers)]
    assert got == [(key, key * 10) for key in range(5)]


@pytest.mark.parametrize("workers", [1, 3])
def test_a_failed_fetch_raises_when_its_key_is_reached(workers: int) -> None:
    def fetch(key: int) -> int:
        if key == 2:
            raise ValueError("boom")
        return key

    results = list(prefetched(range(4), fetch, workers))
    assert [key for key, _ in results] == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="boom"):
        results[2][1].result()
    assert results[3][1].result() == 3


def test_no_more_than_the_window_is_fetched_ahead() -> None:
    """Counted where keys are taken from the source (in the consumer's thread): no sleeps."""
    taken: list[int] = []
    release = threading.Event()

    def source() -> Iterator[int]:
        for key in range(100):
            taken.append(key)
            yield key

    def fetch(key: int) -> int:
        if key > 0:
            release.wait(timeout=10)  # the window's fetches stay running until released
        return key

    fetches = prefetched(source(), fetch, 3)
    key, result = next(fetches)
    assert (key, result.result()) == (0, 0)
    assert taken == [0, 1, 2, 3]  # this key and three ahead, however fast the pool is
    release.set()
    assert [next(fetches)[0] for _ in range(2)] == [1, 2]
    assert taken == [0, 1, 2, 3, 4, 5]  # one more taken per key handed out
    fetches.close()  # the fetches not started are cancelled, the source is not read on
    assert taken == [0, 1, 2, 3, 4, 5]


def test_fetches_see_the_callers_context() -> None:
    RUN.set("run-7")
    seen = [result.result() for _, result in prefetched(range(3), lambda _: RUN.get(), 2)]
    assert seen == ["run-7"] * 3

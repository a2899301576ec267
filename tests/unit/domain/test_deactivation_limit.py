from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plm_sync.domain.runs import DeactivationLimit, RunStatus


@pytest.mark.parametrize(
    ("text", "active_before", "allowed"),
    [
        pytest.param("10%", 1000, 100, id="percent-of-the-catalog"),
        pytest.param("10%", 50, 20, id="percent-never-below-20"),
        pytest.param("10%", 0, 20, id="empty-catalog"),
        pytest.param("2.5%", 10_000, 250, id="fractional-percent"),
        pytest.param("100%", 30, 30, id="everything"),
        pytest.param("5", 1000, 5, id="a-number-is-taken-as-is"),
        pytest.param(" 0 ", 1000, 0, id="zero-allows-none"),
    ],
)
def test_limit_allows(text: str, active_before: int, allowed: int) -> None:
    assert DeactivationLimit.parse(text).allowed(active_before) == allowed


@pytest.mark.parametrize("text", ["", "ten", "10 %%", "-1", "150%", "2.5"])
def test_malformed_limits_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"number of plans|percentage"):
        DeactivationLimit.parse(text)


def test_limit_reads_back_as_written() -> None:
    assert str(DeactivationLimit.parse("10%")) == "10%"
    assert str(DeactivationLimit.parse("25")) == "25"


def test_open_statuses_hold_the_run_slot() -> None:
    assert {status for status in RunStatus if status.is_open} == {"queued", "running"}


@given(st.text(max_size=12))
def test_parse_raises_only_value_error(text: str) -> None:
    try:
        limit = DeactivationLimit.parse(text)
    except ValueError:
        return
    assert limit.allowed(1000) >= 0


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=10**9))
def test_a_whole_number_round_trips_and_ignores_the_catalog(plans: int, active: int) -> None:
    limit = DeactivationLimit.parse(str(plans))
    assert str(limit) == str(plans)
    assert limit.allowed(active) == plans

"""The run outcome and the status policy every kind of run closes by."""

from __future__ import annotations

import pytest

from plm_sync.domain.runs import RunStatus
from plm_sync.errors import CommerceAuthError, ConnectAuthError, PlmSyncError
from plm_sync.runs.runlog import RunOutcome, exit_code_of, failure_events, status_of


def test_an_outcome_crosses_celery_unchanged() -> None:
    outcome = RunOutcome(7, RunStatus.SUCCEEDED_WITH_ERRORS, 3, {"products": 2, "errors": 1}, "c")
    assert RunOutcome.from_dict(outcome.as_dict()) == outcome


@pytest.mark.parametrize(
    ("failed", "cancelled", "errors", "status", "code"),
    [
        (False, False, 0, RunStatus.SUCCEEDED, 0),
        (False, False, 2, RunStatus.SUCCEEDED_WITH_ERRORS, 3),
        (False, True, 2, RunStatus.CANCELLED, 3),
        (True, True, 0, RunStatus.FAILED, 1),
    ],
)
def test_one_status_policy(
    failed: bool, cancelled: bool, errors: int, status: RunStatus, code: int
) -> None:
    assert status_of(failed=failed, cancelled=cancelled, errors=errors) is status
    assert exit_code_of(status) == code


def test_a_refused_key_is_one_error_and_exit_2() -> None:
    (event,) = failure_events(ConnectAuthError("HTTP 401"))
    assert event.code == "connect_auth"
    assert "PLM_SYNC_CONNECT_API_KEY" in event.message
    assert failure_events(CommerceAuthError("HTTP 401"))[0].code == "commerce_auth"
    assert failure_events(PlmSyncError("boom")) == []
    assert exit_code_of(RunStatus.FAILED, refused=True) == 2

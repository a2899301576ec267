"""The report's change list names the plans and switch paths a run touched, dry or not."""

from __future__ import annotations

import pytest

from plm_sync.pipeline import change_events
from plm_sync.reports import _diff
from plm_sync.store.catalog import Changes


@pytest.mark.parametrize("dry_run", [False, True])
def test_switch_paths_keep_their_plan_names_whatever_they_contain(dry_run: bool) -> None:
    changes = Changes(
        plans_created=["Cloud > Plus (NCE COM MTH)"],
        switches_created=["Cloud > Plus (NCE COM MTH) -> Cloud (NCE COM ANN)"],
        switches_deactivated=["A -> B"],
    )
    events = [event.as_dict() for event in change_events("PRD-1", changes, dry_run)]
    diff = _diff(events)
    assert diff["plans_created"] == ["PRD-1: Cloud > Plus (NCE COM MTH)"]
    assert diff["switches_created"] == ["PRD-1: Cloud > Plus (NCE COM MTH) -> Cloud (NCE COM ANN)"]
    assert diff["switches_deactivated"] == ["PRD-1: A -> B"]

"""The report's change list names the plans and switch paths a run touched, dry or not."""

from __future__ import annotations

import pytest

from plm_sync.domain.changes import Change, ChangeKind, Changes, change_events
from plm_sync.domain.events import Event, Level
from plm_sync.ops.reports import _diff


@pytest.mark.parametrize("dry_run", [False, True])
def test_switch_paths_keep_their_plan_names_whatever_they_contain(dry_run: bool) -> None:
    changes = Changes(
        records=[
            Change(ChangeKind.SWITCH_DEACTIVATED, "A -> B"),
            Change(ChangeKind.PLAN_CREATED, "Cloud > Plus (NCE COM MTH)"),
            Change(ChangeKind.SWITCH_CREATED, "Cloud > Plus (NCE COM MTH) -> Cloud (NCE COM ANN)"),
            Change(ChangeKind.PLAN_SHARING_CHANGED, "It's 'quoted'", ("US",), ("DE",)),
        ]
    )
    events = change_events("PRD-1", changes, dry_run)
    assert [event.code for event in events] == [
        "plan_sharing_changed",
        "plan_created",
        "plan_switch_created",
        "plan_switch_deactivated",
    ]
    diff = _diff(events)
    assert diff["plans_created"] == ["PRD-1: Cloud > Plus (NCE COM MTH)"]
    assert diff["switches_created"] == ["PRD-1: Cloud > Plus (NCE COM MTH) -> Cloud (NCE COM ANN)"]
    assert diff["switches_deactivated"] == ["PRD-1: A -> B"]
    assert diff["sharing_changed"] == ["PRD-1: It's 'quoted'"]
    verb = "would be " if dry_run else ""
    assert (
        events[0].message
        == f"service plan \"It's 'quoted'\" {verb}shared with US; unshared from DE"
    )
    assert events[1].message == f"service plan 'Cloud > Plus (NCE COM MTH)' {verb}created"


def test_events_recorded_before_subjects_show_their_message() -> None:
    legacy = Event(Level.INFO, "plan_created", "service plan 'X' created", "PRD-1")
    assert _diff([legacy])["plans_created"] == ["PRD-1: service plan 'X' created"]


def test_a_page_lists_problems_first_in_line_and_keeps_run_order() -> None:
    from plm_sync.ops.views.html import page_events  # noqa: PLC0415

    events = [{"level": "info", "n": n} for n in range(5)]
    events.insert(3, {"level": "error", "n": "e"})
    events.append({"level": "warning", "n": "w"})
    shown = page_events(events, limit=4)
    assert [event["n"] for event in shown] == [0, 1, "e", "w"]
    assert page_events(events, limit=100) == events

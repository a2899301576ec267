"""What a change is and what it is called: one place, used by the store and the reports."""

from __future__ import annotations

import pytest

from plm_sync.domain.changes import Change, ChangeKind, change_label, change_record


@pytest.mark.parametrize(
    ("table", "values", "label"),
    [
        ("service_plans", {"name": "Cloud (NCE COM MTH)"}, "Cloud (NCE COM MTH)"),
        ("plan_switches", {"source_plan": "A", "target_plan": "B"}, "A -> B"),
        (
            "resource_rates",
            {"resource_mpn": "ADDON:1", "plan_key": "BASE:1|P1M", "addon": True},
            "ADDON:1 in BASE:1|P1M",
        ),
        ("resource_rates", {"resource_mpn": "X:1", "plan_key": "X:1|P1M", "addon": None}, None),
        (
            "resource_dependencies",
            {"child_mpn": "ADDON:1", "parent_mpn": "BASE:1"},
            "ADDON:1 requires BASE:1",
        ),
        ("plan_periods", {"mpn": "X:1_P1M:Monthly"}, None),
    ],
)
def test_change_labels(table: str, values: dict[str, object], label: str | None) -> None:
    assert change_label(table, values) == label


@pytest.mark.parametrize(
    ("table", "what", "kind"),
    [
        ("service_plans", "deactivated", ChangeKind.PLAN_DEACTIVATED),
        ("service_plans", "created", ChangeKind.PLAN_CREATED),
        ("plan_switches", "updated", ChangeKind.SWITCH_UPDATED),
        ("resource_dependencies", "deactivated", ChangeKind.DEPENDENCY_DEACTIVATED),
    ],
)
def test_change_records(table: str, what: str, kind: ChangeKind) -> None:
    values = {
        "name": "P",
        "source_plan": "A",
        "target_plan": "B",
        "child_mpn": "C",
        "parent_mpn": "D",
    }
    record = change_record(table, what, values)
    assert record is not None
    assert record.kind is kind


def test_unnamed_rows_make_no_record() -> None:
    rate = {"resource_mpn": "X:1", "plan_key": "X:1|P1M", "addon": None}
    assert change_record("resource_rates", "deactivated", rate) is None
    assert change_record("plan_periods", "deactivated", {"mpn": "X"}) is None
    assert change_record("service_plans", "deactivated", {"name": "P"}) == Change(
        ChangeKind.PLAN_DEACTIVATED, "P"
    )

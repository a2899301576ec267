"""What Commerce's answers mean, without I/O: tracking ids, task states, plans PLM would change."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from plm_sync.commerce.readback import english

# The first lowercase RFC 4122 UUID (version 1-5, variant 8/9/a/b) in `APS-Info`.
TRACKING_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
ACTION_OUTPUT_LIMIT = 4000  # characters of a failed task's output kept in an event


def tracking_id(aps_info: str | None) -> str | None:
    """The id of the PLM task an `applyConfig` started, from its `APS-Info` header."""
    if not aps_info:
        return None
    match = TRACKING_ID.search(aps_info)
    return match.group(0) if match else None


class TaskState(StrEnum):
    """`getTaskLog` status letters."""

    NOT_STARTED = "n"
    RUNNING = "r"
    SUCCEEDED = "s"
    FAILED = "f"
    UNKNOWN = "?"

    @property
    def finished(self) -> bool:
        """Whether polling can stop."""
        return self not in {TaskState.NOT_STARTED, TaskState.RUNNING}


@dataclass(frozen=True)
class TaskResult:
    """A PLM task as the task log shows it."""

    tracking_id: str
    state: TaskState
    task_id: str | None = None
    output: str = ""


def _state(letter: Any) -> TaskState:  # noqa: ANN401 - JSON
    try:
        return TaskState(str(letter or ""))
    except ValueError:
        return TaskState.UNKNOWN


def task_result(tracking: str, rows: Any) -> TaskResult:  # noqa: ANN401 - JSON
    """Read a `getTaskLog` answer: only the first row counts; none yet means not started."""
    if not isinstance(rows, list) or not rows:
        return TaskResult(tracking, TaskState.NOT_STARTED)
    first = rows[0] if isinstance(rows[0], dict) else {}
    state = _state(first.get("status"))
    task_id = first.get("task_id")
    output = str(first.get("actionOutput") or "")[:ACTION_OUTPUT_LIMIT]
    return TaskResult(tracking, state, None if task_id is None else str(task_id), output)


@dataclass(frozen=True)
class TaskRow:
    """One row of the task log: its name, state, id, start (unix seconds) and output."""

    name: str
    state: TaskState
    task_id: str | None
    started_at: float | None
    output: str = ""

    def tracking(self) -> str | None:
        """The request id its name carries (`…'/applyConfig'(<uuid>)…`), if any."""
        return tracking_id(self.name)


def task_rows(rows: list[Any]) -> list[TaskRow]:
    """Every row of a `getTaskLog` answer that is an object, as the log gives them."""
    found = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        started = row.get("startedAt")
        try:
            when = float(started) if started is not None else None
        except (TypeError, ValueError):
            when = None
        task_id = row.get("task_id")
        found.append(
            TaskRow(
                str(row.get("name") or ""),
                _state(row.get("status")),
                None if task_id is None else str(task_id),
                when,
                str(row.get("actionOutput") or "")[:ACTION_OUTPUT_LIMIT],
            )
        )
    return found


def refusal(body: Any) -> str | None:  # noqa: ANN401 - JSON
    """The message of a 2xx answer that holds `error` (PLM refused), else None."""
    if isinstance(body, dict) and body.get("error"):
        return str(body.get("message") or body["error"])
    return None


def _periods(plan: dict[str, Any], *, live: bool) -> set[tuple[int, str, bool]]:
    periods: set[tuple[int, str, bool]] = set()
    for entry in plan.get("subscriptionPeriods") or []:
        value = entry.get("value", entry) if not live else entry
        if not isinstance(value, dict):
            continue
        trial = bool(value.get("trial", value.get("isTrial", False)))
        if value.get("active") is False:
            continue
        periods.add((int(value.get("period") or 0), str(value.get("periodType") or ""), trial))
    return periods


@dataclass(frozen=True)
class PlanChanges:
    """What applying a parsed workbook would do to PLM's live plans, by plan name."""

    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """`2 new, 1 changed, 3 unchanged`."""
        return f"{len(self.new)} new, {len(self.changed)} changed, {len(self.unchanged)} unchanged"


def plan_changes(parsed: dict[str, Any]) -> PlanChanges:
    """Compare the workbook's plans (`excelConfig.servicePlans`) with `existingPdiPlans`.

    A plan is new when PLM has no live plan of its (case-insensitive) name; changed when its
    description, publication or active subscription periods differ; else unchanged. (The
    parse answer does not show a plan's billing period or rates, so a change of those alone
    shows as unchanged.)
    """
    live = {
        str(name).casefold(): plan
        for name, plan in (parsed.get("existingPdiPlans") or {}).items()
        if isinstance(plan, dict)
    }
    changes = PlanChanges()
    excel = parsed.get("excelConfig") or {}
    for entry in excel.get("servicePlans") or []:
        plan = entry.get("value", {}) if isinstance(entry, dict) else {}
        name = english(plan.get("name"))
        current = live.get(name.casefold())
        if current is None:
            changes.new.append(name)
            continue
        wanted = (
            english(plan.get("description")),
            bool(plan.get("isPublished")),
            _periods(plan, live=False),
        )
        existing = (
            english(current.get("description")),
            bool(current.get("isPublished")),
            _periods(current, live=True),
        )
        (changes.unchanged if wanted == existing else changes.changed).append(name)
    for names in (changes.new, changes.changed, changes.unchanged):
        names.sort()
    return changes

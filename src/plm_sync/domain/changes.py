"""What writing a product line changed: row counts, and typed records of plans and switch paths.

Events are rendered from the records (code = the record's kind, `subject` = the plan name or
switch path), so reports group on data, never on the wording of a message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from plm_sync.domain.catalog import Sharing
from plm_sync.domain.events import Event, Level
from plm_sync.domain.sharing import sharing_difference

SWITCH_ARROW = " -> "  # how a switch path is named: `source -> target`


class ChangeKind(StrEnum):
    """What happened to a plan or a switch path; the value is the event code."""

    PLAN_SHARING_CHANGED = "plan_sharing_changed"
    PLAN_CREATED = "plan_created"
    PLAN_UPDATED = "plan_updated"
    PLAN_DEACTIVATED = "plan_deactivated"
    SWITCH_CREATED = "plan_switch_created"
    SWITCH_UPDATED = "plan_switch_updated"
    SWITCH_DEACTIVATED = "plan_switch_deactivated"
    ADDON_RATE_CREATED = "addon_rate_created"
    ADDON_RATE_UPDATED = "addon_rate_updated"
    ADDON_RATE_DEACTIVATED = "addon_rate_deactivated"
    DEPENDENCY_CREATED = "resource_dependency_created"
    DEPENDENCY_UPDATED = "resource_dependency_updated"
    DEPENDENCY_DEACTIVATED = "resource_dependency_deactivated"


_ORDER = {kind: position for position, kind in enumerate(ChangeKind)}  # events in this order
_WORDS = {
    ChangeKind.PLAN_CREATED: "created",
    ChangeKind.PLAN_UPDATED: "updated",
    ChangeKind.PLAN_DEACTIVATED: "deactivated",
    ChangeKind.SWITCH_CREATED: "created",
    ChangeKind.SWITCH_UPDATED: "updated",
    ChangeKind.SWITCH_DEACTIVATED: "deactivated",
    ChangeKind.ADDON_RATE_CREATED: "created",
    ChangeKind.ADDON_RATE_UPDATED: "updated",
    ChangeKind.ADDON_RATE_DEACTIVATED: "deactivated",
    ChangeKind.DEPENDENCY_CREATED: "created",
    ChangeKind.DEPENDENCY_UPDATED: "updated",
    ChangeKind.DEPENDENCY_DEACTIVATED: "deactivated",
}
_WHAT = {
    "plan_switch": "switch path",
    "addon_rate": "add-on rate",
    "resource_dependency": ("resource dependency"),
}


def switch_path(source_plan: str, target_plan: str) -> str:
    """The name of a one-way switch path."""
    return f"{source_plan}{SWITCH_ARROW}{target_plan}"


@dataclass(frozen=True)
class Change:
    """One plan or switch path that appeared, changed, went inactive or was (un)shared."""

    kind: ChangeKind
    # the plan's name, the switch path `source -> target`, the add-on rate `resource in
    # plan`, or the dependency `child requires parent`
    subject: str
    shared: tuple[str, ...] = ()  # sharing changes only: units and groups added
    unshared: tuple[str, ...] = ()  # and taken away

    def message(self, dry_run: bool) -> str:
        """The event's text, e.g. `service plan 'X (NCE COM MTH)' created`."""
        verb = "would be " if dry_run else ""
        if self.kind is ChangeKind.PLAN_SHARING_CHANGED:
            parts = (
                f"shared with {', '.join(self.shared)}" if self.shared else "",
                f"unshared from {', '.join(self.unshared)}" if self.unshared else "",
            )
            return f"service plan {self.subject!r} {verb}" + "; ".join(p for p in parts if p)
        what = next(
            (text for prefix, text in _WHAT.items() if self.kind.value.startswith(prefix)),
            "service plan",
        )
        subject = repr(self.subject) if what == "service plan" else self.subject
        return f"{what} {subject} {verb}{_WORDS[self.kind]}"


@dataclass
class Changes:
    """What writing one line did (or would do): catalog row counts and change records."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    records: list[Change] = field(default_factory=list)

    def add(self, other: Changes) -> None:
        """Accumulate another line's row counts into this one."""
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.deactivated += other.deactivated

    def subjects(self, kind: ChangeKind) -> list[str]:
        """The plans (or switch paths) that had this kind of change, in the order found."""
        return [record.subject for record in self.records if record.kind is kind]

    @property
    def plans_deactivated(self) -> list[str]:
        """The service plans this write deactivates (what the deactivation brake counts)."""
        return self.subjects(ChangeKind.PLAN_DEACTIVATED)

    @property
    def plans_unshared_from_units(self) -> list[str]:
        """The service plans this write takes from an operating unit they were shared with."""
        return [
            record.subject
            for record in self.records
            if record.kind is ChangeKind.PLAN_SHARING_CHANGED
            and any(entry.startswith("operating unit") for entry in record.unshared)
        ]


ADDON_IN = " in "  # an add-on rate is named `<add-on resource> in <plan key>`
REQUIRES = " requires "  # a dependency `<child> requires <parent>`

# The catalog tables whose changes are named (change records, the reports' lists), by what
# happened to a row; the other tables' changes are only counted. A plan deactivated here is
# what the deactivation brake counts.
RECORDED: dict[str, dict[str, ChangeKind]] = {
    "service_plans": {
        "created": ChangeKind.PLAN_CREATED,
        "updated": ChangeKind.PLAN_UPDATED,
        "deactivated": ChangeKind.PLAN_DEACTIVATED,
    },
    "plan_switches": {
        "created": ChangeKind.SWITCH_CREATED,
        "updated": ChangeKind.SWITCH_UPDATED,
        "deactivated": ChangeKind.SWITCH_DEACTIVATED,
    },
    "resource_rates": {  # add-on rates only (other rates have no label)
        "created": ChangeKind.ADDON_RATE_CREATED,
        "updated": ChangeKind.ADDON_RATE_UPDATED,
        "deactivated": ChangeKind.ADDON_RATE_DEACTIVATED,
    },
    "resource_dependencies": {
        "created": ChangeKind.DEPENDENCY_CREATED,
        "updated": ChangeKind.DEPENDENCY_UPDATED,
        "deactivated": ChangeKind.DEPENDENCY_DEACTIVATED,
    },
}
# the row fields a change's label is made of, per recorded table
LABEL_FIELDS: dict[str, tuple[str, ...]] = {
    "service_plans": ("name",),
    "plan_switches": ("source_plan", "target_plan"),
    "resource_rates": ("resource_mpn", "plan_key", "addon"),
    "resource_dependencies": ("child_mpn", "parent_mpn"),
}


def change_label(table: str, values: Mapping[str, Any]) -> str | None:
    """What change events call a row; None: its changes are only counted.

    A plan's name, `source -> target` for a switch path, `<add-on> in <plan>` for an add-on's
    rate, `<child> requires <parent>` for a dependency.
    """
    if table == "service_plans":
        return str(values["name"])
    if table == "plan_switches":
        return switch_path(values["source_plan"], values["target_plan"])
    if table == "resource_rates":
        return (
            f"{values['resource_mpn']}{ADDON_IN}{values['plan_key']}" if values["addon"] else None
        )
    if table == "resource_dependencies":
        return f"{values['child_mpn']}{REQUIRES}{values['parent_mpn']}"
    return None


def change_record(table: str, what: str, values: Mapping[str, Any]) -> Change | None:
    """The record of a row `created`, `updated` or `deactivated`; None when it is not named."""
    kinds = RECORDED.get(table)
    label = change_label(table, values) if kinds is not None else None
    return None if kinds is None or label is None else Change(kinds[what], label)


def sharing_change(plan_name: str, before: Sharing, after: Sharing) -> Change | None:
    """The record of what a plan's new sharing adds and takes away; None when nothing."""
    shared, unshared = sharing_difference(before, after)
    if not shared and not unshared:
        return None
    return Change(ChangeKind.PLAN_SHARING_CHANGED, plan_name, tuple(shared), tuple(unshared))


def change_events(product_id: str, changes: Changes, dry_run: bool) -> list[Event]:
    """Info events for what a write created, updated, deactivated or (un)shared.

    Sharing first, then plans, then switch paths; each event's `subject` names the plan or path.
    """
    ordered = sorted(changes.records, key=lambda record: _ORDER[record.kind])
    return [
        Event(
            Level.INFO,
            record.kind.value,
            record.message(dry_run),
            product_id,
            subject=record.subject,
        )
        for record in ordered
    ]

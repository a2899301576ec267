"""A line's workbook, as PLM parsed it, compared with what the hub holds (read back)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plm_sync.commerce.answers import plan_changes
from plm_sync.commerce.client import CommerceClient
from plm_sync.commerce.readback import ConfigDiff, PlanDiff, compare
from plm_sync.delivery.request import PushTally
from plm_sync.domain.events import (
    PLAN_CHANGED,
    PLAN_NEW,
    READBACK_PARTIAL,
    WOULD_APPLY,
    Event,
    Level,
)
from plm_sync.errors import CommerceApiError, CommerceRefusedError

# what the comparison cannot see when the hub does not serve `downloadConfig`
UNREAD_WITHOUT_EXPORT = ("rates", "billing period", "sharing", "plan settings")


@dataclass(frozen=True)
class HubView:
    """The line compared with what the hub holds; `read_back`: PLM's export answered."""

    diff: ConfigDiff
    read_back: bool


def hub_view(
    client: CommerceClient, product_id: str, parsed: dict[str, Any], events: list[Event]
) -> HubView:
    """The line's parse compared with the hub's configuration, read back.

    PLM's export (`downloadConfig`) shows plans with their settings, periods, rates and
    sharing. A hub that does not serve it (an HTTP error naming no task) is compared by
    its live plans in the parse answer (names, descriptions, publication, periods), with
    a warning naming what could not be read back.
    """
    try:
        held = client.download_config(product_id, parsed.get("serviceTemplateId"))
    except (CommerceApiError, CommerceRefusedError) as error:
        if not any(event.code == READBACK_PARTIAL for event in events):
            events.append(
                Event(
                    Level.WARNING,
                    READBACK_PARTIAL,
                    f"PLM's export of {product_id} (downloadConfig) could not be read "
                    f"({error}): compared by PLM's live plans only; not read back: "
                    f"{', '.join(UNREAD_WITHOUT_EXPORT)}",
                    product_id,
                )
            )
        changes = plan_changes(parsed)
        diff = ConfigDiff(
            new=changes.new,
            changed=[
                PlanDiff(name, ("description, publication or periods",)) for name in changes.changed
            ],
            unchanged=changes.unchanged,
            unread=UNREAD_WITHOUT_EXPORT,
        )
        return HubView(diff, read_back=False)
    return HubView(compare(parsed.get("excelConfig"), held), read_back=True)


def would_apply(product_id: str, view: HubView, tally: PushTally, events: list[Event]) -> None:
    """A dry run's verdict on a line: what PLM would change; nothing is sent."""
    diff = view.diff
    if diff.equal:
        tally.unchanged += 1
    else:
        tally.updated += 1
    events += plan_events(product_id, diff)
    unread = f"; not read back: {', '.join(diff.unread)}" if diff.unread else ""
    events.append(
        Event(
            Level.INFO,
            WOULD_APPLY,
            f"PLM would apply the workbook of {product_id}: plans {diff.summary()} "
            f"(dry run: nothing was applied{unread})",
            product_id,
        )
    )


def plan_events(product_id: str, diff: ConfigDiff) -> list[Event]:
    """One event per plan PLM would add or change, naming the fields that change."""
    return [
        Event(Level.INFO, PLAN_NEW, f"plan {name} is new in PLM", product_id, subject=name)
        for name in diff.new
    ] + [
        Event(
            Level.INFO,
            PLAN_CHANGED,
            f"plan {plan.name} changes in PLM: {'; '.join(plan.fields[:12])}"
            + (f"; and {len(plan.fields) - 12} more" if len(plan.fields) > 12 else ""),  # noqa: PLR2004
            product_id,
            subject=plan.name,
        )
        for plan in diff.changed
    ]

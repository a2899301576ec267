"""Promotion from a staging hub: only what staging holds as applied and verified goes on.

`push --changed --promote-from STAGING_URL` sends a line to the hub configured now only when
the staging hub (same credentials and app id, another controller URL) received this very
content of the line (its memory of pushes: recorded only after the task succeeded and the hub
read back as pushed), still reads back equal to it now, and holds each marketplace's prices
as they are. Otherwise the line is held back with the reason (`commerce_promotion_held`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from plm_sync.commerce.client import CommerceClient
from plm_sync.commerce.readback import compare
from plm_sync.config import Settings
from plm_sync.delivery.price_rows import price_digest, priced_marketplaces
from plm_sync.domain.events import (
    PROMOTION_HELD,
    Event,
    Level,
)
from plm_sync.domain.rules import PlmRules
from plm_sync.errors import CommerceApiError, CommerceError, CommerceRefusedError
from plm_sync.ppr.export import workbook_bytes
from plm_sync.runs.runlog import RunLog
from plm_sync.store.database import unit_of_work
from plm_sync.store.pushes import PushRepository


class Promotion:
    """Asks the staging hub whether a line may go on to the hub configured now."""

    def __init__(
        self,
        settings: Settings,
        staging_url: str,
        runlog: RunLog,
        rules: PlmRules,
        units: Sequence[str],
    ) -> None:
        self.client = CommerceClient.from_settings(
            settings.with_overrides(commerce_url=staging_url)
        )
        self.hub = self.client.hub
        self.runlog = runlog
        self.rules = rules
        self.units = units

    def close(self) -> None:
        """Release the staging client's connections."""
        self.client.close()

    def held(self, line: dict[str, Any], content: str, *, prices: bool) -> str | None:
        """Why the line may not be promoted now (None: staging holds it as it is)."""
        return self._received(line, content, prices=prices) or self._read_back(line)

    def _received(self, line: dict[str, Any], content: str, *, prices: bool) -> str | None:
        """What staging's memory of pushes says it lacks of the line as it is now."""
        product_id = str(line["connect_product_id"])
        with unit_of_work(self.runlog.factory) as session:
            pushes = PushRepository(session)
            stored = pushes.lines(self.hub, (product_id,))
            line_ids = [one.line_id for one in stored]
            memory = (
                pushes.price_memory(self.hub, line_ids).get(line_ids[0], {}) if line_ids else {}
            )
        staged = stored[0] if stored else None
        if staged is None or staged.pushed_hash is None:
            return f"the staging hub {self.hub} never received it"
        if staged.pushed_hash != content:
            return (
                f"the staging hub {self.hub} holds another content of it: push the line there "
                "first (and let it be verified)"
            )
        behind = [
            marketplace_id
            for marketplace_id in priced_marketplaces(line)
            if memory.get(marketplace_id) is None
            or memory[marketplace_id].content != price_digest(line, marketplace_id)
        ]
        if prices and behind:
            return f"the staging hub lacks its prices in {', '.join(behind)} as they are"
        return None

    def _read_back(self, line: dict[str, Any]) -> str | None:
        """Whether staging still reads back as the line (its task succeeded, then edits?)."""
        product_id = str(line["connect_product_id"])
        try:
            parsed = self.client.parse_config(workbook_bytes(line, self.rules, units=self.units))
            held = self.client.download_config(product_id, parsed.get("serviceTemplateId"))
        except (CommerceApiError, CommerceRefusedError) as error:
            return f"the staging hub could not be read back ({error}): nothing verified"
        except CommerceError as error:
            return f"the staging hub did not answer the read back ({error})"
        diff = compare(parsed.get("excelConfig"), held)
        if diff.equal:
            return None
        return (
            f"the staging hub no longer reads back as pushed ({diff.summary()}"
            + (f": {diff.details(3)}" if diff.changed else "")
            + "): `plm-sync drift --hub` it"
        )


def held_event(product_id: str, staging_hub: str, why: str) -> Event:
    """The warning of a line held back from promotion."""
    return Event(
        Level.WARNING,
        PROMOTION_HELD,
        f"{product_id} was not promoted from {staging_hub}: {why}; nothing was sent",
        product_id,
    )

"""What a hub received of a line's workbook, as digests: compared before anything is built."""

from __future__ import annotations

import json
from typing import Any

from plm_sync.delivery.request import PRICE_KEYS
from plm_sync.domain.digests import content_hash, legacy_hash
from plm_sync.domain.rules import PlmRules
from plm_sync.store.pushes import PushedLine


def line_content_hash(line: dict[str, Any], rules: PlmRules) -> str:
    """The digest of what a push of the line's workbook delivers: its catalog and rules.

    The line's prices are left out: they go through the price wizard, remembered per
    marketplace.
    """
    workbook = {key: value for key, value in line.items() if key not in PRICE_KEYS}
    return content_hash({"line": workbook, "rules": rules})


def catalog_key(pushed: PushedLine, rules: PlmRules) -> str | None:
    """One digest of what the line's workbook is built from, read with the line alone.

    Its catalog digest (all its rows), its own values and the PLM rules; None for a line
    stored before catalog digests were kept. Equal to the key a hub last received, the
    workbook is unchanged without building it.
    """
    if not pushed.catalog or pushed.catalog[0] is None:
        return None
    return content_hash({"catalog": list(pushed.catalog), "active": pushed.active, "rules": rules})


def pushed_as(line: dict[str, Any], rules: PlmRules, stored: PushedLine) -> str | None:
    """The line's digest when it is what was last pushed to the hub, else None.

    A digest stored in version 1 (before 0010: blake2b of a `repr`) is recognised too; the
    caller then keeps the current digest in its place.
    """
    content = line_content_hash(line, rules)
    if stored.pushed_hash == content:
        return content
    if stored.pushed_digest_version == 1 and stored.pushed_hash == legacy_hash(
        repr([json.dumps(line, sort_keys=True, default=str), repr(rules)])
    ):
        return content
    return None

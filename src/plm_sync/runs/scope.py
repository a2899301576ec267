"""What a run may be narrowed to: Connect product ids, checked before any run is recorded."""

from __future__ import annotations

import re

from plm_sync.errors import UsageError

_PRODUCT_ID = re.compile(r"PRD-\d+(?:-\d+)*")


def check_product_id(product_id: str) -> str:
    """A Connect product id like PRD-276-377-545, or UsageError before any run is recorded."""
    if not _PRODUCT_ID.fullmatch(product_id):
        raise UsageError(
            f"{product_id!r} is not a Connect product id; they look like PRD-276-377-545"
        )
    return product_id

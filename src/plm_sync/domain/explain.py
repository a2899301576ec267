"""How one item would be transformed, and why: the data behind `plm-sync explain`."""

from __future__ import annotations

from typing import Any

from plm_sync.domain.grouping import plan_name
from plm_sync.domain.mpn import ParsedMpn, parse_mpn
from plm_sync.domain.names import strip_name_suffix
from plm_sync.domain.rules import PlmRules


def explain_mpn(mpn: str, name: str | None, rules: PlmRules) -> dict[str, Any]:
    """Parse `mpn` (and `name`, when given) as the sync would and say what comes out.

    Keys: `mpn`, `as_is`, `reason` (None unless as is), `detail`, `vendor_product_id`,
    `commitment` and `billing` (`{"duration", "unit"}`; billing None for a trial), `trial`,
    `name` (stripped of its suffix) and `plan_name`. As-is items keep MPN and name unchanged;
    their periods come from the Connect item, so they are None here.
    """
    parsed = parse_mpn(mpn, rules.vocabulary)
    if not isinstance(parsed, ParsedMpn):
        as_is_name = name.strip() if name and name.strip() else None
        return {
            "mpn": parsed.mpn,
            "as_is": True,
            "reason": parsed.reason.value,
            "detail": parsed.detail,
            "vendor_product_id": None,
            "commitment": None,
            "billing": None,
            "trial": None,
            "name": as_is_name,
            "plan_name": as_is_name,
        }
    stripped = strip_name_suffix(name) if name and name.strip() else None
    base = stripped if stripped is not None else parsed.vendor_product_id
    return {
        "mpn": parsed.mpn,
        "as_is": False,
        "reason": None,
        "detail": (
            f"vendor product id {parsed.vendor_product_id!r}, commitment "
            f"{parsed.commitment.term()}, billing {parsed.billing_word!r}"
            + (" (trial)" if parsed.is_trial else "")
        ),
        "vendor_product_id": parsed.vendor_product_id,
        "commitment": parsed.commitment.as_dict(),
        "billing": parsed.billing.as_dict() if parsed.billing else None,
        "trial": parsed.is_trial,
        "name": stripped,
        "plan_name": plan_name(rules, base, parsed.vendor_product_id, parsed.billing),
    }

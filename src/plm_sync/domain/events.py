"""Item-level findings of a run: values with a level and a stable code, never exceptions.

Every event code plm-sync records is named here, and only here: the sync's, the push's,
the prices', promotion's and drift's (reports, alerts and metrics read them by these names).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from plm_sync.domain import text


class Level(StrEnum):
    """How much an event matters: errors make the run end with exit code 3."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Event:
    """One finding, tied to the Connect product/item and MPN it concerns."""

    level: Level
    code: str
    message: str
    connect_product_id: str | None = None
    connect_item_id: str | None = None
    mpn: str | None = None
    subject: str | None = None  # the plan or switch path a change event is about

    @classmethod
    def from_dict(cls, data: dict[str, str | None]) -> Event:
        """Inverse of `as_dict`."""
        return cls(
            Level(str(data["level"])),
            str(data["code"]),
            str(data["message"]),
            data.get("connect_product_id"),
            data.get("connect_item_id"),
            data.get("mpn"),
            data.get("subject"),
        )

    def as_row(self) -> dict[str, str | None]:
        """What the run log stores: the report's shape and the change's subject."""
        subject = self.subject
        return self.as_dict() | {"subject": None if subject is None else text.message_text(subject)}

    def as_dict(self) -> dict[str, str | None]:
        """The JSON shape of run reports (and of a line's stored findings).

        What came from Connect fits the run log's columns whatever Connect sent: an over-long
        or control-laden id or MPN (the reason of an `item_invalid`) is cleaned and cut.
        """
        return {
            "level": self.level.value,
            "code": self.code,
            "connect_product_id": text.clipped(self.connect_product_id, text.ID_MAX),
            "connect_item_id": text.clipped(self.connect_item_id, text.ID_MAX),
            "mpn": text.clipped(self.mpn, text.MPN_MAX),
            "message": text.message_text(self.message),
        }


# Stable event codes (snake_case). As-is reasons add `mpn_no_suffix`, `mpn_bad_term`, ...
RESOURCE_NAME_CONFLICT = "resource_name_conflict"
DUPLICATE_PERIOD = "duplicate_period"
PERIOD_MISMATCH = "period_mismatch"
PLAN_NAME_CONFLICT = "plan_name_conflict"
AS_IS_MPN_COLLISION = "as_is_mpn_collision"
ITEM_NO_MPN = "item_no_mpn"
ITEM_NO_RECURRING_PERIOD = "item_no_recurring_period"
# Offers (plans follow a Connect offer) and plan switches.
OFFER_PLANS_USED = "offer_plans_used"
OFFER_IGNORED = "offer_ignored"
OFFER_UNKNOWN_PLAN = "offer_unknown_plan"
OFFER_UNKNOWN_ITEM = "offer_unknown_item"
OFFER_DUPLICATE_VALUE = "offer_duplicate_value"
OFFER_PERIOD_MISMATCH = "offer_period_mismatch"
OFFER_PERIOD_NOT_IN_PLAN = "offer_period_not_in_plan"
OFFER_PLAN_EMPTY = "offer_plan_empty"
OFFER_CONSTRAINT_CONFLICT = "offer_constraint_conflict"
OFFER_RATE_PERIOD_MISSING = "offer_rate_period_missing"
OFFER_ITEM_NOT_IN_PLAN = "offer_item_not_in_plan"
SWITCH_INVALID = "switch_invalid"
SWITCH_PRESET_DEFAULTS = "switch_preset_defaults"
SWITCH_NO_COMMON_BILLING = "switch_no_common_billing"
# Reading Connect
ITEM_INVALID = "item_invalid"
PRODUCT_INVALID = "product_invalid"
PRODUCT_NOT_FOUND = "product_not_found"
PRODUCT_FETCH_FAILED = "product_fetch_failed"
CONNECT_AUTH = "connect_auth"  # Connect refused the API key: the run failed (exit 2)
COMMERCE_AUTH = "commerce_auth"  # Commerce refused the credentials or a service: failed
OFFER_FETCH_FAILED = "offer_fetch_failed"
OFFER_INVALID = "offer_invalid"
TEXT_CLEANED = "text_cleaned"  # control characters removed from a name where it was read
LISTING_DUPLICATE = "listing_duplicate"  # one id twice in one Connect listing
LINE_WRITE_FAILED = "line_write_failed"  # the database refused a line: left as it was
# Marketplaces and prices
MARKETPLACE_ADDED = "marketplace_added"
MARKETPLACE_REMOVED = "marketplace_removed"
PRICE_CREATED = "price_created"
PRICE_CHANGED = "price_changed"
PRICE_REMOVED = "price_removed"
PRICE_UNKNOWN_MPN = "price_unknown_mpn"
PRICE_MISSING = "price_missing"
PRICE_CURRENCY_MISMATCH = "price_currency_mismatch"
PRICE_BELOW_COST = "price_below_cost"
PRICE_ZERO = "price_zero"  # a price of 0: braked like any change
PRICE_ROW_REFUSED = "price_row_refused"  # negative or out of bounds: the stored price stays
PRICE_FILE_INVALID = "price_file_invalid"
PRICE_CHANGE_LIMIT = "price_change_limit"
PRICE_SOURCE_NONE = "price_source_none"
PRICE_FETCH_FAILED = "price_fetch_failed"
# Operator overrides from a PLM workbook
OVERRIDE_SET = "override_set"
OVERRIDE_CLEARED = "override_cleared"
# The run as a whole
DEACTIVATION_LIMIT = "deactivation_limit"
PRODUCT_LINE_DEACTIVATED = "product_line_deactivated"
# Add-ons and end-of-sale replacements
ADDON_ATTACHED = "addon_attached"
ADDON_PERIOD_MISSING = "addon_period_missing"
ADDON_BASE_MISSING = "addon_base_missing"
REPLACEMENT_UNKNOWN = "replacement_unknown"
REPLACEMENT_NO_PLAN = "replacement_no_plan"
# Delivery to Commerce: a line's push, its plan and its proof
APPLIED = "commerce_applied"
UNCHANGED = "commerce_unchanged"
WOULD_APPLY = "commerce_dry_run"
PLAN_NEW = "commerce_plan_new"
PLAN_CHANGED = "commerce_plan_changed"
TASK_FAILED = "commerce_task_failed"
TASK_TIMEOUT = "commerce_task_timeout"
NOT_INSTALLED = "commerce_not_installed"
UPDATE_AVAILABLE = "commerce_update_available"
UPGRADED = "commerce_product_upgraded"
PARSE_FAILED = "commerce_parse_failed"
PUSH_FAILED = "commerce_push_failed"
UNKNOWN_OUTCOME = "commerce_unknown_outcome"
CONVERGED = "commerce_converged"  # an earlier push cut off: PLM held the content already
NOT_CLEAN = "commerce_line_not_clean"
NO_LINE = "commerce_no_line"
NOT_PUSHED = "commerce_line_not_pushed"  # --prices-only of a line this hub never received
NOT_AS_PUSHED = "commerce_not_as_pushed"  # applied, but the hub read back differs
PLAN_STALE = "commerce_plan_stale"  # approved, but the line changed since the plan
PLANNED = "commerce_planned"  # a line a change plan would change
READBACK_PARTIAL = "commerce_readback_partial"  # downloadConfig not served: plans only
# Delivery to Commerce: a line's prices
PRICES_APPLIED = "commerce_prices_applied"
PRICES_PROPOSED = "commerce_prices_proposed"
PRICES_CONVERGED = "commerce_prices_converged"
PRICES_FAILED = "commerce_prices_failed"
RESELLER_UNKNOWN = "commerce_reseller_unknown"
PRICES_FORGOTTEN = "commerce_prices_forgotten"
PRICE_NOT_WITHDRAWN = "commerce_price_not_withdrawn"
PRICES_WITHDRAWN = "commerce_prices_withdrawn"
# Promotion from a staging hub
PROMOTION_HELD = "commerce_promotion_held"
# Drift: a hub read back against the catalog
DRIFT_NONE = "drift_none"  # the hub holds the line as the catalog says
DRIFT_PLAN_CHANGED = "drift_plan_changed"
DRIFT_PLAN_MISSING = "drift_plan_missing"
DRIFT_PLAN_EXTRA = "drift_plan_extra"
DRIFT_PRICES = "drift_prices"
DRIFT_NOT_INSTALLED = "drift_not_installed"
DRIFT_READ_FAILED = "drift_read_failed"
DRIFT_NO_LINE = "drift_no_line"
# what became of a line (one per line); plan_new/plan_changed and price codes are not
LINE_OUTCOMES = frozenset(
    {
        APPLIED,
        UNCHANGED,
        WOULD_APPLY,
        TASK_FAILED,
        TASK_TIMEOUT,
        NOT_INSTALLED,
        PARSE_FAILED,
        PUSH_FAILED,
        UNKNOWN_OUTCOME,
        CONVERGED,
        NOT_CLEAN,
        NO_LINE,
        NOT_PUSHED,
        NOT_AS_PUSHED,
        PLAN_STALE,
    }
)

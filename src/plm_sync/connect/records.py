"""Connect JSON into typed records: tolerant of unknown fields, strict about the needed ones."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plm_sync.domain.digests import content_hash
from plm_sync.domain.source import ItemType, SourceItem, SourceProduct


@dataclass(frozen=True)
class InvalidRecord:
    """A row that lacks a field the pipeline needs; becomes an item error, not a crash."""

    kind: str
    id: str | None
    product_id: str | None
    mpn: str | None
    problem: str


class _MissingFieldError(ValueError):
    pass


def _text(raw: dict[str, Any], key: str, *, required: bool = True) -> str:
    value = raw.get(key)
    if value is None:
        if required:
            raise _MissingFieldError(f"field '{key}' is missing")
        return ""
    if not isinstance(value, str):
        raise _MissingFieldError(f"field '{key}' should be text, got {type(value).__name__}")
    return value


def _event_at(raw: dict[str, Any], name: str) -> str | None:
    """`events.<name>.at`, when the row has it (real rows often lack `updated`)."""
    events = raw.get("events")
    if not isinstance(events, dict):
        return None
    event = events.get(name)
    if not isinstance(event, dict):
        return None
    at = event.get("at")
    return at if isinstance(at, str) else None


def _updated_at(raw: dict[str, Any]) -> str | None:
    return _event_at(raw, "updated")


# What tells a product changed: Connect bumps `version` when the vendor publishes a new one,
# stamps some of these events (not always `updated`), and changes the status.
_SIGNALS = ("created", "updated", "published")


def product_signature(raw: dict[str, Any]) -> str:
    """A digest of a product row's change signals.

    Its version, status, name and owner, and the `events.created|updated|published.at`
    stamps it carries.
    """
    owner = raw.get("owner")
    return content_hash(
        [
            raw.get("version"),
            raw.get("status"),
            raw.get("name"),
            owner.get("id") if isinstance(owner, dict) else owner,
            *(_event_at(raw, name) for name in _SIGNALS),
        ]
    )


def parse_product(raw: Any) -> SourceProduct | InvalidRecord:  # noqa: ANN401 - JSON
    """A `dp.ProductVersion` row; needs `id`, `name` and `status`."""
    if not isinstance(raw, dict):
        return InvalidRecord("product", None, None, None, "row is not a JSON object")
    ident = raw.get("id") if isinstance(raw.get("id"), str) else None
    try:
        product_id = _text(raw, "id")
        owner = raw.get("owner")
        vendor = (owner.get("name") or owner.get("id") or "") if isinstance(owner, dict) else ""
        return SourceProduct(
            id=product_id,
            name=_text(raw, "name"),
            vendor=str(vendor),
            status=_text(raw, "status").casefold(),
            updated_at=_updated_at(raw),
            signature=product_signature(raw),
        )
    except _MissingFieldError as problem:
        return InvalidRecord("product", ident, ident, None, str(problem))


def _item_type(raw: dict[str, Any]) -> ItemType:
    value = _text(raw, "type").casefold()
    try:
        return ItemType(value)
    except ValueError:
        raise _MissingFieldError(
            f"field 'type' is {value!r}, expected reservation or ppu"
        ) from None


def _commitment_count(raw: dict[str, Any]) -> int:
    commitment = raw.get("commitment")
    if not isinstance(commitment, dict):
        return 1
    count = commitment.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise _MissingFieldError(
            f"field 'commitment.count' is {count!r}, expected a whole number >= 1"
        )
    return count


def _unit(raw: dict[str, Any]) -> str:
    unit = raw.get("unit")
    if isinstance(unit, dict):
        for key in ("title", "name", "unit", "id"):
            value = unit.get(key)
            if isinstance(value, str) and value:
                return value
    if isinstance(unit, str) and unit:
        return unit
    return "unit"


def parse_item(raw: Any, product_id: str) -> SourceItem | InvalidRecord:  # noqa: ANN401 - JSON
    """A `dp.UIItem` row; needs `id`, `mpn`, `type` and `status`.

    `name` falls back to `display_name`; `period` is read case-insensitively; a missing
    `commitment` means none (count 1); the unit is the unit's title, name, or id; `parent`
    and `replacement` (item references) give their ids.
    """
    if not isinstance(raw, dict):
        return InvalidRecord("item", None, product_id, None, "row is not a JSON object")
    ident = raw.get("id") if isinstance(raw.get("id"), str) else None
    mpn = raw.get("mpn") if isinstance(raw.get("mpn"), str) else None
    try:
        name = _text(raw, "name", required=False) or _text(raw, "display_name", required=False)
        return SourceItem(
            id=_text(raw, "id"),
            product_id=product_id,
            name=name,
            mpn=_text(raw, "mpn"),
            type=_item_type(raw),
            period=_text(raw, "period", required=False).casefold(),
            commitment_count=_commitment_count(raw),
            unit=_unit(raw),
            status=_text(raw, "status").casefold(),
            updated_at=_updated_at(raw),
            parent_id=_reference(raw, "parent"),
            replacement_id=_reference(raw, "replacement"),
        )
    except _MissingFieldError as problem:
        return InvalidRecord("item", ident, product_id, mpn, str(problem))


def _reference(raw: dict[str, Any], key: str) -> str | None:
    """The id of an item reference (`parent`, `replacement`: `{id, name, status}`), if any."""
    value = raw.get(key)
    if isinstance(value, dict) and isinstance(value.get("id"), str) and value["id"].strip():
        return str(value["id"]).strip()
    return None

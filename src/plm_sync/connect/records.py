"""Connect JSON into typed records: tolerant of unknown fields, strict about the needed ones."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plm_sync.domain import text
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


@dataclass(frozen=True)
class DuplicateRecord:
    """An id a listing served twice (on two reads in a row): the row is taken once."""

    kind: str
    id: str
    product_id: str | None


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


def _identifier(raw: dict[str, Any], key: str, limit: int, *, required: bool = True) -> str:
    """An identifier field (id, MPN, status, period): refused, never changed, when unfit."""
    value = _text(raw, key, required=required)
    problem = text.identifier_problem(key, value, limit)
    if problem is not None:
        raise _MissingFieldError(problem)
    return value


class _Prose:
    """Reads free-text fields (names, units): controls removed and noted, length checked."""

    def __init__(self) -> None:
        self.cleaned: list[str] = []

    def __call__(self, key: str, value: str, limit: int) -> str:
        clean = text.clean_text(value)
        if clean != value:
            self.cleaned.append(key)
        if len(clean) > limit:
            raise _MissingFieldError(
                f"field '{key}' is {len(clean)} characters long, the limit is {limit}; "
                "shorten it in Connect"
            )
        return clean


def _event_at(raw: dict[str, Any], name: str) -> str | None:
    """`events.<name>.at`, when the row has it (real rows often lack `updated`)."""
    events = raw.get("events")
    if not isinstance(events, dict):
        return None
    event = events.get(name)
    if not isinstance(event, dict):
        return None
    at = event.get("at")
    # a change signal only: one that is not a plain short stamp is as good as none
    fit = isinstance(at, str) and len(at) <= text.STAMP_MAX and not text.has_control(at)
    return at if fit else None


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
    prose = _Prose()
    try:
        product_id = _identifier(raw, "id", text.ID_MAX)
        owner = raw.get("owner")
        vendor = (owner.get("name") or owner.get("id") or "") if isinstance(owner, dict) else ""
        return SourceProduct(
            id=product_id,
            name=prose("name", _text(raw, "name"), text.NAME_MAX),
            vendor=prose("owner.name", str(vendor), text.NAME_MAX),
            status=_identifier(raw, "status", text.SHORT_MAX).casefold(),
            updated_at=_updated_at(raw),
            signature=product_signature(raw),
            vendor_id=_owner_id(owner),
            cleaned=tuple(prose.cleaned),
        )
    except _MissingFieldError as problem:
        return InvalidRecord("product", ident, ident, None, str(problem))


def _owner_id(owner: Any) -> str:  # noqa: ANN401 - JSON
    ident = owner.get("id") if isinstance(owner, dict) else None
    fit = isinstance(ident, str) and len(ident) <= text.ID_MAX and not text.has_control(ident)
    return ident if fit and isinstance(ident, str) else ""


def _item_type(raw: dict[str, Any]) -> ItemType:
    value = _text(raw, "type").casefold()
    try:
        return ItemType(value)
    except ValueError:
        raise _MissingFieldError(
            f"field 'type' is {text.shorten(repr(value), 40)}, expected reservation or ppu"
        ) from None


def _commitment_count(raw: dict[str, Any]) -> int:
    commitment = raw.get("commitment")
    if not isinstance(commitment, dict):
        return 1
    count = commitment.get("count", 1)
    if (
        isinstance(count, bool)
        or not isinstance(count, int)
        or not 1 <= count <= text.COMMITMENT_MAX
    ):
        shown = text.shorten(repr(count), 40)
        raise _MissingFieldError(
            f"field 'commitment.count' is {shown}, expected a whole number from 1 to "
            f"{text.COMMITMENT_MAX}"
        )
    return count


def _unit(raw: dict[str, Any]) -> str:
    unit = raw.get("unit")
    if isinstance(unit, dict):
        for key in ("title", "name", "unit", "id"):
            value = unit.get(key)
            if isinstance(value, str) and text.clean_text(value).strip():
                return value
    if isinstance(unit, str) and text.clean_text(unit).strip():
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
    prose = _Prose()
    try:
        name_key = "name" if _text(raw, "name", required=False) else "display_name"
        return SourceItem(
            id=_identifier(raw, "id", text.ID_MAX),
            product_id=product_id,
            name=prose(name_key, _text(raw, name_key, required=False), text.NAME_MAX),
            mpn=_identifier(raw, "mpn", text.MPN_MAX),
            type=_item_type(raw),
            period=_identifier(raw, "period", text.SHORT_MAX, required=False).casefold(),
            commitment_count=_commitment_count(raw),
            unit=prose("unit", _unit(raw), text.UNIT_MAX),
            status=_identifier(raw, "status", text.SHORT_MAX).casefold(),
            updated_at=_updated_at(raw),
            parent_id=_reference(raw, "parent"),
            replacement_id=_reference(raw, "replacement"),
            cleaned=tuple(prose.cleaned),
        )
    except _MissingFieldError as problem:
        return InvalidRecord("item", ident, product_id, mpn, str(problem))


def _reference(raw: dict[str, Any], key: str) -> str | None:
    """The id of an item reference (`parent`, `replacement`: `{id, name, status}`), if any."""
    value = raw.get(key)
    if isinstance(value, dict) and isinstance(value.get("id"), str) and value["id"].strip():
        ident = str(value["id"]).strip()
        problem = text.identifier_problem(f"{key}.id", ident, text.ID_MAX)
        if problem is not None:
            raise _MissingFieldError(problem)
        return ident
    return None

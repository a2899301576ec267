"""Connect Offers JSON (`offers.*` schemas of the v37 spec) into the domain's offer records.

Tolerant like the product parsers: unknown fields are ignored; a row missing what the rules
need raises OfferRecordError naming the row, which the client turns into a note.
"""

from __future__ import annotations

import json
from typing import Any

from plm_sync.domain import text
from plm_sync.domain.offers import (
    ConnectPreset,
    OfferFeature,
    OfferItemValue,
    OfferPlan,
    OfferSwitch,
)


class OfferRecordError(ValueError):
    """An offer row lacks a field the rules need."""


def _text(raw: dict[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = raw.get(key)
    if value is None or value == "":
        if required:
            raise OfferRecordError(f"{where}: field '{key}' is missing")
        return ""
    if not isinstance(value, str):
        raise OfferRecordError(f"{where}: field '{key}' should be text")
    if key == "id":
        return _checked_id(value, key, where)
    return text.clean_text(value)


def _checked_id(value: str, key: str, where: str) -> str:
    problem = text.identifier_problem(key, value, text.ID_MAX)
    if problem is not None:
        raise OfferRecordError(f"{where}: {problem}")
    return value


def _row(raw: Any, where: str) -> dict[str, Any]:  # noqa: ANN401 - JSON
    if not isinstance(raw, dict):
        raise OfferRecordError(f"{where}: row is not a JSON object")
    return raw


def _ref_id(raw: dict[str, Any], key: str, where: str) -> str:
    """`{"id": ...}` objects or plain ids (the spec has both shapes)."""
    value = raw.get(key)
    if isinstance(value, dict):
        value = value.get("id")
    if not isinstance(value, str) or not value:
        raise OfferRecordError(f"{where}: field '{key}' has no id")
    return _checked_id(value, f"{key}.id", where)


def _position(raw: dict[str, Any]) -> int:
    value = raw.get("position")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _words(raw: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = raw.get(key) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(word, str) for word in value):
        raise OfferRecordError(f"{where}: field '{key}' should be a list of texts")
    return tuple(word.strip().casefold() for word in value if word.strip())


def updated_at(raw: dict[str, Any]) -> str | None:
    """`events.updated.at`, when present."""
    events = raw.get("events")
    updated = events.get("updated") if isinstance(events, dict) else None
    at = updated.get("at") if isinstance(updated, dict) else None
    fit = isinstance(at, str) and len(at) <= text.STAMP_MAX and not text.has_control(at)
    return at if fit else None


def parse_offer_header(raw: Any) -> tuple[str, str, str, str | None]:  # noqa: ANN401 - JSON
    """An `offers.Offer` row: (id, name, status, updated at)."""
    row = _row(raw, "offer")
    ident = _text(row, "id", "offer")
    where = f"offer {ident}"
    return (
        ident,
        _text(row, "name", where, required=False) or ident,
        _text(row, "status", where).casefold(),
        updated_at(row),
    )


def parse_plan(raw: Any) -> OfferPlan:  # noqa: ANN401 - JSON
    """An `offers.Plan` row; `periods` and `commitments` are kept as lower-case words."""
    row = _row(raw, "plan")
    ident = _text(row, "id", "plan")
    where = f"plan {ident}"
    return OfferPlan(
        id=ident,
        name=_text(row, "name", where),
        periods=_words(row, "periods", where),
        commitments=_words(row, "commitments", where),
        description=_text(row, "description", where, required=False),
        position=_position(row),
    )


def _constraint(raw: dict[str, Any], where: str) -> tuple[int | None, int | None]:
    constraint = raw.get("constraint")
    if constraint is None:
        return None, None
    if not isinstance(constraint, dict):
        raise OfferRecordError(f"{where}: 'constraint' should be an object")
    low, high = constraint.get("min"), constraint.get("max")
    if isinstance(low, bool) or not isinstance(low, int) or low < 0:
        raise OfferRecordError(f"{where}: constraint.min should be a whole number >= 0")
    if high is None:
        return low, -1
    if isinstance(high, bool) or not isinstance(high, int) or high < max(low, 1):
        raise OfferRecordError(f"{where}: constraint.max should be a whole number >= min")
    return low, high


def _values_of(row: dict[str, Any], where: str) -> list[Any]:
    """The per-plan values of an offer item (`plans`, or `values`; JSON text tolerated)."""
    values = row.get("plans", row.get("values"))
    if isinstance(values, str):  # v37 types `plans` as a string: accept JSON text
        try:
            values = json.loads(values)
        except ValueError:
            raise OfferRecordError(f"{where}: 'plans' is not a list of plan values") from None
    if values is None:
        return []
    if not isinstance(values, list):
        raise OfferRecordError(f"{where}: 'plans' is not a list of plan values")
    return values


def parse_offer_item(raw: Any) -> list[OfferItemValue]:  # noqa: ANN401 - JSON
    """An `offers.OfferItem` row with its per-plan `offers.OfferItemValue`s."""
    row = _row(raw, "offer item")
    ident = _text(row, "id", "offer item")
    found = []
    for index, value in enumerate(_values_of(row, f"offer item {ident}")):
        where = f"offer item {ident} value {index + 1}"
        entry = _row(value, where)
        low, high = _constraint(entry, where)
        found.append(
            OfferItemValue(
                plan_id=_ref_id(entry, "plan", where),
                item_id=_ref_id(entry, "item", where),
                period=_text(entry, "period", where).casefold(),
                min_units=low,
                max_units=high,
            )
        )
    return found


def parse_group(raw: Any) -> tuple[str, str, int]:  # noqa: ANN401 - JSON
    """An `offers.FeaturesGroup` row: (id, name, position)."""
    row = _row(raw, "feature group")
    ident = _text(row, "id", "feature group")
    return ident, _text(row, "name", f"feature group {ident}"), _position(row)


def parse_feature(raw: Any, groups: dict[str, tuple[str, int]]) -> OfferFeature:  # noqa: ANN401
    """An `offers.Feature` row; its group's name and position come from `groups` if absent."""
    row = _row(raw, "feature")
    ident = _text(row, "id", "feature")
    where = f"feature {ident}"
    group_raw = row.get("group")
    group_id = _ref_id(row, "group", where)
    name, position = groups.get(group_id, ("", 0))
    if isinstance(group_raw, dict):
        given = group_raw.get("name")
        name = text.clean_text(given) if isinstance(given, str) and given else name
        position = _position(group_raw) or position
    values = []
    for index, value in enumerate(row.get("plans") or []):
        entry = _row(value, f"{where} plan value {index + 1}")
        value_text = entry.get("value")
        values.append(
            (
                _ref_id(entry, "id", where),
                "" if value_text is None else text.clean_text(str(value_text)),
            )
        )
    return OfferFeature(
        id=ident,
        name=_text(row, "name", where),
        group=name or group_id,
        values=tuple(values),
        group_position=position,
        position=_position(row),
    )


def parse_switch(raw: Any) -> OfferSwitch:  # noqa: ANN401 - JSON
    """An `offers.Switch` row: one-way `from` -> `to`, `type`, `preset`, `status`."""
    row = _row(raw, "switch")
    ident = _text(row, "id", "switch")
    where = f"switch {ident}"
    preset = row.get("preset")
    preset_name = preset.get("name") if isinstance(preset, dict) else None
    return OfferSwitch(
        id=ident,
        operation=_text(row, "type", where).casefold(),
        source_plan_id=_ref_id(row, "from", where),
        target_plan_id=_ref_id(row, "to", where),
        preset_id=_ref_id(row, "preset", where),
        preset_name=text.clean_text(preset_name) if isinstance(preset_name, str) else "",
        active=_text(row, "status", where, required=False).casefold() != "endofsale",
    )


def parse_preset(raw: Any) -> ConnectPreset:  # noqa: ANN401 - JSON
    """An `offers.PresetCreate` row (type `switch`): id and name."""
    row = _row(raw, "preset")
    ident = _text(row, "id", "preset")
    return ConnectPreset(ident, _text(row, "name", f"preset {ident}", required=False) or ident)

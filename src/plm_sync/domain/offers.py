"""Connect Offers as the rules read them: plans, per-plan item values, features and switches."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from plm_sync.domain.periods import Period, Unit, parse_connect_period, parse_term

# Offer statuses whose plans are sold (Connect filters offers by private | ready | listed).
PUBLISHED_OFFER_STATUSES = frozenset({"ready", "listed", "published"})
SWITCH_OPERATIONS = ("upgrade", "downgrade", "change", "eos")
_COMMITMENT = re.compile(r"(?:p)?([1-9][0-9]{0,3})\s*([dmy])", re.IGNORECASE)
_WORD_COMMITMENTS = {"monthly": Period(1, Unit.MONTH), "yearly": Period(1, Unit.YEAR)}


def parse_commitment(text: str) -> Period | None:
    """An offer plan's commitment as a period; None when it is not one.

    Accepted (case-insensitive): ISO terms `P1Y`, short forms `1y`, `36m`, `7d`, Connect
    period words `monthly`, `yearly`, `years_N`. Anything else is None.
    """
    cleaned = text.strip()
    term = parse_term(cleaned.upper())
    if term is not None:
        return term
    word = cleaned.casefold()
    if word in _WORD_COMMITMENTS:
        return _WORD_COMMITMENTS[word]
    connect = parse_connect_period(word)
    if connect is not None and connect.billing is not None and word.startswith("years_"):
        return connect.billing
    short = _COMMITMENT.fullmatch(cleaned)
    if short is None:
        return None
    letter = short.group(2).upper()
    return parse_term(f"P{short.group(1)}{letter}")


@dataclass(frozen=True)
class OfferPlan:
    """A service level of an offer: its billing periods and commitments (Connect words)."""

    id: str
    name: str
    periods: tuple[str, ...] = ()
    commitments: tuple[str, ...] = ()
    description: str = ""
    position: int = 0


@dataclass(frozen=True)
class OfferItemValue:
    """An item's value in one plan: its period and min/max quantity constraint."""

    plan_id: str
    item_id: str
    period: str
    min_units: int | None = None  # None: no constraint, the rules' defaults apply
    max_units: int | None = None  # -1: no maximum


@dataclass(frozen=True)
class OfferFeature:
    """A feature in a feature group, with its value per plan id."""

    id: str
    name: str
    group: str
    values: tuple[tuple[str, str], ...]
    group_position: int = 0
    position: int = 0


@dataclass(frozen=True)
class OfferSwitch:
    """A one-way path between two plans of the offer, with a preset and an operation."""

    id: str
    operation: str
    source_plan_id: str
    target_plan_id: str
    preset_id: str
    preset_name: str
    active: bool = True


@dataclass(frozen=True)
class ConnectPreset:
    """A Connect switch preset (its business rules live in Connect's attribute form)."""

    id: str
    name: str


@dataclass(frozen=True)
class SourceOffer:
    """One Connect offer of a product, with everything the rules read from it."""

    id: str
    product_id: str
    name: str
    status: str
    plans: tuple[OfferPlan, ...] = ()
    values: tuple[OfferItemValue, ...] = ()
    features: tuple[OfferFeature, ...] = ()
    switches: tuple[OfferSwitch, ...] = ()
    presets: tuple[ConnectPreset, ...] = ()
    updated_at: str | None = None

    @property
    def is_published(self) -> bool:
        """Offers that are ready or listed are sold; private ones are drafts."""
        return self.status in PUBLISHED_OFFER_STATUSES

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON (stored in the snapshot, so a line can be recomputed offline)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SourceOffer:
        """Inverse of `as_dict`."""

        def rows(key: str) -> list[dict[str, Any]]:
            return list(data.get(key) or ())

        return cls(
            id=data["id"],
            product_id=data["product_id"],
            name=data["name"],
            status=data["status"],
            plans=tuple(
                OfferPlan(
                    **{
                        **row,
                        "periods": tuple(row["periods"]),
                        "commitments": tuple(row["commitments"]),
                    }
                )
                for row in rows("plans")
            ),
            values=tuple(OfferItemValue(**row) for row in rows("values")),
            features=tuple(
                OfferFeature(**{**row, "values": tuple(tuple(pair) for pair in row["values"])})
                for row in rows("features")
            ),
            switches=tuple(OfferSwitch(**row) for row in rows("switches")),
            presets=tuple(ConnectPreset(**row) for row in rows("presets")),
            updated_at=data.get("updated_at"),
        )


def choose_offer(offers: list[SourceOffer]) -> tuple[SourceOffer | None, list[str]]:
    """The offer whose plans a product's service plans follow, and notes on the others.

    Rules: only published (ready/listed) offers count; with several, the most recently
    updated wins (then the lowest id), and the others are named in a note.
    """
    published = [offer for offer in offers if offer.is_published]
    if not published:
        return None, []
    ordered = sorted(published, key=lambda offer: offer.id)
    ordered.sort(key=lambda offer: offer.updated_at or "", reverse=True)
    chosen, others = ordered[0], ordered[1:]
    notes = (
        [
            f"product has {len(published)} published offers; plans follow {chosen.id} "
            f"({chosen.name!r}), the most recently updated; ignored: "
            + ", ".join(offer.id for offer in others)
        ]
        if others
        else []
    )
    return chosen, notes

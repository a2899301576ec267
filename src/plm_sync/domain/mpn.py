"""Parsing of flat Connect MPNs `<Vendor_Product_ID>_<Commitment_term>:<Billing_frequency>`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from plm_sync.domain.periods import BillingVocabulary, Period, parse_term


class AsIsReason(StrEnum):
    """Why an MPN is taken as is; the value is what `explain` prints as `reason`."""

    EMPTY = "MPN_EMPTY"
    NO_SUFFIX = "MPN_NO_SUFFIX"
    NO_VENDOR_ID = "MPN_NO_VENDOR_ID"
    BAD_TERM = "MPN_BAD_TERM"
    UNKNOWN_BILLING = "MPN_UNKNOWN_BILLING"

    @property
    def event_code(self) -> str:
        """The stable snake_case event code (`mpn_no_suffix`)."""
        return self.value.lower()


@dataclass(frozen=True)
class ParsedMpn:
    """An MPN that follows the PLM rule, split into its parts."""

    mpn: str
    vendor_product_id: str
    commitment: Period
    billing_word: str
    billing: Period | None

    @property
    def is_trial(self) -> bool:
        """Billing frequency `None` means a trial subscription."""
        return self.billing is None


@dataclass(frozen=True)
class UnparsedMpn:
    """An MPN that does not follow the rule, with the reason and a sentence for people."""

    mpn: str
    reason: AsIsReason
    detail: str


def parse_mpn(mpn: str, vocabulary: BillingVocabulary) -> ParsedMpn | UnparsedMpn:  # noqa: PLR0911 - a return per rule
    """Split a flat MPN into vendor product id, commitment term and billing period.

    Rules:
    - the suffix starts at the **last** `_`; the vendor product id is everything before it
      and may itself contain `_` and `:` (`A_B:0001_P1M:Monthly` -> `A_B:0001`);
    - the suffix is `<term>:<billing>`, split at its first `:`;
    - the term is `PnD|PnM|PnY`, n >= 1 (`MPN_BAD_TERM` otherwise);
    - the billing word is looked up case-insensitively in the vocabulary: `Monthly` = 1 month,
      `Annual` = 1 year, `None` = trial, more from the mappings (`MPN_UNKNOWN_BILLING`);
    - no `_`, or no `:` after the last `_`, is `MPN_NO_SUFFIX`; an empty vendor id is
      `MPN_NO_VENDOR_ID`; an empty or blank MPN is `MPN_EMPTY`.
    Leading and trailing white space is not part of the MPN. Never raises.
    """
    text = mpn.strip()
    if not text:
        return UnparsedMpn(mpn, AsIsReason.EMPTY, "the item has no MPN")
    vendor_id, underscore, suffix = text.rpartition("_")
    if not underscore:
        return UnparsedMpn(
            text, AsIsReason.NO_SUFFIX, "no '_<term>:<billing>' suffix (there is no '_')"
        )
    term_text, colon, billing_text = suffix.partition(":")
    if not colon:
        return UnparsedMpn(
            text,
            AsIsReason.NO_SUFFIX,
            f"the part after the last '_' ({suffix!r}) is not '<term>:<billing>'",
        )
    if not vendor_id:
        return UnparsedMpn(text, AsIsReason.NO_VENDOR_ID, "nothing before the '_' suffix")
    commitment = parse_term(term_text)
    if commitment is None:
        return UnparsedMpn(
            text,
            AsIsReason.BAD_TERM,
            f"commitment term {term_text!r} is not PnD, PnM or PnY with n >= 1",
        )
    billing = vocabulary.lookup(billing_text)
    if billing is None:
        known = ", ".join(entry.word for entry in vocabulary.words)
        return UnparsedMpn(
            text,
            AsIsReason.UNKNOWN_BILLING,
            f"billing frequency {billing_text!r} is not one of {known}"
            " (add it to the billing vocabulary in mappings/plm.yaml)",
        )
    return ParsedMpn(text, vendor_id, commitment, billing_text, billing.period)

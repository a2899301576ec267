"""MPN parsing: the PLM documentation's examples, edge cases, and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plm_sync.domain.mpn import AsIsReason, ParsedMpn, UnparsedMpn, parse_mpn
from plm_sync.domain.periods import (
    BillingVocabulary,
    BillingWord,
    Period,
    Unit,
    default_vocabulary,
    parse_term,
)

MONTH = Period(1, Unit.MONTH)
YEAR = Period(1, Unit.YEAR)
VOCABULARY = BillingVocabulary(
    (*default_vocabulary().words, BillingWord("Triennial", Period(3, Unit.YEAR), "NCE COM TRI")),
    "NCE COM TRIAL",
)


def format_mpn(vendor_product_id: str, commitment: Period, billing_word: str) -> str:
    """The flat MPN for a vendor product id, commitment term and billing word (the inverse)."""
    return f"{vendor_product_id}_{commitment.term()}:{billing_word}"


@pytest.mark.parametrize(
    ("mpn", "vendor_id", "commitment", "billing"),
    [
        pytest.param(
            "CFQ7TTC0HDK0:0001_P1M:Monthly", "CFQ7TTC0HDK0:0001", MONTH, MONTH, id="plm-doc-example"
        ),
        pytest.param("DG7GMGF0GJC2:0003_P1Y:Annual", "DG7GMGF0GJC2:0003", YEAR, YEAR, id="annual"),
        pytest.param(
            "CFQ7TTC0LH18:0001_P1Y:Monthly",
            "CFQ7TTC0LH18:0001",
            YEAR,
            MONTH,
            id="yearly-commitment-monthly-billing",
        ),
        pytest.param("CFQ7TTC0LF8R:0008_P1M:None", "CFQ7TTC0LF8R:0008", MONTH, None, id="trial"),
        pytest.param(
            "X:1_P3Y:Triennial",
            "X:1",
            Period(3, Unit.YEAR),
            Period(3, Unit.YEAR),
            id="vocabulary-from-mappings",
        ),
        pytest.param(
            "CFQ7_TTC:0001_P15D:monthly",
            "CFQ7_TTC:0001",
            Period(15, Unit.DAY),
            MONTH,
            id="vendor-id-with-underscore-and-colon-billing-lowercase",
        ),
        pytest.param("A_P6M:ANNUAL", "A", Period(6, Unit.MONTH), YEAR, id="billing-uppercase"),
        pytest.param("  A_P1M:Monthly \n", "A", MONTH, MONTH, id="surrounding-space-trimmed"),
        pytest.param("A__P1M:Monthly", "A_", MONTH, MONTH, id="double-underscore"),
    ],
)
def test_parse_mpn_splits_valid_mpns(
    mpn: str, vendor_id: str, commitment: Period, billing: Period | None
) -> None:
    parsed = parse_mpn(mpn, VOCABULARY)
    assert isinstance(parsed, ParsedMpn)
    assert parsed.vendor_product_id == vendor_id
    assert parsed.commitment == commitment
    assert parsed.billing == billing
    assert parsed.is_trial is (billing is None)


@pytest.mark.parametrize(
    ("mpn", "reason"),
    [
        pytest.param("", AsIsReason.EMPTY, id="empty"),
        pytest.param("   ", AsIsReason.EMPTY, id="blank"),
        pytest.param("MPN-R-001", AsIsReason.NO_SUFFIX, id="no-underscore"),
        pytest.param("CFQ7TTC0LFLX:0001_ANNUAL", AsIsReason.NO_SUFFIX, id="real-nce-annual"),
        pytest.param("_P1M:Monthly", AsIsReason.NO_VENDOR_ID, id="no-vendor-id"),
        pytest.param("A_P0M:Monthly", AsIsReason.BAD_TERM, id="zero-term"),
        pytest.param("A_P1W:Monthly", AsIsReason.BAD_TERM, id="weeks"),
        pytest.param("A_1M:Monthly", AsIsReason.BAD_TERM, id="no-P"),
        pytest.param("A_p1m:Monthly", AsIsReason.BAD_TERM, id="term-lowercase"),
        pytest.param("A_P01M:Monthly", AsIsReason.BAD_TERM, id="leading-zero"),
        pytest.param("A_P1M:", AsIsReason.UNKNOWN_BILLING, id="empty-billing"),
        pytest.param("A_P1M:Quarterly", AsIsReason.UNKNOWN_BILLING, id="unknown-billing"),
        pytest.param("A_P1M:Monthly_", AsIsReason.NO_SUFFIX, id="trailing-underscore"),
    ],
)
def test_parse_mpn_falls_back_as_is_with_reason(mpn: str, reason: AsIsReason) -> None:
    parsed = parse_mpn(mpn, VOCABULARY)
    assert isinstance(parsed, UnparsedMpn)
    assert parsed.reason is reason
    assert parsed.detail


def test_triennial_is_unknown_without_the_mappings() -> None:
    parsed = parse_mpn("A_P3Y:Triennial", default_vocabulary())
    assert isinstance(parsed, UnparsedMpn)
    assert parsed.reason is AsIsReason.UNKNOWN_BILLING
    assert "mappings" in parsed.detail


def test_reason_event_codes_are_snake_case() -> None:
    assert AsIsReason.NO_SUFFIX.event_code == "mpn_no_suffix"


@pytest.mark.parametrize(
    ("term", "period"),
    [
        pytest.param("P1M", MONTH, id="P1M"),
        pytest.param("P15D", Period(15, Unit.DAY), id="P15D"),
        pytest.param("P3Y", Period(3, Unit.YEAR), id="P3Y"),
        pytest.param("P9999Y", Period(9999, Unit.YEAR), id="largest"),
        pytest.param("P10000Y", None, id="too-large"),
        pytest.param("P-1M", None, id="negative"),
        pytest.param("P1.5M", None, id="fraction"),
        pytest.param("P1MT", None, id="trailing"),
    ],
)
def test_parse_term(term: str, period: Period | None) -> None:
    assert parse_term(term) == period


@given(st.text())
def test_parse_mpn_never_raises(text: str) -> None:
    parsed = parse_mpn(text, VOCABULARY)
    assert isinstance(parsed, ParsedMpn | UnparsedMpn)


vendor_ids = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Zs", "Cc"), blacklist_characters="\x85"),
    min_size=1,
    max_size=30,
).filter(lambda text: text == text.strip())
periods = st.builds(Period, st.integers(1, 9999), st.sampled_from(list(Unit)))
words = st.sampled_from([entry.word for entry in VOCABULARY.words])


@given(vendor_ids, periods, words)
def test_every_formatted_mpn_parses_back(vendor_id: str, commitment: Period, word: str) -> None:
    mpn = format_mpn(vendor_id, commitment, word)
    parsed = parse_mpn(mpn, VOCABULARY)
    assert isinstance(parsed, ParsedMpn)
    assert (parsed.vendor_product_id, parsed.commitment, parsed.billing_word) == (
        vendor_id,
        commitment,
        word,
    )
    assert format_mpn(parsed.vendor_product_id, parsed.commitment, parsed.billing_word) == mpn

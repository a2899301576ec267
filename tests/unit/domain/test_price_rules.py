"""The price rules of `domain/prices.py`: reading, bounds, matching, diffs and the brake."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plm_sync.domain import events as codes
from plm_sync.domain import price_changes, price_checks, price_files
from plm_sync.domain.prices import Formula, Marketplace, PricedItem, PriceFile, PriceRow, RawPrice

USD = Marketplace("MP-1", "US", "USD")
ITEMS = [
    PricedItem("SKU:0001_P1M:Monthly", "SKU:0001", "1 month", "1 month"),
    PricedItem("SKU:0001_P1Y:Annual", "SKU:0001", "1 year", "1 year"),
    PricedItem("SKU:0001_P1Y:Monthly", "SKU:0001", "1 month", "1 year"),
]
HEADER = [
    "MPN",
    "Billing Period",
    "Subscription Period",
    "Effective Date",
    "Cost Currency",
    "Cost",
    "Price Currency",
    "Price",
    "MSRP",
]


def table(*rows: list[object]) -> list[list[object]]:
    return [HEADER, *rows]


def row(mpn: str = "SKU:0001_P1M:Monthly", cost: object = 10, price: object = 12.5) -> list[object]:
    return [mpn, "1 month", "1 month", "2026-11-01", "USD", cost, "USD", price, None]


def raw(  # noqa: PLR0917 - a row's cells, defaulted
    number: int = 2,
    mpn: str = "SKU:0001_P1M:Monthly",
    cost: str | None = "10",
    price: str | None = "12.5",
    msrp: str | None = None,
    currency: str = "USD",
) -> RawPrice:
    return RawPrice(
        number,
        mpn,
        "1 month",
        "1 month",
        None if cost is None else Decimal(cost),
        currency,
        None if price is None else Decimal(price),
        currency,
        None if msrp is None else Decimal(msrp),
        "2026-11-01",
    )


def stored(
    mpn: str = "SKU:0001_P1M:Monthly",
    cost: str = "10",
    price: str = "12.5",
    *,
    scheduled: bool = False,
) -> PriceRow:
    item = next(item for item in ITEMS if item.mpn == mpn)
    return PriceRow(
        mpn,
        item.resource_mpn,
        item.billing_period,
        item.subscription_period,
        Decimal(cost),
        "USD",
        Decimal(price),
        "USD",
        None,
        "2026-11-01",
        scheduled=scheduled,
        source="PRB-1",
    )


# -- reading ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "column"),
    [
        (Formula("=10*1.25"), "Price"),
        (Formula("=A1"), "MPN"),
        (Formula("=TODAY()"), "Effective Date"),
        (Formula('="USD"'), "Price Currency"),
    ],
)
def test_a_formula_in_a_read_cell_refuses_the_file(cell: Formula, column: str) -> None:
    values = row()
    values[HEADER.index(column)] = cell
    found = price_files.read_price_table("PRB-1", table(values, row("SKU:0001_P1Y:Annual")))
    assert found.problems == [
        f"PRB-1: row 2: column {column} holds a formula ({cell.text!r}); type the value itself"
    ]
    assert [r.mpn for r in found.rows] == ["SKU:0001_P1Y:Annual"]


def test_a_formula_in_a_column_not_read_is_ignored() -> None:
    header = [*HEADER, "Margin"]
    found = price_files.read_price_table("PRB-1", [header, [*row(), Formula("=H2-F2")]])
    assert (found.problems, len(found.rows)) == ([], 1)


@pytest.mark.parametrize(
    ("cell", "problem"),
    [
        ("abc", "column Price: 'abc' is not a number"),
        (float("nan"), "column Price: 'nan' is not a number"),
        (float("inf"), "column Price: 'inf' is not a number"),
        ("Infinity", "column Price: 'Infinity' is not a number"),
        (True, "column Price: 'True' is not a number"),
    ],
)
def test_a_price_that_is_not_a_finite_number_refuses_the_file(cell: object, problem: str) -> None:
    found = price_files.read_price_table("PRB-1", table(row(price=cell)))
    assert found.problems == [f"PRB-1: row 2: {problem}"]


@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=4, min_value=-(10**9), max_value=10**9
    )
)
def test_a_decimal_cell_reads_as_the_same_decimal(value: Decimal) -> None:
    found = price_files.read_price_table("PRB-1", table(row(price=str(value))))
    assert found.problems == []
    assert found.rows[0].price == value


@given(
    st.lists(st.one_of(st.none(), st.text(max_size=20), st.floats(), st.integers()), max_size=12)
)
def test_any_row_reads_as_a_price_or_as_problems(values: list[object]) -> None:
    found = price_files.read_price_table("PRB-1", [HEADER, values])
    assert not (found.rows and found.problems)
    for price in found.rows:
        assert price.price is None or price.price.is_finite()


# -- bounds ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("0", None),
        ("12.5", None),
        ("999999999999.99", None),
        ("0.00000001", None),
        ("-12.5", "Price -12.5 is negative"),
        ("-0.01", "Price -0.01 is negative"),
        (
            "1E+400",
            "Price 1E+400 is not below 1,000,000,000,000, the largest amount plm-sync stores",
        ),
        (
            "1e300",
            "Price 1E+300 is not below 1,000,000,000,000, the largest amount plm-sync stores",
        ),
        (
            "1000000000000",
            (
                "Price 1000000000000 is not below 1,000,000,000,000, the largest amount plm-sync "
                "stores"
            ),
        ),
        ("0.000000001", "Price 1E-9 has more than 8 decimal places"),
        (
            "12345678.12345678",
            (
                "Price 12345678.12345678 has more than 15 significant digits, more than the "
                "wizard's file holds exactly"
            ),
        ),
    ],
)
def test_amount_bounds(value: str, problem: str | None) -> None:
    assert price_checks.amount_problem("Price", Decimal(value)) == problem


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_an_accepted_amount_fits_the_column_and_the_wizards_file(value: Decimal) -> None:
    if price_checks.amount_problem("Price", value) is None:
        text = format(value.normalize(), "f")
        assert len(text) <= 32
        assert Decimal(str(float(text))) == Decimal(text)


# -- checked against the catalog -------------------------------------------------------------


def checked(*rows: RawPrice, scheduled: bool = False) -> price_checks.Checked:
    return price_checks.check_prices(
        "PRD-1", USD, [PriceFile("PRB-1", list(rows), scheduled=scheduled)], ITEMS
    )


def of(found: price_checks.Checked, code: str) -> list[str]:
    return [event.message for event in found.events if event.code == code]


@pytest.mark.parametrize(
    ("amounts", "named"),
    [
        ({"price": "-12.5"}, "Price -12.5 is negative"),
        ({"cost": "-1"}, "Cost -1 is negative"),
        ({"msrp": "-3"}, "MSRP -3 is negative"),
        ({"price": "1E+400"}, "Price 1E+400 is not below"),
    ],
)
def test_a_negative_or_huge_amount_refuses_the_row_and_keeps_the_stored_price(
    amounts: dict[str, str], named: str
) -> None:
    found = checked(raw(**amounts), raw(3, "SKU:0001_P1Y:Annual"))  # type: ignore[arg-type]
    (message,) = of(found, codes.PRICE_ROW_REFUSED)
    assert named in message
    assert "PRB-1 row 2 (SKU:0001_P1M:Monthly)" in message
    assert "keeps its stored price" in message
    assert [r.mpn for r in found.rows] == ["SKU:0001_P1Y:Annual"]
    assert found.kept == {("SKU:0001_P1M:Monthly", False)}
    changes = price_changes.diff_prices([stored()], found.rows, keep=found.kept)
    assert (changes.removed, changes.unchanged, len(changes.created)) == ([], 1, 1)
    assert not of(found, codes.PRICE_BELOW_COST)


def test_a_zero_price_is_a_warning_and_held_by_the_brake() -> None:
    found = checked(raw(cost="0", price="0"))
    (zero,) = of(found, codes.PRICE_ZERO)
    assert "at 0" in zero
    assert found.errors == 0
    first = price_changes.diff_prices([], found.rows)
    (held,) = price_changes.held_changes(first, Decimal("0.25"))
    assert (held.what, held.after) == ("cost", Decimal(0))
    to_zero = price_changes.diff_prices([stored()], found.rows)
    assert [h.what for h in price_changes.held_changes(to_zero, Decimal("0.25"))] == ["cost"]


def test_duplicate_rows_for_one_item_refuse_the_file() -> None:
    file = PriceFile(
        "PRB-1", [raw(2, price="135"), raw(3, "SKU:0001_P1Y:Annual"), raw(9, price="999")]
    )
    price_checks.find_duplicates([file], ITEMS)
    assert file.problems == [
        "PRB-1: rows 2 and 9 both price SKU:0001_P1M:Monthly (1 month / 1 month); keep one of them"
    ]


def test_a_row_by_resource_mpn_and_a_flat_row_for_the_same_item_are_duplicates() -> None:
    by_resource = RawPrice(
        4, "SKU:0001", "1 Month(s)", "1 Month", None, None, Decimal(1), "USD", None, "2026-11-01"
    )
    file = PriceFile("PRB-1", [raw(2), by_resource])
    price_checks.find_duplicates([file], ITEMS)
    assert "rows 2 and 4 both price SKU:0001_P1M:Monthly" in file.problems[0]


def test_rows_left_out_are_counted() -> None:
    found = checked(raw(2, "NOPE"), raw(3, currency="EUR"), raw(4, "SKU:0001_P1Y:Annual"))
    assert (found.read, found.left_out) == (3, 2)
    assert found.left_out_share() == Decimal(2) / 3
    assert of(found, codes.PRICE_UNKNOWN_MPN)
    assert of(found, codes.PRICE_CURRENCY_MISMATCH)
    assert price_checks.Checked().left_out_share() == 0


def test_rows_for_items_the_line_does_not_price_are_not_left_out() -> None:
    """A price file covers the whole Connect product: a trial or an add-on in no plan."""
    found = price_checks.check_prices(
        "PRD-1",
        USD,
        [PriceFile("PRB-1", [raw(2), raw(3, "SKU:0001_P1M:None"), raw(4, "NOPE")])],
        ITEMS,
        frozenset({"SKU:0001_P1M:None"}),
    )
    assert (found.read, found.left_out) == (2, 1)
    assert any(
        "an item of the product that this line does not price" in m
        for m in of(found, codes.PRICE_UNKNOWN_MPN)
    )


# -- the brake -------------------------------------------------------------------------------

LIMIT = Decimal("0.25")


def test_a_removal_of_a_sold_items_price_is_held_an_unsold_ones_is_not() -> None:
    changes = price_changes.diff_prices([stored(), stored("SKU:0001_P1Y:Annual")], [])
    held = price_changes.held_changes(changes, LIMIT, sold={"SKU:0001_P1M:Monthly"})
    assert [(h.row.mpn, h.what, h.before, h.after) for h in held] == [
        ("SKU:0001_P1M:Monthly", "removal", Decimal("12.5"), None)
    ]
    event = price_changes.held_event("PRD-1", "MP-1", held[0], "25%")
    assert (
        "would be removed (was cost 10, price 12.5) while the item is still sold" in event.message
    )
    assert event.code == codes.PRICE_CHANGE_LIMIT


def test_a_scheduled_price_is_braked_against_the_current_one() -> None:
    new = stored(price="125", scheduled=True)
    changes = price_changes.diff_prices([stored()], [stored(), new])
    (held,) = price_changes.held_changes(changes, LIMIT)
    assert (held.what, held.before, held.after, held.row.scheduled) == (
        "price",
        Decimal("12.5"),
        Decimal(125),
        True,
    )
    event = price_changes.held_event("PRD-1", "MP-1", held, "25%")
    assert (
        "price of SKU:0001_P1M:Monthly (scheduled) would move 12.5 -> 125 (+900.0%)"
        in event.message
    )
    # a scheduled price within the limit, or the first price of an item, passes
    mild = price_changes.diff_prices([stored()], [stored(), stored(price="13", scheduled=True)])
    assert price_changes.held_changes(mild, LIMIT) == []
    assert price_changes.held_changes(price_changes.diff_prices([], [new]), LIMIT) == []


def test_a_scheduled_price_becoming_current_is_not_a_removal() -> None:
    changes = price_changes.diff_prices(
        [stored(), stored(price="13", scheduled=True)], [stored(price="13")]
    )
    assert price_changes.held_changes(changes, LIMIT, sold={"SKU:0001_P1M:Monthly"}) == []


@pytest.mark.parametrize(
    ("old", "new", "held"),
    [
        ("12.5", "15", False),
        ("12.5", "16", True),
        ("12.5", "9", True),
        ("12.5", "0", True),
        ("0", "0", False),
    ],
)
def test_changes_beyond_the_limit_are_held(old: str, new: str, held: bool) -> None:
    changes = price_changes.diff_prices(
        [stored(price=old, cost="1")], [stored(price=new, cost="1")]
    )
    assert bool(price_changes.held_changes(changes, LIMIT)) is held


def test_a_huge_change_is_shown_bounded() -> None:
    held = price_changes.Held(stored(), "price", Decimal("0.01"), Decimal(999999999999))
    message = price_changes.held_event("PRD-1", "MP-1", held, "25%").message
    assert "(+>999999%)" in message
    assert len(message) < 400


def test_left_out_event_says_why() -> None:
    found = checked(raw(2, currency="EUR"), raw(3, "SKU:0001_P1Y:Annual", currency="EUR"))
    event = price_changes.left_out_event("PRD-1", "MP-1", found, "PRB-1", "25%")
    assert "2 of the 2 price row(s) of PRB-1 were left out" in event.message
    assert "refused whole" in event.message

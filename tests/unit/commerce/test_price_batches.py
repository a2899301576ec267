"""The wizard's uploads of a line's prices: one per effective date, none in the past."""

from __future__ import annotations

from datetime import date

from plm_sync.delivery.price_rows import upload_batches as _batches

HEADER = ["MPN", "Billing Period", "Effective Date", "Price"]


def test_a_date_passed_is_sent_as_today_and_a_scheduled_one_kept() -> None:
    rows = [
        HEADER,
        ["A", "1 month", "2026-01-01T00:00:00+00:00", 10],
        ["B", "1 month", "2026-01-01", 11],
        ["C", "1 month", "2027-03-01", 12],
    ]
    now, later = _batches(rows, date(2026, 12, 5))
    assert (now.effective, now.moved_from) == (date(2026, 12, 5), "2026-01-01")
    assert [row[0] for row in now.rows[1:]] == ["A", "B"]
    assert {row[2] for row in now.rows[1:]} == {"2026-12-05"}
    assert (later.effective, later.moved_from) == (date(2027, 3, 1), None)
    assert later.rows == [HEADER, ["C", "1 month", "2027-03-01", 12]]


def test_a_row_without_a_readable_date_is_effective_today() -> None:
    (batch,) = _batches([HEADER, ["A", "1 month", "", 10]], date(2026, 12, 5))
    assert (batch.effective, batch.moved_from) == (date(2026, 12, 5), None)

"""Periods (a duration in days, months or years) and the billing vocabulary of MPN suffixes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Unit(StrEnum):
    """The units PLM knows for billing and subscription periods."""

    DAY = "day"
    MONTH = "month"
    YEAR = "year"


_APPROX_DAYS = {Unit.DAY: 1, Unit.MONTH: 30, Unit.YEAR: 365}
_TERM_LETTER = {"D": Unit.DAY, "M": Unit.MONTH, "Y": Unit.YEAR}
_LETTER_OF = {unit: letter for letter, unit in _TERM_LETTER.items()}
_TERM = re.compile(r"P([1-9][0-9]{0,3})([DMY])")
MAX_DURATION = 9999


@dataclass(frozen=True, order=True)
class Period:
    """A duration such as 1 month or 3 years; ordered by approximate length, then unit."""

    duration: int
    unit: Unit

    def __post_init__(self) -> None:
        if not 1 <= self.duration <= MAX_DURATION:
            msg = f"period duration must be 1..{MAX_DURATION}, got {self.duration}"
            raise ValueError(msg)

    @property
    def sort_key(self) -> tuple[int, int, str]:
        """Key that orders periods by length: 30 days < 1 month < 2 months < 1 year."""
        return (self.duration * _APPROX_DAYS[self.unit], self.duration, self.unit.value)

    def term(self) -> str:
        """The ISO-8601-style commitment term: `P1M`, `P3Y`, `P15D`."""
        return f"P{self.duration}{_LETTER_OF[self.unit]}"

    def normalized(self) -> Period:
        """Months that make whole years become years (12 months -> 1 year)."""
        if self.unit is Unit.MONTH and self.duration % 12 == 0:
            return Period(self.duration // 12, Unit.YEAR)
        return self

    def times(self, count: int) -> Period:
        """The period repeated `count` times (a commitment of `count` billing periods)."""
        return Period(self.duration * count, self.unit).normalized()

    def as_dict(self) -> dict[str, int | str]:
        """The JSON shape used by `explain` and `catalog`: {"duration": n, "unit": "month"}."""
        return {"duration": self.duration, "unit": self.unit.value}


def parse_term(text: str) -> Period | None:
    """Parse a commitment term.

    Rules: `PnD`, `PnM` or `PnY`, n a whole number from 1 to 9999 without leading zeros,
    upper case as PLM writes it. Anything else is not a term (None).
    """
    match = _TERM.fullmatch(text)
    if match is None:
        return None
    return Period(int(match.group(1)), _TERM_LETTER[match.group(2)])


@dataclass(frozen=True)
class BillingWord:
    """One billing-frequency word of MPN suffixes and what it means for PLM.

    `period` is None for a trial (the word `None`): trial plans have no billing period.
    """

    word: str
    period: Period | None
    label: str

    @property
    def is_trial(self) -> bool:
        """A trial has no billing period."""
        return self.period is None


@dataclass(frozen=True)
class BillingVocabulary:
    """The billing-frequency words an MPN suffix may end with, matched case-insensitively.

    The built-in words are `Monthly` (1 month), `Annual` (1 year) and `None` (trial); further
    words (for example `Triennial`, 3 years) come only from the operator's mappings.
    """

    words: tuple[BillingWord, ...]
    trial_label: str

    def lookup(self, word: str) -> BillingWord | None:
        """The entry for `word`, ignoring case; None when the word is unknown."""
        folded = word.casefold()
        for entry in self.words:
            if entry.word.casefold() == folded:
                return entry
        return None

    def label_for(self, period: Period | None) -> str:
        """The plan label for a billing period (`NCE COM MTH`), or the trial label for None."""
        if period is None:
            return self.trial_label
        for entry in self.words:
            if entry.period == period:
                return entry.label
        return f"{period.duration} {period.unit.value.upper()}"


BUILTIN_BILLING_WORDS: tuple[BillingWord, ...] = (
    BillingWord("Monthly", Period(1, Unit.MONTH), "NCE COM MTH"),
    BillingWord("Annual", Period(1, Unit.YEAR), "NCE COM ANN"),
    BillingWord("None", None, "NCE COM TRIAL"),
)
DEFAULT_TRIAL_LABEL = "NCE COM TRIAL"


def default_vocabulary() -> BillingVocabulary:
    """The built-in vocabulary: Monthly, Annual and None, no operator additions."""
    return BillingVocabulary(BUILTIN_BILLING_WORDS, DEFAULT_TRIAL_LABEL)


# Connect's item `period` values and what they mean: (billing period, trial subscription period).
_CONNECT_TRIAL_DAYS = {"days_7_trial": 7, "days_14_trial": 14, "days_30_trial": 30}
_CONNECT_YEARS = re.compile(r"years_([2-6])")


@dataclass(frozen=True)
class ConnectPeriod:
    """What an item's own Connect `period` field says.

    `billing` is None for trials; `trial_length` is the trial's subscription period.
    """

    billing: Period | None
    trial_length: Period | None = None

    @property
    def is_trial(self) -> bool:
        """Connect's `*_trial` periods."""
        return self.billing is None


def parse_connect_period(value: str) -> ConnectPeriod | None:
    """Interpret a Connect item `period` (case-insensitive).

    Rules: `monthly` = 1 month; `yearly` = 1 year; `years_N` = N years (2..6);
    `monthly_trial` = trial of 1 month; `days_N_trial` = trial of N days (7, 14, 30).
    `onetime` and anything else have no recurring period (None).
    """
    text = value.strip().casefold()
    if text == "monthly":
        return ConnectPeriod(Period(1, Unit.MONTH))
    if text == "yearly":
        return ConnectPeriod(Period(1, Unit.YEAR))
    years = _CONNECT_YEARS.fullmatch(text)
    if years:
        return ConnectPeriod(Period(int(years.group(1)), Unit.YEAR))
    if text == "monthly_trial":
        return ConnectPeriod(None, Period(1, Unit.MONTH))
    if text in _CONNECT_TRIAL_DAYS:
        return ConnectPeriod(None, Period(_CONNECT_TRIAL_DAYS[text], Unit.DAY))
    return None

"""Fault injection for the sandbox, deterministic for a seed: `429:0.05,500:0.05,reset:0.02`."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

KINDS = ("reset", "slow", "truncate")


@dataclass(frozen=True)
class FaultSpec:
    """Probabilities per fault kind: an HTTP status (`429`, `503`) or reset/slow/truncate."""

    rates: tuple[tuple[str, float], ...] = ()

    @classmethod
    def parse(cls, text: str | None) -> FaultSpec:
        """Parse `kind:rate,...`; rates are 0..1 and add up to at most 1."""
        if not text:
            return cls()
        rates: list[tuple[str, float]] = []
        for part in text.split(","):
            kind, colon, rate_text = part.strip().partition(":")
            if not colon:
                msg = f"fault {part!r} must be kind:rate, e.g. 429:0.05"
                raise ValueError(msg)
            if kind not in KINDS and not (kind.isdigit() and 400 <= int(kind) <= 599):  # noqa: PLR2004
                msg = f"fault kind {kind!r} must be an HTTP status 400-599 or one of {KINDS}"
                raise ValueError(msg)
            try:
                rate = float(rate_text)
            except ValueError:
                msg = f"fault rate {rate_text!r} of {kind} is not a number"
                raise ValueError(msg) from None
            if not 0 <= rate <= 1:
                msg = f"fault rate of {kind} must be between 0 and 1"
                raise ValueError(msg)
            rates.append((kind, rate))
        if sum(rate for _, rate in rates) > 1:
            msg = "fault rates add up to more than 1"
            raise ValueError(msg)
        return cls(tuple(rates))


class FaultPlan:
    """Draws the fault (or None) for each API request from one seeded generator."""

    def __init__(self, spec: FaultSpec, seed: int | None = None) -> None:
        self.spec = spec
        self._random = random.Random(seed)  # noqa: S311 - test faults, not cryptography
        self._lock = threading.Lock()
        self.injected: dict[str, int] = {}

    def draw(self) -> str | None:
        """The next request's fault, or None."""
        if not self.spec.rates:
            return None
        with self._lock:
            roll = self._random.random()
            edge = 0.0
            for kind, rate in self.spec.rates:
                edge += rate
                if roll < edge:
                    self.injected[kind] = self.injected.get(kind, 0) + 1
                    return kind
        return None

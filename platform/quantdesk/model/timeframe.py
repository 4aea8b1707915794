"""Bar timeframes: ``Timeframe.parse("5m")``, canonical strings, seconds and pandas frequencies."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from functools import total_ordering
from types import MappingProxyType

from quantdesk.model.errors import InvalidTimeframe

_EXAMPLES = "1m, 5m, 15m, 30m, 1h, 4h, 1d, 1w"
_SECONDS = MappingProxyType({"m": 60, "h": 3_600, "d": 86_400, "w": 604_800})
_MAX_AMOUNT = MappingProxyType({"m": 59, "h": 23, "d": 1, "w": 1})
_UNIT_NAMES = MappingProxyType(
    {
        **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), "m"),
        **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), "h"),
        **dict.fromkeys(("d", "day", "days"), "d"),
        **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), "w"),
    }
)
_WORDS = MappingProxyType({"hourly": "1h", "daily": "1d", "weekly": "1w", "w-mon": "1w"})
_TEXT = re.compile(r"(\d+)?\s*([A-Za-z]+)")


def _invalid(text: object, why: str) -> InvalidTimeframe:
    return InvalidTimeframe(f"invalid timeframe {text!r}: {why}; valid examples: {_EXAMPLES}")


@total_ordering
@dataclass(frozen=True, slots=True)
class Timeframe:
    """The length of one bar: ``amount`` of ``unit`` ("m", "h", "d" or "w").

    Canonical forms: minutes 1-59 (a multiple of 60 becomes hours), hours 1-23, ``1d`` (one session) and
    ``1w``. ``Timeframe(60, "m")`` is ``Timeframe(1, "h")``. Timeframes order by length.
    """

    amount: int
    unit: str

    def __post_init__(self) -> None:
        amount, unit = self.amount, self.unit
        if unit not in _SECONDS:
            raise _invalid(f"{amount}{unit}", f"unit must be one of {', '.join(_SECONDS)}")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise _invalid(f"{amount}{unit}", "the amount must be a positive integer")
        if unit == "m" and amount % 60 == 0:
            amount, unit = amount // 60, "h"
        if amount > _MAX_AMOUNT[unit]:
            raise _invalid(f"{self.amount}{self.unit}", f"at most {_MAX_AMOUNT[unit]}{unit}")
        object.__setattr__(self, "amount", amount)
        object.__setattr__(self, "unit", unit)

    @classmethod
    def parse(cls, text: str | Timeframe) -> Timeframe:
        """The canonical timeframe of ``"5m"``, ``"5min"``, ``"1H"``, ``"1 hour"``, ``"60m"``, ``"1D"``,
        ``"daily"``, ``"W-MON"``, ...; a :class:`Timeframe` is returned as is.

        Case does not matter, except that a bare ``"M"`` unit is refused as ambiguous (minute or month).
        """
        if isinstance(text, Timeframe):
            return text
        if not isinstance(text, str):
            raise _invalid(text, f"expected a str, got {type(text).__name__}")
        cleaned = _WORDS.get(text.strip().lower(), text.strip())
        match = _TEXT.fullmatch(cleaned)
        if match is None:
            raise _invalid(text, "expected an amount and a unit")
        amount, unit = match.groups()
        if unit == "M":
            raise _invalid(text, "'M' is ambiguous (minute or month); write 'm' or 'min' for minutes")
        if unit.lower() not in _UNIT_NAMES:
            raise _invalid(text, f"unknown unit {unit!r}")
        return cls(int(amount) if amount else 1, _UNIT_NAMES[unit.lower()])

    @property
    def seconds(self) -> int:
        """The nominal length in seconds (a day is 86,400, a week 604,800)."""
        return self.amount * _SECONDS[self.unit]

    @property
    def duration(self) -> timedelta:
        """The nominal length as a timedelta."""
        return timedelta(seconds=self.seconds)

    @property
    def is_intraday(self) -> bool:
        """Whether bars are shorter than a day (minutes or hours)."""
        return self.unit in ("m", "h")

    @property
    def pandas_freq(self) -> str:
        """The pandas offset alias: ``"5min"``, ``"4h"``, ``"1D"``, ``"W-MON"``.

        Bars are labelled by their open time, so resample with ``label="left", closed="left"``; weekly bars
        then start, and are labelled, on Monday.
        """
        if self.unit == "m":
            return f"{self.amount}min"
        if self.unit == "h":
            return f"{self.amount}h"
        return "1D" if self.unit == "d" else "W-MON"

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Timeframe):
            return NotImplemented
        return self.seconds < other.seconds

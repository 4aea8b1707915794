"""The market data processor of the live cycle: checks each incoming bar and keeps the trailing window.

A bar that breaks a rule of :mod:`quantdesk.data.validation` (missing value, non-positive price, high/low
against open/close, high below low, negative volume, a time not after the symbol's last bar, outside the
calendar's sessions) is quarantined with its reasons and never reaches the strategy. Accepted bars go into
fixed-size ring buffers, one per symbol, from which :meth:`BarProcessor.window` builds the panel that
``Strategy.target`` reads.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from quantdesk.data.calendars import TradingCalendar
from quantdesk.data.frames import INDEX_NAME, OHLCV
from quantdesk.data.panel import panel
from quantdesk.data.validation import Defect
from quantdesk.model import Bar


@dataclass(frozen=True)
class QuarantinedBar:
    """A bar refused by the processor, with every rule it broke."""

    bar: Bar
    reasons: tuple[Defect, ...]

    @property
    def reason(self) -> str:
        return ";".join(str(r) for r in self.reasons)


def bar_defects(bar: Bar, last_ts: pd.Timestamp | None) -> list[Defect]:
    """The row rules of :func:`quantdesk.data.validation.validate`, for one bar against the symbol's last one."""
    o, h, low, c, v = bar.open, bar.high, bar.low, bar.close, bar.volume
    defects: list[Defect] = []
    if not all(math.isfinite(x) for x in (o, h, low, c, v)):
        return [Defect.MISSING_VALUE]
    if min(o, h, low, c) <= 0:
        defects.append(Defect.NON_POSITIVE_PRICE)
    if h < max(o, c):
        defects.append(Defect.HIGH_BELOW_OPEN_CLOSE)
    if low > min(o, c):
        defects.append(Defect.LOW_ABOVE_OPEN_CLOSE)
    if h < low:
        defects.append(Defect.HIGH_BELOW_LOW)
    if v < 0:
        defects.append(Defect.NEGATIVE_VOLUME)
    if last_ts is not None and bar.ts <= last_ts:
        defects.append(Defect.DUPLICATE_TIMESTAMP if bar.ts == last_ts else Defect.OUT_OF_ORDER)
    return defects


@dataclass
class _Ring:
    capacity: int
    ts: np.ndarray = field(init=False)
    values: np.ndarray = field(init=False)
    size: int = 0
    head: int = 0

    def __post_init__(self) -> None:
        self.ts = np.empty(self.capacity, dtype="datetime64[ns]")
        self.values = np.empty((self.capacity, len(OHLCV)))

    def push(self, bar: Bar) -> None:
        self.ts[self.head] = np.datetime64(bar.ts.replace(tzinfo=None), "ns")
        self.values[self.head] = (bar.open, bar.high, bar.low, bar.close, bar.volume)
        self.head = (self.head + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(times, values) of the held bars, oldest first."""
        if self.size < self.capacity:
            return self.ts[: self.size], self.values[: self.size]
        order = np.arange(self.head, self.head + self.capacity) % self.capacity
        return self.ts[order], self.values[order]


class BarProcessor:
    """Validates bars as they arrive and keeps the last ``capacity`` accepted bars of each symbol."""

    def __init__(
        self,
        symbols: Sequence[str],
        capacity: int,
        *,
        calendar: TradingCalendar | None = None,
        freq: str | None = None,
    ) -> None:
        if capacity < 1:
            raise ValueError("the window must hold at least one bar")
        self.symbols = tuple(s.upper() for s in symbols)
        self._rings = {s: _Ring(capacity) for s in self.symbols}
        self._last: dict[str, pd.Timestamp | None] = dict.fromkeys(self.symbols)
        self._calendar, self._freq = calendar, freq
        self.quarantined: list[QuarantinedBar] = []
        # built once: a MultiIndex costs about a millisecond to make, more than the rest of a window
        self._columns = pd.MultiIndex.from_product([list(OHLCV), list(self.symbols)], names=["field", "symbol"])

    def accept(self, bar: Bar) -> QuarantinedBar | None:
        """Take ``bar`` into its symbol's window, or quarantine it (returned, and kept in ``quarantined``)."""
        symbol = str(bar.symbol)
        if symbol not in self._rings:
            raise KeyError(f"{symbol} is not traded here ({', '.join(self.symbols)})")
        defects = bar_defects(bar, self._last[symbol])
        if not defects and self._calendar is not None and self._freq is not None:
            label = pd.DatetimeIndex([bar.ts])
            if not bool(self._calendar.is_open(label, self._freq)[0]):
                defects.append(Defect.OUTSIDE_SESSION)
        if defects:
            refused = QuarantinedBar(bar, tuple(defects))
            self.quarantined.append(refused)
            return refused
        self._rings[symbol].push(bar)
        self._last[symbol] = bar.ts
        return None

    def count(self, symbol: str) -> int:
        return self._rings[symbol.upper()].size

    def ready(self, bars: int) -> bool:
        """Whether every symbol has at least ``bars`` accepted bars."""
        return all(ring.size >= bars for ring in self._rings.values())

    def window(self) -> pd.DataFrame:
        """The accepted bars as a panel (bars every symbol has), oldest first."""
        held = [ring.arrays() for ring in self._rings.values()]
        times = held[0][0]
        if any(len(t) != len(times) or not np.array_equal(t, times) for t, _ in held[1:]):
            frames = {}
            for symbol, (t, values) in zip(self.symbols, held, strict=True):
                index = pd.DatetimeIndex(t, name=INDEX_NAME).tz_localize("UTC")
                frames[symbol] = pd.DataFrame(values, index=index, columns=list(OHLCV))
            return panel(frames)
        # the common case, every symbol on the same bars: build the panel directly, field-major like panel()
        values = np.stack([v for _, v in held], axis=2).reshape(len(times), -1)
        index = pd.DatetimeIndex(times, name=INDEX_NAME).tz_localize("UTC")
        return pd.DataFrame(values, index=index, columns=self._columns)

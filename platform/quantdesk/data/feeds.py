"""Market feed handlers: a stream of bars closing at the same time, one per symbol.

``ReplayFeed`` plays a panel of stored bars, as fast as possible (``speed=None``) or ``speed`` times faster
than the bars' own pace (a daily bar every second at ``speed=86_400``); ``SyntheticFeed`` generates a
labelled synthetic random walk bar by bar, like a live source. A live vendor feed (Alpaca) implements the
same ``BarFeed`` protocol in ``quantdesk.adapters``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

import numpy as np
import pandas as pd

from quantdesk.data.frames import OHLCV
from quantdesk.data.synthetic import synthetic_bars
from quantdesk.model import Bar, Symbol, Timeframe


class BarFeed(Protocol):
    """Yields, in time order, the bars of all symbols that close at the same time."""

    def __iter__(self) -> Iterator[list[Bar]]: ...


class ReplayFeed:
    """Plays stored bars (a ``(field, symbol)`` panel) in time order."""

    def __init__(
        self,
        bars: pd.DataFrame,
        timeframe: Timeframe | str,
        *,
        speed: float | None = None,
        start_at: int = 0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if speed is not None and speed <= 0:
            raise ValueError(f"replay speed must be positive (or None for as fast as possible), got {speed}")
        self.timeframe = Timeframe.parse(timeframe)
        self.symbols = tuple(bars["close"].columns)
        self._index = bars.index
        self._values = np.stack([bars[f][list(self.symbols)].to_numpy(np.float64) for f in OHLCV], axis=-1)
        self._speed, self._start, self._sleep = speed, start_at, sleep

    def __len__(self) -> int:
        return len(self._index) - self._start

    def __iter__(self) -> Iterator[list[Bar]]:
        pause = None if self._speed is None else self.timeframe.seconds / self._speed
        symbols = [Symbol(s) for s in self.symbols]
        for i in range(self._start, len(self._index)):
            if pause is not None and i > self._start:
                self._sleep(pause)
            ts = self._index[i].to_pydatetime()
            row = self._values[i]
            yield [Bar(symbol, self.timeframe, ts, *map(float, row[j])) for j, symbol in enumerate(symbols)]


class SyntheticFeed:
    """A live-like feed of seeded synthetic bars (symbols must say SYNTH), ``count`` bars or endless."""

    def __init__(
        self,
        symbols: Sequence[str] = ("SYNTH",),
        timeframe: Timeframe | str = "1m",
        *,
        count: int | None = None,
        seed: int = 0,
        start: str = "2024-01-02 14:30",
        chunk: int = 10_000,
    ) -> None:
        self.symbols = tuple(s.upper() for s in symbols)
        self.timeframe = Timeframe.parse(timeframe)
        self._count, self._seed, self._start, self._chunk = count, seed, start, chunk

    def __iter__(self) -> Iterator[list[Bar]]:
        produced, block = 0, 0
        start = pd.Timestamp(self._start, tz="UTC")
        prices = dict.fromkeys(self.symbols, 100.0)
        while self._count is None or produced < self._count:
            n = self._chunk if self._count is None else min(self._chunk, self._count - produced)
            freq = self.timeframe.pandas_freq
            frames = {
                s: synthetic_bars(
                    n, freq=freq, start=start, seed=self._seed + 7919 * k + block, symbol=s, price=prices[s]
                )
                for k, s in enumerate(self.symbols)
            }
            index = next(iter(frames.values())).index
            values = {s: frames[s][list(OHLCV)].to_numpy(np.float64) for s in self.symbols}
            for i, ts in enumerate(index):
                moment = ts.to_pydatetime()
                yield [Bar(Symbol(s), self.timeframe, moment, *map(float, values[s][i])) for s in self.symbols]
            produced += n
            block += 1
            prices = {s: float(frames[s]["close"].iloc[-1]) for s in self.symbols}
            start = index[-1] + pd.Timedelta(seconds=self.timeframe.seconds)

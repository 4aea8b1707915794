"""Synthetic bars: a seeded geometric random walk, for examples, tests and benchmarks without real data.

Generated bars are always labelled: the symbol must contain "SYNTH" and ``frame.attrs["synthetic"]`` is True,
so they cannot be mistaken for market data wherever they are shown.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from quantdesk.data.calendars import Freq, TradingCalendar, get_calendar, parse_freq
from quantdesk.data.errors import DataError, SyntheticSymbolError
from quantdesk.data.frames import INDEX_NAME, OHLCV

SYNTHETIC_MARK = "SYNTH"
_YEAR = pd.Timedelta(days=365.25)
_WICK = 0.5  # wick length in units of the per-bar volatility: visible, but small next to the body
_MAX_SPAN = pd.Timedelta(days=365 * 200)  # a calendar with no sessions this far ahead prints nothing


def synthetic_bars(
    n: int,
    *,
    freq: Freq = "1min",
    start: str | pd.Timestamp = "2024-01-02 14:30",
    seed: int = 0,
    symbol: str = SYNTHETIC_MARK,
    price: float = 100.0,
    drift: float = 0.0,
    volatility: float = 0.2,
    calendar: str | TradingCalendar = "24/7",
) -> pd.DataFrame:
    """``n`` canonical bars on ``calendar`` from ``start`` (naive means UTC), reproducible from ``seed``.

    ``drift`` and ``volatility`` are annualised over the calendar's bars per year. Each open is the previous
    close; high and low wrap open and close; volume is a positive whole number.
    """
    if SYNTHETIC_MARK not in symbol:
        raise SyntheticSymbolError(
            f"synthetic bars need a symbol containing {SYNTHETIC_MARK!r} (e.g. {symbol}.{SYNTHETIC_MARK}) "
            f"so they are never mistaken for real market data; got {symbol!r}"
        )
    if n < 0:
        raise DataError(f"the number of synthetic bars must be 0 or more, got {n}")
    if not (math.isfinite(price) and price > 0) or not (math.isfinite(volatility) and volatility >= 0):
        raise DataError(f"synthetic bars need price > 0 and volatility >= 0, got {price} and {volatility}")
    cal = get_calendar(calendar) if isinstance(calendar, str) else calendar
    first = _utc(start)
    labels = _first_labels(cal, first, n, freq)
    dt = 1.0 / max(1, len(cal.expected_labels(first, first + _YEAR - pd.Timedelta(1), freq)))
    sigma = volatility * math.sqrt(dt)
    shocks = np.random.default_rng(seed).standard_normal((4, n))
    log_returns = (drift - 0.5 * volatility**2) * dt + sigma * shocks[0]
    close = price * np.exp(np.cumsum(log_returns))
    open_ = np.empty_like(close)
    open_[:1], open_[1:] = price, close[:-1]
    high = np.maximum(open_, close) * np.exp(_WICK * sigma * np.abs(shocks[1]))
    low = np.minimum(open_, close) * np.exp(-_WICK * sigma * np.abs(shocks[2]))
    volume = np.floor(1_000.0 * np.exp(0.5 * shocks[3])) + 1.0
    bars = pd.DataFrame(dict(zip(OHLCV, (open_, high, low, close, volume), strict=True)), index=labels)
    timeframe = freq if isinstance(freq, str) else to_offset(freq).freqstr
    bars.attrs = {"symbol": symbol, "timeframe": timeframe, "synthetic": True}
    return bars


def _utc(ts: str | pd.Timestamp) -> pd.Timestamp:
    stamp = pd.Timestamp(ts)
    return stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")


def _first_labels(cal: TradingCalendar, start: pd.Timestamp, n: int, freq: Freq) -> pd.DatetimeIndex:
    # grow the window until it holds n bars: one round for 24/7, a few for calendars with closed hours
    span = parse_freq(freq) * n
    while True:
        labels = cal.expected_labels(start, start + span, freq)
        if len(labels) >= n:
            return labels[:n].rename(INDEX_NAME)
        if span > _MAX_SPAN:
            raise DataError(f"calendar {cal.name} has only {len(labels)} {freq} bars after {start}, not {n}")
        span = span * 2 + pd.Timedelta(days=7)

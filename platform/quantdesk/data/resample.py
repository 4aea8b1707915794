"""Aggregate bars to a coarser timeframe (1m → 5m → 1h → 1d → 1w)."""

from __future__ import annotations

import pandas as pd

from quantdesk.data.errors import DataError
from quantdesk.data.frames import ADJ_CLOSE, bar_columns
from quantdesk.model import Timeframe

_AGG = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum", ADJ_CLOSE: "last"}


def resample(bars: pd.DataFrame, timeframe: Timeframe | str, *, source: Timeframe | str | None = None) -> pd.DataFrame:
    """Bars of ``timeframe`` built from finer ``bars``; bins without any bar are left out, never invented.

    Bins are closed and labelled on the left (a bar's label is its open time; weeks start on Monday).
    ``source`` is the input's timeframe when ``bars.attrs`` does not name it.
    """
    target = Timeframe.parse(timeframe)
    origin = source or bars.attrs.get("timeframe")
    if origin is not None and Timeframe.parse(origin).seconds > target.seconds:
        raise DataError(f"cannot resample {origin} bars to the finer timeframe {target}")
    if origin is not None and Timeframe.parse(origin) == target:
        return bars.copy()
    agg = {column: _AGG[column] for column in bar_columns(bars)}
    bins = bars.resample(target.pandas_freq, label="left", closed="left")
    out = bins.agg(agg)[bins["close"].count() > 0]
    out.index.name = bars.index.name
    out.attrs = {**bars.attrs, "timeframe": str(target)}
    return out

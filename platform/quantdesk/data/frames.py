"""The one in-memory shape of bar data, shared by every module of :mod:`quantdesk.data`.

A bar frame is a :class:`pandas.DataFrame` with

* a tz-aware UTC :class:`pandas.DatetimeIndex` named ``ts`` in nanoseconds (pandas 3 defaults to
  microseconds; the catalog and sources normalise to ``datetime64[ns, UTC]``): the bar's label, which is
  its open time for intraday bars and the session date (midnight UTC) for daily bars; the decision made
  "at the close of bar t" uses the bar labelled t;
* float64 columns ``open, high, low, close, volume`` in that order, and optionally ``adj_close`` (the split-
  and dividend-adjusted close supplied by the source; see :mod:`quantdesk.data.adjust`);
* ``frame.attrs`` carrying provenance where known: ``symbol``, ``timeframe``, ``adjustment`` and
  ``synthetic`` (True for generated bars, which must be labelled as such wherever they are shown).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

INDEX_NAME = "ts"
PRICE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close")
OHLCV: tuple[str, ...] = (*PRICE_COLUMNS, "volume")
ADJ_CLOSE = "adj_close"


def empty_bars(with_adj_close: bool = False) -> pd.DataFrame:
    """A bar frame with no rows and the canonical columns and index."""
    columns = [*OHLCV, ADJ_CLOSE] if with_adj_close else list(OHLCV)
    index = pd.DatetimeIndex([], tz="UTC", name=INDEX_NAME).as_unit("ns")
    return pd.DataFrame({c: np.array([], dtype="float64") for c in columns}, index=index)


def bar_columns(frame: pd.DataFrame) -> list[str]:
    """The canonical columns present in ``frame``, in canonical order."""
    return [c for c in (*OHLCV, ADJ_CLOSE) if c in frame.columns]


def field_values(bars: pd.DataFrame, field: str, symbols: Sequence[str]) -> np.ndarray:
    """One field of a ``(field, symbol)`` panel as a C-contiguous (T × N) float64 array, columns in
    ``symbols`` order (one symbol's column is read directly, without building a sub-frame)."""
    if len(symbols) == 1:
        return np.ascontiguousarray(bars[(field, symbols[0])].to_numpy(np.float64)).reshape(-1, 1)
    return np.ascontiguousarray(bars[field][list(symbols)].to_numpy(np.float64))

"""Drawdowns of equity curves: the series for plots, and the deepest and longest one per curve.

Definitions (the platform's; ``initial_cash`` is the account value before the first bar and counts as the
first peak):

* drawdown ``d_t = E_t / P_t - 1`` with the running peak ``P_t = max(initial_cash, E_0, ..., E_t)``;
  it is <= 0, and 0 at a new high.
* max drawdown ``min_t d_t`` (e.g. -0.25), equal to empyrical's ``max_drawdown`` of the bar returns.
* max drawdown duration: the longest run of consecutive bars with ``E_t < P_t`` (under water), in bars.
  Its span in time runs from the peak bar (the bar before the run; the first bar when the run starts at
  bar 0, where the peak is the initial cash) to the recovery bar (the first bar back at the peak), or to
  the last bar if the curve has not recovered.

Curves are columns: the functions take one curve (1-D) or K curves (2-D, T bars x K columns) and work
column by column, in bar order, so a column gives exactly the numbers it gives on its own.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import pandas as pd
from numba import njit

from quantdesk.reporting._inputs import BLOCK_ROWS, equity_columns, float_array, positive_number

Curve = TypeVar("Curve", np.ndarray, pd.Series, pd.DataFrame)


def drawdown(equity: Curve, initial_cash: float) -> Curve:
    """The drawdown ``E_t / running peak - 1`` at every bar, shaped and typed like ``equity``."""
    cash = positive_number(initial_cash, "initial_cash")
    values = float_array(equity, "equity")
    peaks = np.maximum(np.maximum.accumulate(values, axis=0), cash)
    out = values / peaks - 1.0
    if isinstance(equity, pd.Series):
        return pd.Series(out, index=equity.index, name=equity.name)
    if isinstance(equity, pd.DataFrame):
        return pd.DataFrame(out, index=equity.index, columns=equity.columns)
    return out


@njit(cache=True, error_model="numpy")
def underwater_nb(equity: np.ndarray, initial_cash: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kernel of :func:`max_drawdown_stats` on a checked (T, K) float64 array: arrays of K values."""
    n, k = equity.shape
    deepest = np.zeros(k)
    longest = np.zeros(k, dtype=np.int64)
    start = np.zeros(k, dtype=np.int64)
    peak = np.full(k, initial_cash)
    run = np.zeros(k, dtype=np.int64)
    for first in range(0, n, BLOCK_ROWS):
        last = min(first + BLOCK_ROWS, n)
        for j in range(k):
            top, under, depth, most, begin = peak[j], run[j], deepest[j], longest[j], start[j]
            for t in range(first, last):
                value = equity[t, j]
                if value >= top:
                    top = value
                    under = 0
                    continue
                depth = min(depth, value / top - 1.0)
                under += 1
                if under > most:
                    most = under
                    begin = t - under + 1
            peak[j], run[j], deepest[j], longest[j], start[j] = top, under, depth, most, begin
    return deepest, longest, start


def max_drawdown_stats(equity: np.ndarray, initial_cash: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per column: max drawdown (float, <= 0), max drawdown duration (bars) and the first bar of that run.

    Returns three arrays of K values (0-d arrays for a 1-D curve). The longest run is the first one
    when several are equally long; duration and start are 0 for a curve never under water.
    """
    values = equity_columns(equity)
    deepest, longest, start = underwater_nb(values, positive_number(initial_cash, "initial_cash"))
    shape = np.shape(equity)[1:]
    return deepest.reshape(shape), longest.reshape(shape), start.reshape(shape)


def drawdown_span(index: pd.DatetimeIndex, start: int, duration: int) -> pd.Timedelta:
    """The time from the peak before an under-water run of ``duration`` bars from bar ``start`` to the
    recovery bar (or the last bar if not recovered); zero for no run."""
    if duration <= 0:
        return pd.Timedelta(0)
    peak_bar = max(start - 1, 0)
    end_bar = min(start + duration, len(index) - 1)
    return pd.Timedelta(index[end_bar] - index[peak_bar])

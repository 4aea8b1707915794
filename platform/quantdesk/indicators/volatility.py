"""Volatility: true range, Wilder's average true range (ATR), and the percentile rank of volatility.

Conventions (pinned by ``tests/unit/indicators/test_indicators_volatility.py``):

* True range ``TR[t] = max(high - low, |high - close[t-1]|, |low - close[t-1]|)``; the first bar has no
  previous close, so its true range is ``high - low``.
* ATR (J. Welles Wilder, 1978) is seeded with the simple mean of the first ``window`` true ranges (the first
  bar's included), so the first ``window - 1`` values are NaN; then
  ``atr[t] = (atr[t-1] * (window - 1) + TR[t]) / window``. Causal.
* Missing bars (NaN or ±inf in any of high, low, close) are skipped by TR and ATR: the output there is NaN
  and the next true range uses the last valid close, so the result equals that on the bars with the missing
  ones dropped, put back on the original index.
* ``volatility_percentile``: realised volatility is the sample standard deviation (ddof=1) of the last
  ``window`` log returns ``log(close[t] / close[t-1])``; the output is the percentage (0..100] of the last
  ``lookback`` volatility values, the current one included, that are <= the current one (pandas'
  ``rolling(lookback).rank(method="max", pct=True) * 100``). It is a rolling statistic: a missing or
  non-positive close makes every window that needs it NaN, and the first ``window + lookback - 1`` values are
  NaN. O(n * lookback).

Kernels take float64 arrays, 1-D or 2-D (column by column). Wrappers take Series, DataFrames (column by
column, all with the same index and columns) or arrays and return the same type on the same index.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from quantdesk.indicators._inputs import Data, check_int, like, to_array, to_arrays
from quantdesk.indicators._kernels import empty_output
from quantdesk.indicators.errors import IndicatorError
from quantdesk.indicators.moving import rolling_std_nb


@njit(cache=True)
def _atr_1d(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, window: int, tr_out: np.ndarray, atr_out: np.ndarray
) -> None:
    # window == 0 means true range only (atr_out is not written).
    have_prev = False
    prev_close = 0.0
    count = 0
    atr = 0.0
    for i in range(high.shape[0]):
        h = high[i]
        lo = low[i]
        c = close[i]
        if not (np.isfinite(h) and np.isfinite(lo) and np.isfinite(c)):
            tr_out[i] = np.nan
            if window > 0:
                atr_out[i] = np.nan
            continue
        tr = h - lo
        if have_prev:
            tr = max(tr, abs(h - prev_close), abs(lo - prev_close))
        have_prev = True
        prev_close = c
        tr_out[i] = tr
        if window == 0:
            continue
        if count < window:
            atr += tr
            count += 1
            if count < window:
                atr_out[i] = np.nan
                continue
            atr /= window
        else:
            atr = (atr * (window - 1) + tr) / window
        atr_out[i] = atr


@njit(cache=True)
def true_range_nb(high: np.ndarray, low: np.ndarray, close: np.ndarray) -> np.ndarray:
    """True range of 1-D or 2-D (column by column) float64 arrays; the first bar's is high - low."""
    out = empty_output(high)
    if high.ndim == 1:
        _atr_1d(high, low, close, 0, out, out)
    else:
        for j in range(high.shape[1]):
            _atr_1d(high[:, j], low[:, j], close[:, j], 0, out[:, j], out[:, j])
    return out


@njit(cache=True)
def atr_nb(high: np.ndarray, low: np.ndarray, close: np.ndarray, window: int) -> np.ndarray:
    """Wilder's average true range of 1-D or 2-D (column by column) float64 arrays."""
    if window < 1:
        raise IndicatorError("window must be >= 1")
    tr = empty_output(high)
    out = empty_output(high)
    if high.ndim == 1:
        _atr_1d(high, low, close, window, tr, out)
    else:
        for j in range(high.shape[1]):
            _atr_1d(high[:, j], low[:, j], close[:, j], window, tr[:, j], out[:, j])
    return out


@njit(cache=True)
def _volatility_percentile_1d(close: np.ndarray, window: int, lookback: int, out: np.ndarray) -> None:
    n = close.shape[0]
    returns = np.empty(n, dtype=np.float64)
    for i in range(n):
        prev = close[i - 1] if i > 0 else np.nan
        c = close[i]
        ok = prev > 0.0 and c > 0.0 and np.isfinite(prev) and np.isfinite(c)
        returns[i] = np.log(c / prev) if ok else np.nan
    vol = rolling_std_nb(returns, window)
    last_missing = -1
    for i in range(n):
        v = vol[i]
        if np.isnan(v):
            last_missing = i
        if i - last_missing < lookback:
            out[i] = np.nan
            continue
        count = 0
        for k in range(i - lookback + 1, i + 1):
            if vol[k] <= v:
                count += 1
        out[i] = 100.0 * count / lookback


@njit(cache=True)
def volatility_percentile_nb(close: np.ndarray, window: int, lookback: int) -> np.ndarray:
    """Percentile rank (0..100] of the rolling std of log returns among its last ``lookback`` values."""
    if window < 2:
        raise IndicatorError("window must be >= 2")
    if lookback < 1:
        raise IndicatorError("lookback must be >= 1")
    out = empty_output(close)
    if close.ndim == 1:
        _volatility_percentile_1d(close, window, lookback, out)
    else:
        for j in range(close.shape[1]):
            _volatility_percentile_1d(close[:, j], window, lookback, out[:, j])
    return out


def true_range(high: Data, low: Data, close: Data) -> Data:
    """True range: the bar's range extended to the previous close (the first bar's is high - low)."""
    h, lo, c = to_arrays(high=high, low=low, close=close)
    return like(true_range_nb(h, lo, c), high)


def atr(high: Data, low: Data, close: Data, window: int = 14) -> Data:
    """Wilder's average true range: the SMA of the first ``window`` true ranges, then Wilder smoothing."""
    w = check_int(window)
    h, lo, c = to_arrays(high=high, low=low, close=close)
    return like(atr_nb(h, lo, c, w), high)


def volatility_percentile(close: Data, window: int = 20, lookback: int = 252) -> Data:
    """Where today's realised volatility (std of ``window`` log returns) ranks among the last ``lookback``
    values, in percent: 100 means the highest of the lookback, 100 / lookback the lowest."""
    w = check_int(window, minimum=2)
    lb = check_int(lookback, "lookback")
    return like(volatility_percentile_nb(to_array(close, "close"), w, lb), close)

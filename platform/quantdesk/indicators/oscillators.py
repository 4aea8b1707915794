"""Oscillators: the relative strength index (RSI) of J. Welles Wilder (1978).

Conventions (pinned by ``tests/unit/indicators/test_indicators_oscillators.py``):

* Price changes ``d[t] = x[t] - x[t-1]`` are split into gains ``max(d, 0)`` and losses ``max(-d, 0)``.
  The averages are seeded with the simple mean of the first ``window`` gains and losses, then smoothed the
  Wilder way (``alpha = 1 / window``): ``avg[t] = (avg[t-1] * (window - 1) + g[t]) / window``.
* ``RSI = 100 * avg_gain / (avg_gain + avg_loss)``, i.e. ``100 - 100 / (1 + avg_gain / avg_loss)``: 100
  when the average loss is 0 and the average gain is not, 0 in the mirror case, and 50 when both are 0
  (a flat market is neither overbought nor oversold).
* The first ``window`` values are NaN (``window`` changes need ``window + 1`` prices). Causal.
* Missing inputs (NaN, ±inf) are skipped: the output there is NaN and the next change is measured from the
  last valid price, so ``rsi(x)`` equals ``rsi(x.dropna())`` put back on ``x``'s index.

``rsi_nb`` takes a 1-D or 2-D (column by column) float64 array; ``rsi`` takes a Series, a DataFrame or an
array and returns the same type with the same index.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from quantdesk.indicators._inputs import Data, check_int, like, to_array
from quantdesk.indicators._kernels import empty_output
from quantdesk.indicators.errors import IndicatorError


@njit(cache=True)
def _rsi_value(avg_gain: float, avg_loss: float) -> float:
    total = avg_gain + avg_loss
    return 50.0 if total == 0.0 else 100.0 * avg_gain / total


@njit(cache=True)
def _rsi_1d(a: np.ndarray, window: int, out: np.ndarray) -> None:
    have_prev = False
    prev = 0.0
    count = 0
    avg_gain = 0.0
    avg_loss = 0.0
    for i in range(a.shape[0]):
        x = a[i]
        out[i] = np.nan
        if not np.isfinite(x):
            continue
        if not have_prev:
            have_prev = True
            prev = x
            continue
        change = x - prev
        prev = x
        gain = change if change > 0.0 else 0.0
        loss = -change if change < 0.0 else 0.0
        if count < window:
            avg_gain += gain
            avg_loss += loss
            count += 1
            if count < window:
                continue
            avg_gain /= window
            avg_loss /= window
        else:
            avg_gain = (avg_gain * (window - 1) + gain) / window
            avg_loss = (avg_loss * (window - 1) + loss) / window
        out[i] = _rsi_value(avg_gain, avg_loss)


@njit(cache=True)
def rsi_nb(a: np.ndarray, window: int) -> np.ndarray:
    """Wilder's RSI (0..100) of a 1-D or 2-D (column by column) float64 array of prices."""
    if window < 1:
        raise IndicatorError("window must be >= 1")
    out = empty_output(a)
    if a.ndim == 1:
        _rsi_1d(a, window, out)
    else:
        for j in range(a.shape[1]):
            _rsi_1d(a[:, j], window, out[:, j])
    return out


def rsi(x: Data, window: int = 14) -> Data:
    """Wilder's relative strength index, 0..100: 100 only gains, 0 only losses, 50 no change at all."""
    return like(rsi_nb(to_array(x), check_int(window)), x)

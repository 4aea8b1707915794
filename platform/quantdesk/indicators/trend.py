"""Trend strength: the average directional index (ADX) with +DI and −DI, J. Welles Wilder (1978).

Definition (pinned by ``tests/unit/indicators/test_indicators_trend.py``), for bars t >= 1:

* ``up = high[t] - high[t-1]``, ``down = low[t-1] - low[t]``; ``+DM = up`` if ``up > down`` and
  ``up > 0`` else 0; ``−DM = down`` if ``down > up`` and ``down > 0`` else 0; ``TR`` is the true range
  (with the previous close).
* TR, +DM and −DM are Wilder-smoothed: seeded with the mean of their first ``window`` values (bars 1 to
  ``window``), then ``s[t] = (s[t-1] * (window - 1) + v[t]) / window``. (Wilder's running sums,
  ``S - S / window + v``, are ``window`` times these, so the ratios below are the same.)
* ``+DI = 100 * +DM_s / TR_s``, ``−DI = 100 * −DM_s / TR_s``: first at bar ``window``.
  ``DX = 100 * |+DI − −DI| / (+DI + −DI)``.
* ADX is DX Wilder-smoothed the same way: the mean of the first ``window`` DX values, then Wilder, so the
  first ADX is at bar ``2 * window - 1`` (the first ``2 * window - 1`` values are NaN).
* Degenerate bars: where ``TR_s`` is 0 (no range at all) +DI and −DI are 0, and where ``+DI + −DI`` is 0
  DX is 0 (no direction), as TA-Lib does.
* Causal. Missing bars (NaN or ±inf in high, low or close) are skipped: the outputs there are NaN and the
  next bar is compared with the last valid one, so the result equals that on the bars with the missing ones
  dropped, put back on the original index.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numba import njit

from quantdesk.indicators._inputs import check_int, frame, to_arrays
from quantdesk.indicators.errors import IndicatorError


@njit(cache=True)
def adx_nb(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, window: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Wilder's ADX, +DI and −DI (each 0..100) of 1-D float64 arrays."""
    if window < 1:
        raise IndicatorError("window must be >= 1")
    n = high.shape[0]
    adx_out = np.full(n, np.nan)
    plus_out = np.full(n, np.nan)
    minus_out = np.full(n, np.nan)
    have_prev = False
    prev_high = prev_low = prev_close = 0.0
    count = 0
    tr_s = plus_s = minus_s = 0.0
    dx_count = 0
    adx = 0.0
    for i in range(n):
        h = high[i]
        lo = low[i]
        c = close[i]
        if not (np.isfinite(h) and np.isfinite(lo) and np.isfinite(c)):
            continue
        if not have_prev:
            have_prev = True
            prev_high, prev_low, prev_close = h, lo, c
            continue
        tr = max(h - lo, abs(h - prev_close), abs(lo - prev_close))
        up = h - prev_high
        down = prev_low - lo
        plus_dm = up if up > down and up > 0.0 else 0.0
        minus_dm = down if down > up and down > 0.0 else 0.0
        prev_high, prev_low, prev_close = h, lo, c
        if count < window:
            tr_s += tr
            plus_s += plus_dm
            minus_s += minus_dm
            count += 1
            if count < window:
                continue
            tr_s /= window
            plus_s /= window
            minus_s /= window
        else:
            tr_s = (tr_s * (window - 1) + tr) / window
            plus_s = (plus_s * (window - 1) + plus_dm) / window
            minus_s = (minus_s * (window - 1) + minus_dm) / window
        plus_di = 100.0 * plus_s / tr_s if tr_s > 0.0 else 0.0
        minus_di = 100.0 * minus_s / tr_s if tr_s > 0.0 else 0.0
        di_sum = plus_di + minus_di
        dx = 100.0 * abs(plus_di - minus_di) / di_sum if di_sum > 0.0 else 0.0
        plus_out[i] = plus_di
        minus_out[i] = minus_di
        if dx_count < window:
            adx += dx
            dx_count += 1
            if dx_count < window:
                continue
            adx /= window
        else:
            adx = (adx * (window - 1) + dx) / window
        adx_out[i] = adx
    return adx_out, plus_out, minus_out


def adx(high: pd.Series, low: pd.Series, close: pd.Series, window: int = 14) -> pd.DataFrame:
    """Wilder's directional movement system: a DataFrame with columns ``adx``, ``plus_di``, ``minus_di``
    (each 0..100) on the index of the inputs, which must be Series with one index."""
    w = check_int(window)
    for name, value in (("high", high), ("low", low), ("close", close)):
        if not isinstance(value, pd.Series):
            raise IndicatorError(f"{name} must be a pandas Series, got {type(value).__name__}")
    h, lo, c = to_arrays(high=high, low=low, close=close)
    adx_values, plus_di, minus_di = adx_nb(h, lo, c, w)
    return frame({"adx": adx_values, "plus_di": plus_di, "minus_di": minus_di}, high)

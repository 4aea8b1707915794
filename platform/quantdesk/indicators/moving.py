"""Moving averages and rolling dispersion: SMA, EMA, rolling standard deviation, z-score, Bollinger bands.

Conventions (pinned by ``tests/unit/indicators/test_indicators_moving.py``):

* Causal: the value at t uses the inputs up to and including t only.
* Missing inputs are NaN and ±inf. For the window statistics (SMA, rolling std, z-score, Bollinger) a
  missing value anywhere in the window makes that output NaN, and the first ``window - 1`` outputs are NaN.
* EMA is seeded with the SMA of the first ``window`` values (NaN before index ``window - 1``), then
  ``ema[t] = ema[t-1] + alpha * (x[t] - ema[t-1])`` with ``alpha = 2 / (window + 1)``, the convention of
  TA-Lib. Missing inputs are skipped: the output there is NaN and the recursion resumes from the last value,
  so ``ema(x)`` equals ``ema(x.dropna())`` put back on ``x``'s index (leading NaNs just delay the seed).
* Rolling standard deviation is the sample one, ``ddof=1`` (pandas' default), so its window is >= 2;
  Bollinger bands use it too. A window whose values are all equal has a mean equal to that value and a
  standard deviation of exactly 0, and its z-score is NaN (never ±inf).
* Accuracy: the kernels are O(n) running sums (a sliding Welford update for the variance, on values shifted
  by a recent one) recomputed from scratch every ``window`` steps, so rounding error cannot build up: over
  a million prices the results match a two-pass computation of each window to ~1e-14 relative. Computed on
  any prefix ``x[:t+1]`` the value at t is bit-for-bit the same; on a series that starts later it may
  differ in the last bits (the recompute points move).

Kernels (``*_nb``) take a float64 array, 1-D or 2-D (2-D: each column on its own), and return new arrays
of the same shape. The wrappers take a Series, a DataFrame (column by column) or an array and return the
same type with the same index and name or columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numba import njit

from quantdesk.indicators._inputs import Data, check_int, frame, like, run_kernel, to_array, to_series_array
from quantdesk.indicators._kernels import empty_output
from quantdesk.indicators.errors import IndicatorError


@njit(cache=True)
def _sma_1d(a: np.ndarray, window: int, out: np.ndarray) -> None:
    last_missing = -1
    stale = True
    since = 0
    run = 0
    total = 0.0
    for i in range(a.shape[0]):
        x = a[i]
        if not np.isfinite(x):
            last_missing = i
            stale = True
            out[i] = np.nan
            continue
        run = run + 1 if i > 0 and x == a[i - 1] else 1
        if i - last_missing < window:
            out[i] = np.nan
            continue
        if stale or since >= window:
            total = 0.0
            for k in range(i - window + 1, i + 1):
                total += a[k]
            stale = False
            since = 0
        else:
            total += x - a[i - window]
            since += 1
        out[i] = x if run >= window else total / window


_MEAN_STD = 0
_STD = 1
_ZSCORE = 2


@njit(cache=True)
def _moments_1d(a: np.ndarray, window: int, mode: int, out1: np.ndarray, out2: np.ndarray) -> None:
    # One pass of a sliding Welford update (sample variance). Mode _MEAN_STD writes the mean to out1 and
    # the std to out2; _STD writes the std and _ZSCORE the z-score to out1, leaving out2 alone. Values are
    # shifted by a recent one (`shift`) so the running mean is small and carries little absolute rounding
    # error; the window sum is compensated (Neumaier); all is recomputed from scratch every `window` steps.
    inv_w = 1.0 / window
    inv_dof = 1.0 / (window - 1)
    last_missing = -1
    stale = True
    since = 0
    run = 0
    shift = 0.0
    total = 0.0
    comp = 0.0
    mean = 0.0
    m2 = 0.0
    for i in range(a.shape[0]):
        x = a[i]
        if not np.isfinite(x):
            last_missing = i
            stale = True
            out1[i] = np.nan
            if mode == _MEAN_STD:
                out2[i] = np.nan
            continue
        run = run + 1 if i > 0 and x == a[i - 1] else 1
        if i - last_missing < window:
            out1[i] = np.nan
            if mode == _MEAN_STD:
                out2[i] = np.nan
            continue
        if stale or since >= window:
            shift = x
            total = 0.0
            for k in range(i - window + 1, i + 1):
                total += a[k] - shift
            comp = 0.0
            mean = total * inv_w
            m2 = 0.0
            for k in range(i - window + 1, i + 1):
                d = (a[k] - shift) - mean
                m2 += d * d
            stale = False
            since = 0
        else:
            old = a[i - window]
            delta = x - old
            t = total + delta
            if abs(total) >= abs(delta):
                comp += (total - t) + delta
            else:
                comp += (delta - t) + total
            total = t
            new_mean = (total + comp) * inv_w
            m2 += delta * (((x - shift) - new_mean) + ((old - shift) - mean))
            mean = new_mean
            since += 1
        if mode == _ZSCORE:
            flat = run >= window or m2 <= 0.0
            out1[i] = np.nan if flat else ((x - shift) - mean) / np.sqrt(m2 * inv_dof)
        else:
            std = 0.0 if run >= window else np.sqrt(max(m2, 0.0) * inv_dof)
            if mode == _STD:
                out1[i] = std
            else:
                out1[i] = x if run >= window else shift + mean
                out2[i] = std


@njit(cache=True)
def _ema_1d(a: np.ndarray, window: int, out: np.ndarray) -> None:
    alpha = 2.0 / (window + 1.0)
    count = 0
    total = 0.0
    value = np.nan
    for i in range(a.shape[0]):
        x = a[i]
        if not np.isfinite(x):
            out[i] = np.nan
            continue
        if count < window:
            total += x
            count += 1
            if count == window:
                value = total / window
            out[i] = value
        else:
            value += alpha * (x - value)
            out[i] = value


@njit(cache=True)
def sma_nb(a: np.ndarray, window: int) -> np.ndarray:
    """Simple moving average of a 1-D or 2-D (column by column) float64 array."""
    if window < 1:
        raise IndicatorError("window must be >= 1")
    out = empty_output(a)
    if a.ndim == 1:
        _sma_1d(a, window, out)
    else:
        for j in range(a.shape[1]):
            _sma_1d(a[:, j], window, out[:, j])
    return out


@njit(cache=True)
def ema_nb(a: np.ndarray, window: int) -> np.ndarray:
    """Exponential moving average (SMA seed, ``alpha = 2 / (window + 1)``), 1-D or 2-D."""
    if window < 1:
        raise IndicatorError("window must be >= 1")
    out = empty_output(a)
    if a.ndim == 1:
        _ema_1d(a, window, out)
    else:
        for j in range(a.shape[1]):
            _ema_1d(a[:, j], window, out[:, j])
    return out


@njit(cache=True)
def rolling_mean_std_nb(a: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Rolling mean and sample standard deviation (ddof=1) over ``window``, 1-D or 2-D."""
    if window < 2:
        raise IndicatorError("window must be >= 2")
    mean = empty_output(a)
    std = empty_output(a)
    if a.ndim == 1:
        _moments_1d(a, window, _MEAN_STD, mean, std)
    else:
        for j in range(a.shape[1]):
            _moments_1d(a[:, j], window, _MEAN_STD, mean[:, j], std[:, j])
    return mean, std


@njit(cache=True)
def rolling_std_nb(a: np.ndarray, window: int) -> np.ndarray:
    """Rolling sample standard deviation (ddof=1) over ``window``, 1-D or 2-D."""
    if window < 2:
        raise IndicatorError("window must be >= 2")
    out = empty_output(a)
    if a.ndim == 1:
        _moments_1d(a, window, _STD, out, out)
    else:
        for j in range(a.shape[1]):
            _moments_1d(a[:, j], window, _STD, out[:, j], out[:, j])
    return out


@njit(cache=True)
def zscore_nb(a: np.ndarray, window: int) -> np.ndarray:
    """``(x - rolling mean) / rolling std`` over ``window`` (ddof=1); NaN where the std is 0."""
    if window < 2:
        raise IndicatorError("window must be >= 2")
    out = empty_output(a)
    if a.ndim == 1:
        _moments_1d(a, window, _ZSCORE, out, out)
    else:
        for j in range(a.shape[1]):
            _moments_1d(a[:, j], window, _ZSCORE, out[:, j], out[:, j])
    return out


def sma(x: Data, window: int) -> Data:
    """Simple moving average: the mean of the last ``window`` values (NaN until the window is full)."""
    return like(run_kernel(sma_nb, to_array(x), check_int(window)), x)


def ema(x: Data, window: int) -> Data:
    """Exponential moving average with ``alpha = 2 / (window + 1)``, seeded with the first SMA."""
    return like(run_kernel(ema_nb, to_array(x), check_int(window)), x)


def rolling_std(x: Data, window: int) -> Data:
    """Sample standard deviation (ddof=1) of the last ``window`` values."""
    return like(run_kernel(rolling_std_nb, to_array(x), check_int(window, minimum=2)), x)


def zscore(x: Data, window: int) -> Data:
    """``(x - sma(x, window)) / rolling_std(x, window)``; NaN where the window is flat."""
    return like(run_kernel(zscore_nb, to_array(x), check_int(window, minimum=2)), x)


def bollinger(x: pd.Series, window: int = 20, k: float = 2.0) -> pd.DataFrame:
    """Bollinger bands: columns ``middle`` (SMA), ``upper`` and ``lower`` (``middle ± k·std``, ddof=1)."""
    w = check_int(window, minimum=2)
    if isinstance(k, bool) or not isinstance(k, int | float) or not np.isfinite(k) or k < 0:
        raise IndicatorError(f"k must be a finite number >= 0, got {k!r}")
    middle, std = rolling_mean_std_nb(to_series_array(x), w)
    return frame({"middle": middle, "upper": middle + k * std, "lower": middle - k * std}, x)

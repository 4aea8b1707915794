"""Market regime statistics over a rolling window: the Hurst exponent and Lo–MacKinlay variance ratios.

Both take a *level* series: log prices, or the spread of a pair; not returns. Each output at t uses the
``window`` observations ending at t (causal); the first ``window - 1`` outputs are NaN, and a missing value
(NaN or ±inf) anywhere in the window makes that output NaN.

Hurst exponent, by the variance-of-lagged-differences method (not rescaled range): for lags
``tau = 1..max_lag``, ``m(tau)`` is the mean of ``(x[s] - x[s - tau])**2`` over the pairs inside the window,
and since ``m(tau) ~ tau ** (2H)``, H is half the least-squares slope of ``log m(tau)`` on ``log tau``.
About 0.5 for a random walk, below 0.5 for a mean-reverting series (about 0 for a stationary one), above
0.5 for a persistent or trending one (1 for a straight line). The squared differences are not demeaned, so
a drift counts as trend. A window in which x does not move has no exponent (NaN). O(n * max_lag) running
sums, recomputed from scratch every ``window`` steps.

Variance ratio (Lo and MacKinlay, 1988): with the ``N = window - 1`` one-step changes of the window and
``mu`` their mean, ``VR(q) = sigma_c^2(q) / sigma_a^2`` where ``sigma_a^2 = sum (dx - mu)^2 / (N - 1)`` and
``sigma_c^2(q) = sum over overlapping q-step changes (x[k] - x[k-q] - q*mu)^2 / m`` with
``m = q (N - q + 1) (1 - q / N)`` (their unbiased estimators). ``z`` is the homoskedastic statistic
``(VR - 1) / sqrt(2 (2q - 1) (q - 1) / (3 q N))`` and ``z_robust`` the heteroskedasticity-consistent
``z*(q)``; both are asymptotically standard normal under the random walk hypothesis. VR < 1 means mean
reversion, VR > 1 momentum. A window whose changes are all equal gives NaN. O(n * window * q).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numba import njit

from quantdesk.indicators._inputs import Data, check_int, frame, like, per_column, to_array, to_series_array
from quantdesk.indicators.errors import IndicatorError


@njit(cache=True)
def hurst_nb(x: np.ndarray, window: int, max_lag: int) -> np.ndarray:
    """Rolling Hurst exponent of a 1-D level series (variance of lagged differences, lags 1..max_lag)."""
    if max_lag < 2:
        raise IndicatorError("max_lag must be >= 2")
    if window < 2 * max_lag:
        raise IndicatorError("window must be >= 2 * max_lag")
    n = x.shape[0]
    out = np.full(n, np.nan)
    # H = 0.5 * slope = sum_tau weight[tau] * log m(tau), with the OLS weights of log tau.
    log_lag = np.log(np.arange(1, max_lag + 1).astype(np.float64))
    centred = log_lag - log_lag.mean()
    weight = 0.5 * centred / (centred * centred).sum()
    sums = np.zeros(max_lag)
    last_missing = -1
    stale = True
    since = 0
    run = 0
    for i in range(n):
        xi = x[i]
        if not np.isfinite(xi):
            last_missing = i
            stale = True
            continue
        run = run + 1 if i > 0 and xi == x[i - 1] else 1
        if i - last_missing < window:
            continue
        start = i - window + 1
        if stale or since >= window:
            for lag in range(1, max_lag + 1):
                total = 0.0
                for s in range(start + lag, i + 1):
                    d = x[s] - x[s - lag]
                    total += d * d
                sums[lag - 1] = total
            stale = False
            since = 0
        else:
            for lag in range(1, max_lag + 1):
                d_new = xi - x[i - lag]
                d_old = x[start - 1 + lag] - x[start - 1]
                sums[lag - 1] += d_new * d_new - d_old * d_old
            since += 1
        if run >= window:
            continue
        h = 0.0
        for lag in range(1, max_lag + 1):
            total = sums[lag - 1]
            if total <= 0.0:
                h = np.nan
                break
            h += weight[lag - 1] * np.log(total / (window - lag))
        out[i] = h
    return out


@njit(cache=True)
def variance_ratio_nb(x: np.ndarray, window: int, q: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rolling Lo–MacKinlay variance ratio of a 1-D level series: ``(vr, z, z_robust)`` arrays."""
    if q < 2:
        raise IndicatorError("q must be >= 2")
    if window < 2 * q + 1:
        raise IndicatorError("window must be >= 2 * q + 1")
    n = x.shape[0]
    vr_out = np.full(n, np.nan)
    z_out = np.full(n, np.nan)
    robust_out = np.full(n, np.nan)
    count = window - 1
    m = q * (count - q + 1) * (1.0 - q / count)
    z_scale = np.sqrt(2.0 * (2 * q - 1) * (q - 1) / (3.0 * q * count))
    sq = np.empty(count)  # squared demeaned one-step changes of the current window
    last_missing = -1
    for i in range(n):
        if not np.isfinite(x[i]):
            last_missing = i
            continue
        if i - last_missing < window:
            continue
        start = i - window + 1
        mu = (x[i] - x[start]) / count
        sum_a = 0.0
        for k in range(count):
            e = (x[start + k + 1] - x[start + k]) - mu
            sq[k] = e * e
            sum_a += sq[k]
        if sum_a <= 0.0:
            continue
        sum_c = 0.0
        for k in range(start + q, i + 1):
            e = (x[k] - x[k - q]) - q * mu
            sum_c += e * e
        vr = (sum_c / m) / (sum_a / (count - 1))
        theta = 0.0
        for j in range(1, q):
            cross = 0.0
            for k in range(j, count):
                cross += sq[k] * sq[k - j]
            w = 2.0 * (q - j) / q
            theta += w * w * count * cross / (sum_a * sum_a)
        vr_out[i] = vr
        z_out[i] = (vr - 1.0) / z_scale
        robust_out[i] = np.sqrt(count) * (vr - 1.0) / np.sqrt(theta) if theta > 0.0 else np.nan
    return vr_out, z_out, robust_out


def hurst(x: Data, window: int, max_lag: int = 20) -> Data:
    """Rolling Hurst exponent of a level series (e.g. log prices) by the variance of lagged differences:
    ~0.5 random walk, < 0.5 mean reverting, > 0.5 trending. Needs ``window >= 2 * max_lag``."""
    lag = check_int(max_lag, "max_lag", minimum=2)
    w = check_int(window, minimum=2 * lag, why=f"at least 2 * max_lag, max_lag being {lag}")
    return like(per_column(hurst_nb, to_array(x), w, lag), x)


def variance_ratio(x: pd.Series, window: int, q: int = 2) -> pd.DataFrame:
    """Rolling Lo–MacKinlay variance ratio of a level series (e.g. log prices) over ``window`` observations:
    a DataFrame with columns ``vr``, ``z`` (homoskedastic) and ``z_robust`` (heteroskedasticity-consistent).
    Needs ``window >= 2 * q + 1``."""
    periods = check_int(q, "q", minimum=2)
    w = check_int(window, minimum=2 * periods + 1, why=f"at least 2 * q + 1 prices, q being {periods}")
    vr, z, z_robust = variance_ratio_nb(to_series_array(x), w, periods)
    return frame({"vr": vr, "z": z, "z_robust": z_robust}, x)

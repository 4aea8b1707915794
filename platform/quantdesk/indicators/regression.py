"""Rolling least squares for pairs: the hedge ratio of y on x, with an intercept, and the spread.

Over each window of the last ``window`` bars (the current one included), ordinary least squares of
``y = alpha + beta * x`` gives ``beta = cov(x, y) / var(x)`` and ``alpha = mean(y) - beta * mean(x)``; the
spread at t is ``y[t] - alpha[t] - beta[t] * x[t]``, the residual of the current bar in the fit that
includes it (causal: nothing after t is used).

Conventions (pinned by ``tests/unit/indicators/test_indicators_regression.py``): the first ``window - 1``
values are NaN; a missing value (NaN or ±inf) in x or y anywhere in the window makes that output NaN; a
window in which x does not vary has no hedge ratio (NaN). O(n) sliding co-moments, recomputed from scratch
every ``window`` steps, matching a per-window fit to ~1e-12.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numba import njit

from quantdesk.indicators._inputs import check_int, frame, to_arrays
from quantdesk.indicators.errors import IndicatorError


@njit(cache=True)
def rolling_ols_nb(y: np.ndarray, x: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rolling OLS of 1-D ``y`` on ``x`` with intercept: ``(beta, alpha, spread)`` arrays."""
    if window < 2:
        raise IndicatorError("window must be >= 2")
    n = y.shape[0]
    beta_out = np.full(n, np.nan)
    alpha_out = np.full(n, np.nan)
    spread_out = np.full(n, np.nan)
    inv_w = 1.0 / window
    last_missing = -1
    stale = True
    since = 0
    run = 0  # bars in a row with the same x
    # Sums and means are of values shifted by a recent (x, y) so they are small and accurate.
    shift_x = shift_y = 0.0
    sum_x = sum_y = 0.0
    mean_x = mean_y = 0.0
    cxx = cxy = 0.0
    for i in range(n):
        xi = x[i]
        yi = y[i]
        if not (np.isfinite(xi) and np.isfinite(yi)):
            last_missing = i
            stale = True
            continue
        run = run + 1 if i > 0 and xi == x[i - 1] else 1
        if i - last_missing < window:
            continue
        if stale or since >= window:
            shift_x = xi
            shift_y = yi
            sum_x = sum_y = 0.0
            for k in range(i - window + 1, i + 1):
                sum_x += x[k] - shift_x
                sum_y += y[k] - shift_y
            mean_x = sum_x * inv_w
            mean_y = sum_y * inv_w
            cxx = cxy = 0.0
            for k in range(i - window + 1, i + 1):
                dx = (x[k] - shift_x) - mean_x
                cxx += dx * dx
                cxy += dx * ((y[k] - shift_y) - mean_y)
            stale = False
            since = 0
        else:
            xo = x[i - window] - shift_x
            yo = y[i - window] - shift_y
            xn = xi - shift_x
            yn = yi - shift_y
            sum_x += xn - xo
            sum_y += yn - yo
            new_mean_x = sum_x * inv_w
            new_mean_y = sum_y * inv_w
            cxx += (xn - xo) * ((xn - new_mean_x) + (xo - mean_x))
            cxy += (xn - mean_x) * (yn - new_mean_y) - (xo - mean_x) * (yo - new_mean_y)
            mean_x = new_mean_x
            mean_y = new_mean_y
            since += 1
        if run >= window or cxx <= 0.0:
            continue
        beta = cxy / cxx
        beta_out[i] = beta
        alpha_out[i] = (shift_y + mean_y) - beta * (shift_x + mean_x)
        spread_out[i] = ((yi - shift_y) - mean_y) - beta * ((xi - shift_x) - mean_x)
    return beta_out, alpha_out, spread_out


def rolling_ols(y: pd.Series, x: pd.Series, window: int) -> pd.DataFrame:
    """Rolling hedge ratio of ``y`` on ``x`` with intercept: a DataFrame with columns ``beta``, ``alpha``
    and ``spread`` (``y - alpha - beta * x``) on the index of the inputs, which must be Series with one
    index."""
    w = check_int(window, minimum=2)
    for name, value in (("y", y), ("x", x)):
        if not isinstance(value, pd.Series):
            raise IndicatorError(f"{name} must be a pandas Series, got {type(value).__name__}")
    ys, xs = to_arrays(y=y, x=x)
    beta, alpha, spread = rolling_ols_nb(ys, xs, w)
    return frame({"beta": beta, "alpha": alpha, "spread": spread}, y)

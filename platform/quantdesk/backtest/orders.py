"""From a strategy's target weights to the orders the simulation executes.

Three engine-wide rules, applied the same way for the compiled kernel, vectorbt and the live runner:

1. shorting off: negative weights become 0 (flat);
2. leverage cap: a row whose gross weight (sum of |w| over the symbols it sets) exceeds the cap is scaled
   down to it;
3. a weight is acted on when it changes: a repeat of the last weight set for that symbol is no order
   (so an all-in position is not rebalanced every bar as its price moves). The order for the decision
   at bar t's close executes at bar t+1's open.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from quantdesk.model.errors import QuantdeskError


class BacktestError(QuantdeskError):
    """A backtest that cannot run as asked (bad settings, no usable bars)."""


def order_weights(target: np.ndarray, *, allow_short: bool = True, leverage: float = 1.0) -> np.ndarray:
    """All three rules: the weight to trade at each bar's open (row i = decision at row i-1's close)."""
    if not np.isfinite(leverage) or leverage <= 0:
        raise BacktestError(f"leverage cap must be a positive number, got {leverage}")
    if isinstance(target, np.ndarray) and target.dtype == np.float64 and target.flags.c_contiguous:
        weights = target
    else:
        weights = np.ascontiguousarray(target, dtype=np.float64)
    orders = np.empty(weights.shape)
    if not _order_weights_nb(weights, allow_short, leverage, orders):
        raise BacktestError("target weights must be finite numbers or NaN")
    return orders


@njit(cache=True)
def _order_weights_nb(weights: np.ndarray, allow_short: bool, leverage: float, out: np.ndarray) -> bool:
    # the three rules in one pass; row i of out is the decision of row i-1. False on an infinite weight
    n_bars, n_cols = weights.shape
    if n_cols == 1:
        return _single_order_weights_nb(weights[:, 0], allow_short, leverage, out[:, 0])
    last = np.full(n_cols, np.nan)
    row = np.empty(n_cols)
    out[0, :] = np.nan
    for i in range(n_bars):
        gross = 0.0
        for j in range(n_cols):
            w = weights[i, j]
            if np.isinf(w):
                return False
            if not allow_short and w < 0.0:
                w = 0.0
            row[j] = w
            if not np.isnan(w):
                gross += abs(w)
        scale = leverage / gross if gross > leverage * (1 + 1e-12) else 1.0
        if i + 1 < n_bars:
            for j in range(n_cols):
                w = row[j] * scale if scale != 1.0 else row[j]
                if not np.isnan(w) and (np.isnan(last[j]) or w != last[j]):
                    out[i + 1, j] = w
                    last[j] = w
                else:
                    out[i + 1, j] = np.nan
    return True


def order_list(target: np.ndarray, *, allow_short: bool = True, leverage: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """One symbol's orders under the three rules as a list: the bars to trade at (ascending, int64) and the
    weight to trade to at each; the same orders as :func:`order_weights` without the NaN rows."""
    if not np.isfinite(leverage) or leverage <= 0:
        raise BacktestError(f"leverage cap must be a positive number, got {leverage}")
    weights = np.ascontiguousarray(target, dtype=np.float64).reshape(-1)
    bars = np.empty(weights.shape[0], dtype=np.int64)
    values = np.empty(weights.shape[0])
    count = _single_orders_nb(weights, allow_short, leverage, bars, values)
    if count < 0:
        raise BacktestError("target weights must be finite numbers or NaN")
    return bars[:count].copy(), values[:count].copy()


@njit(cache=True)
def _single_order_weights_nb(weights: np.ndarray, allow_short: bool, leverage: float, out: np.ndarray) -> bool:
    # the dense form of _single_orders_nb
    bars = np.empty(weights.shape[0], dtype=np.int64)
    values = np.empty(weights.shape[0])
    count = _single_orders_nb(weights, allow_short, leverage, bars, values)
    out[:] = np.nan
    for k in range(max(count, 0)):
        out[bars[k]] = values[k]
    return count >= 0


@njit(cache=True)
def _single_orders_nb(
    weights: np.ndarray, allow_short: bool, leverage: float, bars: np.ndarray, values: np.ndarray
) -> int:
    # the rules for one symbol, where the gross exposure is |w|: writes the orders, returns how many
    # (-1 on an infinite weight)
    last = np.nan
    cap = leverage * (1 + 1e-12)
    count = 0
    for i in range(weights.shape[0] - 1):
        w = weights[i]
        if np.isinf(w):
            return -1
        if w < 0.0 and not allow_short:
            w = 0.0
        if abs(w) > cap:
            w = leverage if w > 0.0 else -leverage
        if w == w and w != last:
            bars[count] = i + 1
            values[count] = w
            count += 1
            last = w
    if weights.shape[0] and np.isinf(weights[-1]):
        return -1
    return count

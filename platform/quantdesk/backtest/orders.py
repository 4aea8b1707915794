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


@njit(cache=True)
def changes_nb(weights: np.ndarray) -> np.ndarray:
    """Weights where they differ from the last weight set for the column; NaN elsewhere."""
    out = np.full(weights.shape, np.nan)
    for j in range(weights.shape[1]):
        last = np.nan
        for i in range(weights.shape[0]):
            w = weights[i, j]
            if not np.isnan(w) and (np.isnan(last) or w != last):
                out[i, j] = w
                last = w
    return out


def decision_weights(target: np.ndarray, *, allow_short: bool, leverage: float) -> np.ndarray:
    """Rules 1 and 2 on a (T × N) target array; NaN stays NaN."""
    if not np.isfinite(leverage) or leverage <= 0:
        raise BacktestError(f"leverage cap must be a positive number, got {leverage}")
    weights = np.array(target, dtype=np.float64, copy=True)
    if np.isinf(weights).any():
        raise BacktestError("target weights must be finite numbers or NaN")
    if not allow_short:
        weights[weights < 0] = 0.0
    gross = np.nansum(np.abs(weights), axis=1)
    over = gross > leverage * (1 + 1e-12)
    if over.any():
        weights[over] *= (leverage / gross[over])[:, None]
    return weights


def order_weights(target: np.ndarray, *, allow_short: bool = True, leverage: float = 1.0) -> np.ndarray:
    """All three rules: the weight to trade at each bar's open (row i = decision at row i-1's close)."""
    acted = changes_nb(decision_weights(target, allow_short=allow_short, leverage=leverage))
    orders = np.full(acted.shape, np.nan)
    orders[1:] = acted[:-1]
    return orders

"""Fused sweep kernel for moving-average crossovers: each distinct average computed once, every
(fast, slow) pair simulated straight from them in parallel, no per-combination matrices kept.

It applies exactly the single backtest's rules (``orders.py``) and order arithmetic (``kernel.py``), so
a sweep row equals ``backtest()`` of that combination; tests hold them together.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from quantdesk.backtest.kernel import order_target_nb
from quantdesk.backtest.trades import N_STATE, fill_step_nb

# per-combination accumulators returned next to the equity chunk
A_TRADES, A_WINS, A_GROSS_PROFIT, A_GROSS_LOSS, A_SUM_PNL, A_BARS_IN_MARKET, A_FILLS = range(7)
N_ACC = 7


@njit(cache=True, parallel=True)
def ma_crossover_sweep_nb(
    open_: np.ndarray,
    close: np.ndarray,
    averages: np.ndarray,
    fast_row: np.ndarray,
    slow_row: np.ndarray,
    long_weight: float,
    other_weight: float,
    cash0: float,
    fee_rate: float,
    fixed_fee: float,
    slippage: float,
    equity_out: np.ndarray,
    acc_out: np.ndarray,
) -> None:
    """Simulate combination k (averages rows fast_row[k], slow_row[k]) into ``equity_out[:, k]``.

    The target is ``long_weight`` while fast > slow and ``other_weight`` otherwise (0.0, or the capped
    short weight), NaN while either average is NaN; it is acted on when it changes, at the next open.
    """
    n_bars = close.shape[0]
    for k in prange(fast_row.shape[0]):
        fast, slow = averages[fast_row[k]], averages[slow_row[k]]
        cash, position, last, val_price = cash0, 0.0, np.nan, np.nan
        state = np.zeros(N_STATE)
        closed = np.empty(9)
        trades = wins = gross_profit = gross_loss = sum_pnl = in_market = fills = 0.0
        for i in range(n_bars):
            if i > 0:
                val_price = close[i - 1]
                f, s = fast[i - 1], slow[i - 1]
                if not (np.isnan(f) or np.isnan(s)):
                    weight = long_weight if f > s else other_weight
                    if np.isnan(last) or weight != last:
                        last = weight
                        value = cash + position * val_price if position != 0.0 else cash
                        cash, position, filled, price, fee = order_target_nb(
                            cash, position, weight, value, val_price, open_[i], fee_rate, fixed_fee, slippage
                        )
                        if filled != 0.0:
                            fills += 1.0
                            if fill_step_nb(state, float(i), filled, price, fee, closed):
                                pnl = closed[7]
                                trades += 1.0
                                sum_pnl += pnl
                                if pnl > 0.0:
                                    wins += 1.0
                                    gross_profit += pnl
                                elif pnl < 0.0:
                                    gross_loss -= pnl
            if position != 0.0:
                in_market += 1.0
                equity_out[i, k] = cash + position * close[i]
            else:
                equity_out[i, k] = cash
        acc_out[k, A_TRADES] = trades
        acc_out[k, A_WINS] = wins
        acc_out[k, A_GROSS_PROFIT] = gross_profit
        acc_out[k, A_GROSS_LOSS] = gross_loss
        acc_out[k, A_SUM_PNL] = sum_pnl
        acc_out[k, A_BARS_IN_MARKET] = in_market
        acc_out[k, A_FILLS] = fills

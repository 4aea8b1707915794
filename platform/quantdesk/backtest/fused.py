"""Fused sweep kernel for moving-average crossovers: each distinct average computed once, every
(fast, slow) pair simulated straight from them in parallel threads, and each pair's equity curve reduced
to its metric sums on the spot, so no per-combination matrix is ever kept.

It applies exactly the single backtest's rules (``orders.py``), order arithmetic (``kernel.py``), trade
bookkeeping (``trades.py``) and metric kernels (``quantdesk.reporting``), so a sweep row equals
``backtest()`` of that combination; tests hold them together.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from quantdesk.backtest.kernel import order_target_nb
from quantdesk.backtest.trades import N_STATE, fill_step_nb
from quantdesk.reporting.metrics import curve_moments_nb

# per-combination results of ma_crossover_sweep_nb
(
    A_TRADES, A_WINS, A_GROSS_PROFIT, A_GROSS_LOSS, A_SUM_PNL, A_BARS_IN_MARKET, A_FILLS,
    A_MEAN, A_SQUARES, A_DOWNSIDE, A_RUINED, A_DEEPEST, A_LONGEST, A_FINAL,
) = range(14)  # fmt: skip
N_ACC = 14


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
    acc_out: np.ndarray,
) -> None:
    """Simulate combination k (averages rows fast_row[k], slow_row[k]) and write its sums to acc_out[k].

    The target is ``long_weight`` while fast > slow and ``other_weight`` otherwise (0.0, or the capped
    short weight), NaN while either average is NaN; it is acted on when it changes, at the next open.
    """
    n_bars = close.shape[0]
    for k in prange(fast_row.shape[0]):
        fast, slow = averages[fast_row[k]], averages[slow_row[k]]
        curve = np.empty(n_bars)
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
                curve[i] = cash + position * close[i]
            else:
                curve[i] = cash
        mean, squares, downside, ruined, deepest, longest, _ = curve_moments_nb(curve, cash0)
        acc = acc_out[k]
        acc[A_TRADES], acc[A_WINS], acc[A_GROSS_PROFIT] = trades, wins, gross_profit
        acc[A_GROSS_LOSS], acc[A_SUM_PNL], acc[A_BARS_IN_MARKET], acc[A_FILLS] = (
            gross_loss,
            sum_pnl,
            in_market,
            fills,
        )
        acc[A_MEAN], acc[A_SQUARES], acc[A_DOWNSIDE] = mean, squares, downside
        acc[A_RUINED] = 1.0 if ruined else 0.0
        acc[A_DEEPEST], acc[A_LONGEST] = deepest, longest
        acc[A_FINAL] = curve[n_bars - 1]

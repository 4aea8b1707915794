"""Statistics of closed trades, from a list of trade P&Ls or from per-column running sums.

Definitions (the platform's): a trade is a win when its P&L is > 0; every other trade (a loss or a
break-even) is a non-winning trade.

* trades: the number of closed trades.
* win_rate = wins / trades (NaN without trades).
* profit_factor = gross_profit / |gross_loss|: NaN without trades, +inf with profit but no loss, and NaN
  when there is neither (only break-even trades).
* expectancy = sum of P&L / trades: the mean P&L per trade, in money (NaN without trades).
* avg_win = gross_profit / wins; avg_loss = gross_loss / (trades - wins), the mean P&L of the non-winning
  trades (<= 0), so that ``expectancy = win_rate * avg_win + (1 - win_rate) * avg_loss``. NaN when the
  group is empty.
* best / worst trade return: the largest and smallest per-trade return (NaN without returns).

Parameter sweeps accumulate ``count, wins, gross_profit, gross_loss, sum_pnl`` per column in a compiled
kernel and call :func:`trade_stats_from_sums`; the single backtest calls :func:`trade_stats`, which
accumulates the same sums in closing order and then calls the same function.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from quantdesk.reporting._inputs import float_array
from quantdesk.reporting.errors import MetricsError

TRADE_STAT_NAMES = ("trades", "win_rate", "profit_factor", "expectancy", "avg_win", "avg_loss")


@dataclass(frozen=True, slots=True)
class TradeStats:
    """Statistics of one backtest's closed trades (see the module docstring for the definitions)."""

    trades: int
    win_rate: float
    profit_factor: float
    expectancy: float
    avg_win: float
    avg_loss: float
    best_trade_return: float
    worst_trade_return: float


@njit(cache=True)
def _trade_sums_nb(pnl: np.ndarray) -> tuple[int, int, float, float, float]:
    wins = 0
    gross_profit = 0.0
    gross_loss = 0.0
    total = 0.0
    for value in pnl:
        if value > 0.0:
            wins += 1
            gross_profit += value
        elif value < 0.0:
            gross_loss += value
        total += value
    return pnl.shape[0], wins, gross_profit, gross_loss, total


def trade_sums(pnl: np.ndarray) -> tuple[int, int, float, float, float]:
    """``(count, wins, gross_profit, gross_loss, sum_pnl)`` of closed-trade P&Ls, summed in their order.

    ``gross_loss`` is the sum of the losing P&Ls, so it is <= 0.
    """
    values = np.ascontiguousarray(float_array(pnl, "trade_pnl", ndims=(1,)))
    count, wins, gross_profit, gross_loss, total = _trade_sums_nb(values)
    return int(count), int(wins), float(gross_profit), float(gross_loss), float(total)


def trade_stats_from_sums(
    count: np.ndarray | int,
    wins: np.ndarray | int,
    gross_profit: np.ndarray | float,
    gross_loss: np.ndarray | float,
    sum_pnl: np.ndarray | float,
) -> dict[str, np.ndarray]:
    """Trade statistics of K columns from their accumulators (arrays of K values, or scalars).

    Returns one array per name in :data:`TRADE_STAT_NAMES`, shaped like the broadcast inputs;
    ``trades`` is int64, the others float64. ``gross_loss`` may be given with either sign.
    """
    n = np.asarray(count, dtype=np.int64)
    won = np.asarray(wins, dtype=np.int64)
    profit = np.asarray(gross_profit, dtype=np.float64)
    loss = np.abs(np.asarray(gross_loss, dtype=np.float64))
    total = np.asarray(sum_pnl, dtype=np.float64)
    if np.any(n < 0) or np.any(won < 0) or np.any(won > n):
        raise MetricsError("trade counts must satisfy 0 <= wins <= count")
    n, won, profit, loss, total = np.broadcast_arrays(n, won, profit, loss, total)
    lost = n - won
    with np.errstate(divide="ignore", invalid="ignore"):
        win_rate = np.where(n > 0, won / n, np.nan)
        ratio = np.where(loss > 0.0, profit / loss, np.where(profit > 0.0, np.inf, np.nan))
        profit_factor = np.where(n > 0, ratio, np.nan)
        expectancy = np.where(n > 0, total / n, np.nan)
        avg_win = np.where(won > 0, profit / won, np.nan)
        avg_loss = np.where(lost > 0, -loss / lost, np.nan)
    return {
        "trades": n.copy(),
        "win_rate": win_rate,
        "profit_factor": profit_factor,
        "expectancy": expectancy,
        "avg_win": avg_win,
        "avg_loss": avg_loss,
    }


def trade_stats(pnl: np.ndarray, returns: np.ndarray | None = None) -> TradeStats:
    """Statistics of one backtest's closed trades from their P&Ls (money) and optional returns.

    ``returns`` (one per trade, same order) only feed the best and worst trade return.
    """
    stats = trade_stats_from_sums(*trade_sums(pnl))
    best = worst = float("nan")
    if returns is not None:
        values = float_array(returns, "trade_returns", ndims=(1,))
        if len(values) != int(stats["trades"]):
            raise MetricsError(f"trade_returns has {len(values)} values but trade_pnl has {stats['trades']}")
        if len(values):
            best, worst = float(values.max()), float(values.min())
    return TradeStats(
        trades=int(stats["trades"]),
        win_rate=float(stats["win_rate"]),
        profit_factor=float(stats["profit_factor"]),
        expectancy=float(stats["expectancy"]),
        avg_win=float(stats["avg_win"]),
        avg_loss=float(stats["avg_loss"]),
        best_trade_return=best,
        worst_trade_return=worst,
    )

"""Round-trip trades from fills: a trade opens when a position leaves zero and closes when it returns.

A fill that goes through zero closes the old trade with the part that flattens it (with its share of the
fee) and opens a new trade with the rest. P&L is the trade's cash flow net of fees; a trade still open at
the end is marked at the last close. :func:`fill_step_nb` is the one definition, used both to list trades
after a backtest and inside the fused sweep kernel.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# per-symbol running state of the open trade
S_POS, S_ENTRY_BAR, S_QTY, S_ENTRY_VALUE, S_EXIT_VALUE, S_FEES, S_DIRECTION = range(7)
N_STATE = 7

# columns of the trade records returned by trades_nb
(
    T_COL,
    T_ENTRY_BAR,
    T_EXIT_BAR,
    T_DIRECTION,
    T_SIZE,
    T_ENTRY_PRICE,
    T_EXIT_PRICE,
    T_FEES,
    T_PNL,
    T_RETURN,
    T_OPEN,
) = range(11)
N_FIELDS = 11


@njit(cache=True)
def fill_step_nb(state: np.ndarray, bar: float, qty: float, price: float, fee: float, closed: np.ndarray) -> bool:
    """Apply one fill to ``state``; when it closes a trade, write that trade into ``closed`` and return True.

    ``closed`` receives (entry_bar, exit_bar, direction, size, entry_value, exit_value, fees, pnl, return).
    """
    did_close = False
    remaining, fee_left = qty, fee
    pos = state[S_POS]
    if pos != 0.0 and np.sign(qty) != np.sign(pos):
        closing = min(abs(qty), abs(pos)) * np.sign(qty)
        share = fee * abs(closing) / abs(qty)
        state[S_EXIT_VALUE] += abs(closing) * price
        state[S_FEES] += share
        state[S_POS] = pos + closing
        remaining -= closing
        fee_left -= share
        if abs(state[S_POS]) <= 1e-12 * max(1.0, state[S_QTY]):
            _record(state, bar, state[S_EXIT_VALUE], closed)
            state[:] = 0.0
            did_close = True
    if remaining != 0.0 and abs(remaining) > 1e-12 * abs(qty):
        if state[S_POS] == 0.0:
            state[S_ENTRY_BAR] = bar
            state[S_DIRECTION] = np.sign(remaining)
        state[S_POS] += remaining
        state[S_QTY] += abs(remaining)
        state[S_ENTRY_VALUE] += abs(remaining) * price
        state[S_FEES] += fee_left
    return did_close


@njit(cache=True)
def mark_open_nb(state: np.ndarray, bar: float, last_close: float, closed: np.ndarray) -> None:
    """Describe the still-open trade in ``state`` as if closed at ``last_close`` (for reports)."""
    _record(state, bar, state[S_EXIT_VALUE] + abs(state[S_POS]) * last_close, closed)


@njit(cache=True)
def _record(state: np.ndarray, exit_bar: float, exit_value: float, closed: np.ndarray) -> None:
    direction, entry_value = state[S_DIRECTION], state[S_ENTRY_VALUE]
    pnl = direction * (exit_value - entry_value) - state[S_FEES]
    closed[0] = state[S_ENTRY_BAR]
    closed[1] = exit_bar
    closed[2] = direction
    closed[3] = state[S_QTY]
    closed[4] = entry_value
    closed[5] = exit_value
    closed[6] = state[S_FEES]
    closed[7] = pnl
    closed[8] = pnl / entry_value


@njit(cache=True)
def trades_nb(fills: np.ndarray, last_close: np.ndarray, last_bar: int) -> np.ndarray:
    """Trade records from fill rows (bar, column, signed quantity, price, fee) in time order."""
    n_cols = len(last_close)
    out = np.empty((len(fills) + n_cols, N_FIELDS))
    state = np.zeros((n_cols, N_STATE))
    closed = np.empty(9)
    n = 0
    for f in range(len(fills)):
        j = int(fills[f, 1])
        if fill_step_nb(state[j], fills[f, 0], fills[f, 2], fills[f, 3], fills[f, 4], closed):
            _write(out[n], j, closed, 0.0)
            n += 1
    for j in range(n_cols):
        if state[j, S_POS] != 0.0:
            mark_open_nb(state[j], last_bar, last_close[j], closed)
            _write(out[n], j, closed, 1.0)
            n += 1
    return out[:n]


@njit(cache=True)
def _write(row: np.ndarray, col: int, closed: np.ndarray, is_open: float) -> None:
    row[T_COL] = col
    row[T_ENTRY_BAR] = closed[0]
    row[T_EXIT_BAR] = closed[1]
    row[T_DIRECTION] = closed[2]
    row[T_SIZE] = closed[3]
    row[T_ENTRY_PRICE] = closed[4] / closed[3]
    row[T_EXIT_PRICE] = closed[5] / closed[3]
    row[T_FEES] = closed[6]
    row[T_PNL] = closed[7]
    row[T_RETURN] = closed[8]
    row[T_OPEN] = is_open

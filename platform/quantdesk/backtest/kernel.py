"""The compiled simulation: target weights decided at bar t's close, filled at bar t+1's open.

One group of symbols shares one cash account. At each bar i (from the second), for every symbol whose
target changed at bar i-1's close:

* the account is valued at the previous close (what a live system knows when it decides),
* the order size is ``weight × value / previous close − position`` shares,
* sells go before buys (orders sorted by value), so sells free cash for buys,
* a buy fills at ``open × (1 + slippage)`` and is cut to what the cash can pay including fees; a sell
  (or short sale) fills at ``open × (1 − slippage)``; fees are ``rate × notional + fixed``.

Equity is marked at each bar's close. The arithmetic (including the 1e-9 relative / 1e-12 absolute
tolerances used to snap near-zero quantities) follows vectorbt's ``from_orders`` with target-percent
sizing, so the vectorbt path gives the same fills and equity; tests hold the two together.
"""

from __future__ import annotations

import numpy as np
from numba import njit

REL_TOL = 1e-9
ABS_TOL = 1e-12

# columns of the fill records returned by the simulations: the fill, then the symbol's position and the
# account's cash right after it (from which the position and cash paths are rebuilt on demand)
FILL_BAR, FILL_COL, FILL_SIZE, FILL_PRICE, FILL_FEE, FILL_POSITION, FILL_CASH = range(7)
N_FILL_FIELDS = 7


@njit(cache=True)
def is_close_nb(a: float, b: float) -> bool:
    if np.isnan(a) or np.isnan(b) or np.isinf(a) or np.isinf(b):
        return False
    if a == b:
        return True
    return abs(a - b) <= max(REL_TOL * max(abs(a), abs(b)), ABS_TOL)


@njit(cache=True)
def add_nb(a: float, b: float) -> float:
    """a + b, snapped to 0 when the two cancel within tolerance."""
    if np.sign(a) != np.sign(b):
        if is_close_nb(abs(a), abs(b)):
            return 0.0
    elif is_close_nb(a + b, 0.0):
        return 0.0
    return a + b


@njit(cache=True)
def _snap(x: float) -> float:
    return 0.0 if is_close_nb(x, 0.0) else x


@njit(cache=True)
def order_target_nb(
    cash: float,
    position: float,
    weight: float,
    value: float,
    val_price: float,
    price: float,
    fee_rate: float,
    fixed_fee: float,
    slippage: float,
) -> tuple[float, float, float, float, float]:
    """Move ``position`` toward ``weight`` of ``value``; returns (cash, position, filled, fill price, fee).

    ``filled`` is the signed quantity traded (0.0 when nothing was traded).
    """
    cash = _snap(cash)
    position = _snap(position)
    val_price = _snap(val_price)
    value = _snap(value)
    if np.isnan(weight) or np.isnan(price) or np.isnan(value) or value <= 0.0:
        return cash, position, 0.0, np.nan, 0.0
    if np.isnan(val_price) or np.isinf(val_price) or val_price <= 0.0 or price <= 0.0:
        return cash, position, 0.0, np.nan, 0.0
    size = weight * value / val_price - position
    if size > 0.0:
        fill_price = price * (1.0 + slippage)
        if cash == 0.0:
            return cash, position, 0.0, np.nan, 0.0
        required = size * fill_price
        fee = required * fee_rate + fixed_fee
        total = required + fee
        if is_close_nb(total, cash) or total < cash:
            bought, spent = size, total
        else:
            affordable = add_nb(cash, -fixed_fee) / (1.0 + fee_rate)
            if affordable <= 0.0:
                return cash, position, 0.0, np.nan, 0.0
            bought, fee, spent = affordable / fill_price, cash - affordable, cash
        if is_close_nb(size, 0.0):
            return cash, position, 0.0, np.nan, 0.0
        return add_nb(cash, -spent), add_nb(position, bought), bought, fill_price, fee
    sold = -size
    if is_close_nb(sold, 0.0):
        return cash, position, 0.0, np.nan, 0.0
    fill_price = price * (1.0 - slippage)
    proceeds = sold * fill_price
    fee = proceeds * fee_rate + fixed_fee
    received = add_nb(proceeds, -fee)
    if received < 0.0:
        return cash, position, 0.0, np.nan, 0.0
    return cash + received, add_nb(position, -sold), -sold, fill_price, fee


@njit(cache=True)
def _insert_argsort(values: np.ndarray, order: np.ndarray) -> None:
    # stable insertion sort with NaN last, as vectorbt orders a bar's calls
    for j in range(1, len(values)):
        v, o = values[j], order[j]
        i = j - 1
        while i >= 0 and (values[i] > v or np.isnan(values[i])):
            values[i + 1] = values[i]
            order[i + 1] = order[i]
            i -= 1
        values[i + 1] = v
        order[i + 1] = o


@njit(cache=True)
def simulate_nb(
    open_: np.ndarray,
    close: np.ndarray,
    orders: np.ndarray,
    cash0: float,
    fee_rate: float,
    fixed_fee: float,
    slippage: float,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Simulate T bars × N symbols of one cash account.

    ``orders[i, j]`` is the target weight of symbol j to trade at bar i's open (NaN: no order), i.e. the
    decision taken at bar i-1's close (see :func:`quantdesk.backtest.orders.order_weights`). Returns equity
    (T), the fill records (see ``FILL_*``) and the number of bars that end holding a position.
    """
    n_bars, n_cols = close.shape
    equity = np.empty(n_bars)
    fills = np.empty((n_bars * n_cols, N_FILL_FIELDS))
    n_fills = 0
    in_market = 0
    cash = cash0
    position = np.zeros(n_cols)
    val_price = np.full(n_cols, np.nan)
    order_value = np.empty(n_cols)
    call_seq = np.empty(n_cols, dtype=np.int64)
    for i in range(n_bars):
        if i > 0:
            for j in range(n_cols):
                if not np.isnan(close[i - 1, j]):
                    val_price[j] = close[i - 1, j]
        any_order = False
        for j in range(n_cols):
            if not np.isnan(orders[i, j]):
                any_order = True
        if any_order:
            value = cash
            for j in range(n_cols):
                if position[j] != 0.0:
                    value += position[j] * val_price[j]
            for j in range(n_cols):
                call_seq[j] = j
                order_value[j] = orders[i, j] * value - position[j] * val_price[j]
            if n_cols > 1:
                _insert_argsort(order_value, call_seq)
            for k in range(n_cols):
                j = call_seq[k]
                cash, position[j], filled, price, fee = order_target_nb(
                    cash,
                    position[j],
                    orders[i, j],
                    value,
                    val_price[j],
                    open_[i, j],
                    fee_rate,
                    fixed_fee,
                    slippage,
                )
                if filled != 0.0:
                    _record_fill(fills[n_fills], i, j, filled, price, fee, position[j], cash)
                    n_fills += 1
        marked = cash
        held = False
        for j in range(n_cols):
            if position[j] != 0.0:
                held = True
                marked += position[j] * close[i, j]
        equity[i] = marked
        if held:
            in_market += 1
    return equity, fills[:n_fills], in_market


@njit(cache=True)
def simulate_single_nb(
    open_: np.ndarray,
    close: np.ndarray,
    order_bars: np.ndarray,
    order_weights: np.ndarray,
    cash0: float,
    fee_rate: float,
    fixed_fee: float,
    slippage: float,
) -> tuple[np.ndarray, np.ndarray, int]:
    """:func:`simulate_nb` for one symbol, with its orders as a list (bar k trades to weight k, in bar
    order; see :func:`quantdesk.backtest.orders.order_list`): the same arithmetic, bit for bit, but the
    bars between two orders are marked in one tight loop instead of being walked one by one."""
    n_bars = close.shape[0]
    equity = np.empty(n_bars)
    fills = np.empty((order_bars.shape[0], N_FILL_FIELDS))
    n_fills = 0
    in_market = 0
    cash, position, val_price = cash0, 0.0, np.nan
    start = 0
    for k in range(order_bars.shape[0]):
        bar = order_bars[k]
        in_market += _mark_nb(close, cash, position, start, bar, equity)
        for i in range(bar - 1, start - 2 if start > 0 else -1, -1):  # the last known close before the bar
            if not np.isnan(close[i]):
                val_price = close[i]
                break
        value = cash + position * val_price if position != 0.0 else cash
        cash, position, filled, price, fee = order_target_nb(
            cash, position, order_weights[k], value, val_price, open_[bar], fee_rate, fixed_fee, slippage
        )
        if filled != 0.0:
            _record_fill(fills[n_fills], bar, 0, filled, price, fee, position, cash)
            n_fills += 1
        start = bar
    in_market += _mark_nb(close, cash, position, start, n_bars, equity)
    return equity, fills[:n_fills], in_market


@njit(cache=True)
def _mark_nb(close: np.ndarray, cash: float, position: float, first: int, last: int, equity: np.ndarray) -> int:
    # equity at the closes of bars first..last-1 holding `position`; returns the bars held
    if position == 0.0:
        equity[first:last] = cash
        return 0
    for i in range(first, last):
        equity[i] = cash + position * close[i]
    return last - first


@njit(cache=True)
def _record_fill(
    row: np.ndarray, bar: int, col: int, filled: float, price: float, fee: float, position: float, cash: float
) -> None:
    row[FILL_BAR] = bar
    row[FILL_COL] = col
    row[FILL_SIZE] = filled
    row[FILL_PRICE] = price
    row[FILL_FEE] = fee
    row[FILL_POSITION] = position
    row[FILL_CASH] = cash


@njit(cache=True)
def paths_nb(fills: np.ndarray, n_bars: int, n_cols: int, cash0: float) -> tuple[np.ndarray, np.ndarray]:
    """The position of every symbol (T × N) and the cash (T) at each bar's close, from the fill records."""
    positions = np.zeros((n_bars, n_cols))
    cash_path = np.empty(n_bars)
    held = np.zeros(n_cols)
    cash = cash0
    f = 0
    for i in range(n_bars):
        while f < fills.shape[0] and fills[f, FILL_BAR] == i:
            held[int(fills[f, FILL_COL])] = fills[f, FILL_POSITION]
            cash = fills[f, FILL_CASH]
            f += 1
        positions[i] = held
        cash_path[i] = cash
    return positions, cash_path

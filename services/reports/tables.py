"""Round-trip trades and transactions of a deployment from its fills, and CSV text.

Trades are listed by the engine's own definition (:mod:`quantdesk.backtest.trades`): a trade opens when a
position leaves zero and closes when it returns; a fill through zero closes one and opens the next. A
deployment's trade still open has no exit yet (its value is in the positions), so its exit fields are empty.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

import numpy as np
import pandas as pd

from quantdesk.backtest.result import trades_frame
from quantdesk.backtest.trades import trades_nb
from quantdesk.model import Fill
from quantdesk.persistence import Deployment
from quantdesk.portfolio import AccountType, Ledger

TRADE_COLUMNS = ("symbol", "direction", "entry_time", "exit_time", "size", "entry_price", "exit_price", "fees",
                 "pnl", "return", "duration", "status")  # fmt: skip
_EXIT_COLUMNS = ("exit_time", "exit_price", "pnl", "return", "duration")
TRANSACTION_COLUMNS = ("time", "symbol", "side", "quantity", "price", "fee", "cash_after", "client_order_id",
                       "trade_id")  # fmt: skip


def bar_index(curve_times: Iterable[datetime], fills: Sequence[Fill]) -> pd.DatetimeIndex:
    """The bars of a deployment: its equity snapshots' times, and any fill time among them."""
    stamps = {pd.Timestamp(ts) for ts in curve_times} | {pd.Timestamp(f.ts) for f in fills}
    return pd.DatetimeIndex(sorted(stamps), name="ts")


def round_trips(fills: Sequence[Fill], index: pd.DatetimeIndex, symbols: Sequence[str]) -> pd.DataFrame:
    """The deployment's trades, in the columns of ``BacktestResult.trades``."""
    column = {s: k for k, s in enumerate(symbols)}
    rows = np.array(
        [[index.get_loc(pd.Timestamp(f.ts)), column[str(f.symbol)], float(f.signed_quantity), float(f.price),
          float(f.fee)] for f in fills],
        dtype=np.float64,
    ).reshape(-1, 5)  # fmt: skip
    records = trades_nb(rows, np.full(len(symbols), np.nan), max(len(index) - 1, 0))
    frame = trades_frame(records, index, tuple(symbols)).astype(dict.fromkeys(_EXIT_COLUMNS, object))
    frame.loc[frame["status"] == "open", list(_EXIT_COLUMNS)] = None
    return frame


def time_in_market(fills: Sequence[Fill], index: pd.DatetimeIndex, symbols: Sequence[str]) -> float:
    """The fraction of bar closes at which any position was held."""
    held = np.zeros((len(index), len(symbols)))
    column = {s: k for k, s in enumerate(symbols)}
    for fill in fills:
        held[index.get_loc(pd.Timestamp(fill.ts)), column[str(fill.symbol)]] += float(fill.signed_quantity)
    positions = np.cumsum(held, axis=0)
    return float(np.mean(np.any(np.abs(positions) > 1e-12, axis=1))) if len(index) else 0.0


def transactions(deployment: Deployment, fills: Sequence[Fill]) -> list[tuple[object, ...]]:
    """Every fill with the account's cash right after it (the ledger's arithmetic, exact)."""
    ledger = Ledger(deployment.cash, AccountType(str(deployment.account_type)))
    rows = []
    for fill in fills:
        ledger.apply(fill)
        rows.append((fill.ts, fill.symbol, fill.side, fill.quantity, fill.price, fill.fee, ledger.cash,
                     fill.client_order_id, fill.trade_id))  # fmt: skip
    return rows


def csv_text(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """CSV with a header: times in ISO 8601, floats exact (shortest repr), decimals as stored, missing empty."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return buffer.getvalue()


def _cell(value: object) -> str:
    if value is None or value is pd.NaT:
        return ""
    if isinstance(value, float | np.floating):
        return "" if math.isnan(value) else repr(float(value))
    if isinstance(value, datetime | pd.Timedelta):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)

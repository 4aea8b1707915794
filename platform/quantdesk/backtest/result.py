"""What a backtest returns: equity, fills, trades, exposure and metrics, against a buy-and-hold benchmark."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from quantdesk.backtest.kernel import FILL_BAR, FILL_COL, FILL_FEE, FILL_PRICE, FILL_SIZE, paths_nb
from quantdesk.backtest.trades import (
    T_COL,
    T_DIRECTION,
    T_ENTRY_BAR,
    T_ENTRY_PRICE,
    T_EXIT_BAR,
    T_EXIT_PRICE,
    T_FEES,
    T_OPEN,
    T_PNL,
    T_RETURN,
    T_SIZE,
)
from quantdesk.execution.costs import Costs
from quantdesk.reporting import Metrics


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """One simulated run. Frames share the bars' index; money is in the quote currency."""

    strategy: str
    params: dict[str, Any]
    symbols: tuple[str, ...]
    bars: pd.DataFrame
    target: pd.DataFrame
    equity: pd.Series
    fill_records: np.ndarray = field(repr=False)  # kernel rows, see quantdesk.backtest.kernel.FILL_*
    trade_records: np.ndarray = field(repr=False)  # see quantdesk.backtest.trades
    metrics: Metrics
    initial_cash: float
    costs: Costs
    allow_short: bool
    leverage: float
    benchmark: BacktestResult | None = field(default=None, repr=False)
    annotations: dict[str, pd.Series] = field(default_factory=dict, repr=False)

    @cached_property
    def fills(self) -> pd.DataFrame:
        """One row per fill: ts, symbol, side, quantity, price, fee."""
        return fills_frame(self.fill_records, self.equity.index, self.symbols)

    @cached_property
    def trades(self) -> pd.DataFrame:
        """One row per round trip (a trade still open at the end is marked at the last close)."""
        return trades_frame(self.trade_records, self.equity.index, self.symbols)

    @cached_property
    def positions(self) -> pd.DataFrame:
        """Each symbol's position (signed quantity) at each bar's close."""
        return pd.DataFrame(self._paths[0], index=self.equity.index, columns=list(self.symbols), copy=False)

    @cached_property
    def cash(self) -> pd.Series:
        """The account's cash at each bar's close."""
        return pd.Series(self._paths[1], index=self.equity.index, name="cash", copy=False)

    @cached_property
    def _paths(self) -> tuple[np.ndarray, np.ndarray]:
        return paths_nb(self.fill_records, len(self.equity), len(self.symbols), self.initial_cash)

    @cached_property
    def drawdown(self) -> pd.Series:
        peak = np.maximum.accumulate(np.r_[self.initial_cash, self.equity.to_numpy()])[1:]
        return pd.Series(self.equity.to_numpy() / peak - 1.0, index=self.equity.index, name="drawdown")

    @cached_property
    def exposure(self) -> pd.Series:
        """Gross exposure: the value of all positions (long plus |short|) as a fraction of equity."""
        close = self.bars["close"][list(self.symbols)].to_numpy()
        gross = np.abs(self.positions.to_numpy() * close).sum(axis=1)
        return pd.Series(gross / self.equity.to_numpy(), index=self.equity.index, name="exposure")

    @property
    def final_equity(self) -> float:
        return float(self.equity.iloc[-1])

    def summary(self) -> pd.DataFrame:
        """Metrics side by side with the benchmark's, one row per metric."""
        columns = {self.strategy: self.metrics.to_dict()}
        if self.benchmark is not None:
            columns["buy_and_hold"] = self.benchmark.metrics.to_dict()
        return pd.DataFrame(columns)

    def to_json(self) -> dict[str, Any]:
        """The metrics, the number of trades and the final equity, JSON-ready."""
        return {
            "strategy": self.strategy,
            "params": self.params,
            "symbols": list(self.symbols),
            "start": self.equity.index[0].isoformat(),
            "end": self.equity.index[-1].isoformat(),
            "bars": len(self.equity),
            "initial_cash": self.initial_cash,
            "final_equity": self.final_equity,
            "trades": int(self.metrics.trades),
            "fills": len(self.fill_records),
            "metrics": self.metrics.to_dict(),
            "benchmark": None if self.benchmark is None else self.benchmark.metrics.to_dict(),
            "synthetic": bool(self.bars.attrs.get("synthetic", False)),
        }

    def to_vectorbt(self) -> Any:
        """The same run as a ``vectorbt.Portfolio``, for its analytics and plots."""
        from quantdesk.backtest.vbt import portfolio_from_result

        return portfolio_from_result(self)


def _labels(codes: np.ndarray, categories: tuple[str, ...] | list[str]) -> pd.Categorical:
    # categorical columns: building a million Python strings would cost more than the whole simulation
    return pd.Categorical.from_codes(codes.astype(np.int64), categories=list(categories))


def fills_frame(fills: np.ndarray, index: pd.DatetimeIndex, symbols: tuple[str, ...]) -> pd.DataFrame:
    size = fills[:, FILL_SIZE]
    return pd.DataFrame(
        {
            "ts": index[fills[:, FILL_BAR].astype(np.int64)],
            "symbol": _labels(fills[:, FILL_COL], symbols),
            "side": _labels(size < 0, ["buy", "sell"]),
            "quantity": np.abs(size),
            "price": fills[:, FILL_PRICE],
            "fee": fills[:, FILL_FEE],
        }
    )


def trades_frame(trades: np.ndarray, index: pd.DatetimeIndex, symbols: tuple[str, ...]) -> pd.DataFrame:
    entry = index[trades[:, T_ENTRY_BAR].astype(np.int64)]
    exit_ = index[trades[:, T_EXIT_BAR].astype(np.int64)]
    return pd.DataFrame(
        {
            "symbol": _labels(trades[:, T_COL], symbols),
            "direction": _labels(trades[:, T_DIRECTION] < 0, ["long", "short"]),
            "entry_time": entry,
            "exit_time": exit_,
            "size": trades[:, T_SIZE],
            "entry_price": trades[:, T_ENTRY_PRICE],
            "exit_price": trades[:, T_EXIT_PRICE],
            "fees": trades[:, T_FEES],
            "pnl": trades[:, T_PNL],
            "return": trades[:, T_RETURN],
            "duration": exit_ - entry,
            "status": _labels(trades[:, T_OPEN] > 0, ["closed", "open"]),
        }
    )

"""What a backtest returns: equity, fills, trades, exposure and metrics, against a buy-and-hold benchmark."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

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
    cash: pd.Series
    positions: pd.DataFrame
    fills: pd.DataFrame
    trades: pd.DataFrame
    metrics: Metrics
    initial_cash: float
    costs: Costs
    allow_short: bool
    leverage: float
    benchmark: BacktestResult | None = field(default=None, repr=False)
    annotations: dict[str, pd.Series] = field(default_factory=dict, repr=False)

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
            "fills": len(self.fills),
            "metrics": self.metrics.to_dict(),
            "benchmark": None if self.benchmark is None else self.benchmark.metrics.to_dict(),
            "synthetic": bool(self.bars.attrs.get("synthetic", False)),
        }

    def to_vectorbt(self) -> Any:
        """The same run as a ``vectorbt.Portfolio``, for its analytics and plots."""
        from quantdesk.backtest.vbt import portfolio_from_result

        return portfolio_from_result(self)

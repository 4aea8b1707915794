"""Promotion: a strategy version enters the registry only if its gates pass.

Gates: the causality check (no lookahead), research-to-live parity (the replay fills as the backtest), and
the out-of-sample minimums the user sets (Sharpe, total return, drawdown, trades on the held-out period,
measured on the same run after ``oos_start``). The registry records the code hash, the parameters, the
data range and hash, the metrics and every gate's outcome. A refused strategy is not recorded.
"""

from __future__ import annotations

import hashlib
import inspect
import math
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from quantdesk.backtest import backtest
from quantdesk.backtest.result import BacktestResult
from quantdesk.execution.costs import Costs
from quantdesk.persistence import check, create_engine_for, session_factory, transaction, upgrade
from quantdesk.reporting import compute_metrics, periods_per_year_from_index
from quantdesk.runtime.parity import check_parity
from quantdesk.strategy.base import Strategy
from quantdesk.strategy.causality import check_causality
from quantdesk.strategy.errors import StrategyError


@dataclass(frozen=True)
class Minimums:
    """Out-of-sample requirements; None = not required."""

    min_sharpe: float | None = None
    min_total_return: float | None = None
    max_drawdown: float | None = None  # e.g. 0.3: the held-out drawdown may not be deeper than -30 %
    min_trades: int | None = None


@dataclass(frozen=True)
class Gate:
    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class PromotionResult:
    """The gates' outcomes and, if they all passed, the registry entry."""

    name: str
    gates: list[Gate]
    metrics: dict[str, Any]
    oos_metrics: dict[str, Any] | None
    version: int | None = None
    version_id: int | None = None
    record: dict[str, Any] = field(default_factory=dict)

    @property
    def promoted(self) -> bool:
        return self.version is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "promoted": self.promoted,
            "version": self.version,
            "gates": [asdict(g) for g in self.gates],
            "metrics": self.metrics,
            "oos_metrics": self.oos_metrics,
        }


def code_hash(strategy: Strategy[Any]) -> str:
    """sha256 of the source of the module that defines the strategy."""
    module = sys.modules[type(strategy).__module__]
    return hashlib.sha256(inspect.getsource(module).encode()).hexdigest()


def data_hash(bars: pd.DataFrame) -> str:
    """sha256 of the bar times and values the gates ran on."""
    digest = hashlib.sha256(bars.index.asi8.tobytes())
    digest.update(np.ascontiguousarray(bars.to_numpy(np.float64)).tobytes())
    return digest.hexdigest()


def evaluate_gates(
    strategy: Strategy[Any],
    bars: pd.DataFrame,
    *,
    costs: Costs,
    cash: float,
    timeframe: str,
    oos_start: str | pd.Timestamp | None,
    minimums: Minimums,
    causality_samples: int = 20,
) -> tuple[list[Gate], BacktestResult, dict[str, Any] | None]:
    """Run every gate; returns the outcomes, the full-history backtest and the held-out metrics."""
    gates = []
    causality = check_causality(strategy, bars, samples=causality_samples)
    gates.append(Gate("causality", causality.ok, causality.summary()))
    parity = check_parity(strategy, bars, costs=costs, cash=cash, timeframe=timeframe)
    detail = (
        f"replay and backtest agree on {len(parity.backtest_fills)} fills and the final equity"
        if parity.ok
        else "; ".join(parity.differences[:3])
    )
    gates.append(Gate("parity", parity.ok, detail))
    result = backtest(strategy, bars, costs=costs, cash=cash, benchmark=False)
    oos = None
    if oos_start is not None:
        oos = held_out_metrics(result, oos_start)
        gates.extend(_minimum_gates(oos, minimums))
    elif any(v is not None for v in asdict(minimums).values()):
        raise StrategyError("out-of-sample minimums need an out-of-sample start (--oos-start)")
    return gates, result, oos


def held_out_metrics(result: BacktestResult, oos_start: str | pd.Timestamp) -> dict[str, Any]:
    """Metrics of the run from ``oos_start`` on, as if the account started there with the equity it had."""
    start = pd.Timestamp(oos_start)
    start = start.tz_localize("UTC") if start.tzinfo is None else start.tz_convert("UTC")
    equity = result.equity
    before = equity[equity.index < start]
    after = equity[equity.index >= start]
    if len(after) < 2 or before.empty:
        raise StrategyError(
            f"the out-of-sample start {start.date()} must leave history before it and at least two bars after it "
            f"(the data runs {equity.index[0].date()} → {equity.index[-1].date()})"
        )
    trades = result.trades
    closed = trades[(trades["status"] == "closed") & (trades["exit_time"] >= start)]
    metrics = compute_metrics(
        after,
        initial_cash=float(before.iloc[-1]),
        periods_per_year=periods_per_year_from_index(equity.index),
        trade_pnl=closed["pnl"].to_numpy(),
        trade_returns=closed["return"].to_numpy(),
    )
    return metrics.to_dict()


def _minimum_gates(oos: dict[str, Any], minimums: Minimums) -> list[Gate]:
    gates = []

    def check(name: str, value: float | None, required: float | None, ok: bool, text: str) -> None:
        if required is None:
            return
        shown = "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.4g}"
        gates.append(Gate(name, ok, f"out-of-sample {text}: {shown} (required {required:.4g})"))

    sharpe, total, dd, trades = (oos.get(k) for k in ("sharpe", "total_return", "max_drawdown", "trades"))
    check(
        "min_sharpe", sharpe, minimums.min_sharpe, sharpe is not None and sharpe >= (minimums.min_sharpe or 0), "Sharpe"
    )
    check(
        "min_total_return", total, minimums.min_total_return,
        total is not None and total >= (minimums.min_total_return or 0), "total return",
    )  # fmt: skip
    if minimums.max_drawdown is not None:
        check("max_drawdown", dd, -abs(minimums.max_drawdown), dd is not None and dd >= -abs(minimums.max_drawdown),
              "max drawdown")  # fmt: skip
    check("min_trades", trades, minimums.min_trades, (trades or 0) >= (minimums.min_trades or 0), "closed trades")
    return gates


def record_entry(strategy: Strategy[Any], bars: pd.DataFrame, result: BacktestResult, gates: list[Gate],
                 oos: dict[str, Any] | None, costs: Costs) -> dict[str, Any]:  # fmt: skip
    """The registry row's content (without name and version)."""
    cls = type(strategy)
    return {
        "strategy_path": f"{cls.__module__}:{cls.__qualname__}",
        "params": {**strategy.params.model_dump(), "symbols": list(strategy.symbols)},
        "code_hash": code_hash(strategy),
        "data_range_start": bars.index[0].to_pydatetime(),
        "data_range_end": bars.index[-1].to_pydatetime(),
        "data_hash": data_hash(bars),
        "metrics": {"full": result.metrics.to_dict(), "out_of_sample": oos, "costs": asdict(costs)},
        "gates": {g.name: {"passed": g.passed, "detail": g.detail} for g in gates},
    }


def promote(
    strategy: Strategy[Any],
    bars: pd.DataFrame,
    *,
    name: str,
    database_url: str,
    costs: Costs | None = None,
    cash: float = 100_000.0,
    timeframe: str = "1d",
    oos_start: str | pd.Timestamp | None = None,
    minimums: Minimums | None = None,
    now: datetime | None = None,
) -> PromotionResult:
    """Run the gates; when all pass, record the next version of ``name`` in the registry."""
    if not name or any(c.isspace() for c in name):
        raise StrategyError(f"a registry name needs no spaces, got {name!r}")
    costs = costs or Costs.of(fees=0.001)
    gates, result, oos = evaluate_gates(
        strategy,
        bars,
        costs=costs,
        cash=cash,
        timeframe=timeframe,
        oos_start=oos_start,
        minimums=minimums or Minimums(),
    )
    metrics = result.metrics.to_dict()
    if not all(g.passed for g in gates):
        return PromotionResult(name, gates, metrics, oos)
    if database_url.startswith("sqlite"):
        upgrade(database_url)  # the embedded database migrates itself; a server database is migrated by hand
    else:
        check(database_url)
    entry = record_entry(strategy, bars, result, gates, oos, costs)
    engine = create_engine_for(database_url)
    try:
        with transaction(session_factory(engine)) as uow:
            saved = uow.strategies.create(name=name, **entry, ts=now or datetime.now(UTC))
    finally:
        engine.dispose()
    return PromotionResult(name, gates, metrics, oos, saved.version, saved.id, entry)


def promote_strategy(
    strategy: Strategy[Any],
    *,
    name: str,
    bars: pd.DataFrame | None = None,
    oos_start: str | None = None,
    minimums: Minimums | None = None,
    costs: Costs | None = None,
    cash: float = 100_000.0,
    timeframe: str = "1d",
) -> PromotionResult:
    """:func:`promote` with the configured catalog and database (``quantdesk.promote`` in a notebook).

    ``bars`` default to the strategy's symbols from the catalog, adjusted where available.
    """
    from quantdesk.config import load_settings
    from quantdesk.data.panel import load_panel
    from quantdesk.runtime.context import open_catalog
    from quantdesk.runtime.research import resolve_adjustment

    settings = load_settings()
    if bars is None:
        catalog = open_catalog(settings)
        adjustment = resolve_adjustment(catalog, strategy, None, timeframe)
        bars = load_panel(catalog, strategy.symbols, timeframe, adjustment=adjustment)
    return promote(
        strategy, bars, name=name, database_url=settings.resolved_database_url, costs=costs, cash=cash,
        timeframe=timeframe, oos_start=oos_start, minimums=minimums,
    )  # fmt: skip

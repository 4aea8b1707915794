"""``backtest(strategy, bars)``: the research engine, one compiled pass over the whole history."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from quantdesk.backtest.kernel import simulate_nb, simulate_single_nb
from quantdesk.backtest.orders import BacktestError, order_list, order_weights
from quantdesk.backtest.result import BacktestResult
from quantdesk.backtest.trades import T_OPEN, T_PNL, T_RETURN, trades_nb
from quantdesk.data.frames import field_values
from quantdesk.data.panel import single
from quantdesk.execution.costs import Costs
from quantdesk.reporting import compute_metrics, periods_per_year_from_index
from quantdesk.strategy.base import Strategy


def backtest(
    strategy: Strategy[Any],
    bars: pd.DataFrame,
    *,
    costs: Costs | None = None,
    cash: float = 100_000.0,
    allow_short: bool = True,
    leverage: float = 1.0,
    benchmark: bool = True,
) -> BacktestResult:
    """Simulate ``strategy`` over ``bars`` (a panel, or one symbol's bar frame).

    Decisions at each bar's close fill at the next bar's open with ``costs``; the symbols share ``cash``.
    ``allow_short=False`` turns short targets into flat ones; ``leverage`` caps gross exposure.
    """
    bars = _as_panel(strategy, bars)
    strategy.check_history(bars)
    if not np.isfinite(cash) or cash <= 0:
        raise BacktestError(f"starting cash must be a positive amount, got {cash}")
    costs = costs or Costs()
    target = strategy.target(bars)
    result = simulate(strategy.name, strategy.params.model_dump(), bars, target, costs, cash, allow_short, leverage)
    if not benchmark:
        return result
    hold = pd.DataFrame(1.0 / len(strategy.symbols), index=bars.index, columns=list(strategy.symbols))
    bench = simulate("buy_and_hold", {}, bars, hold, costs, cash, True, 1.0)
    annotations = _annotations(strategy, bars)
    return dataclasses.replace(result, benchmark=bench, annotations=annotations)


def simulate(
    name: str,
    params: dict[str, Any],
    bars: pd.DataFrame,
    target: pd.DataFrame,
    costs: Costs,
    cash: float,
    allow_short: bool,
    leverage: float,
) -> BacktestResult:
    """Run the compiled kernel on a target frame (columns = symbols) and assemble the result."""
    symbols = tuple(target.columns)
    open_, close = field_values(bars, "open", symbols), field_values(bars, "close", symbols)
    aligned = target if target.index.equals(bars.index) else target.reindex(bars.index)
    weights = aligned.to_numpy(np.float64)
    fees = (float(cash), costs.fees.rate, costs.fees.fixed, costs.slippage.rate)
    if len(symbols) == 1:
        bars_at, to_weight = order_list(weights, allow_short=allow_short, leverage=leverage)
        equity, fills, in_market = simulate_single_nb(open_[:, 0], close[:, 0], bars_at, to_weight, *fees)
    else:
        orders = order_weights(weights, allow_short=allow_short, leverage=leverage)
        equity, fills, in_market = simulate_nb(open_, close, orders, *fees)
    index = bars.index
    trades = trades_nb(fills, close[-1], len(index) - 1)
    equity_s = pd.Series(equity, index=index, name="equity", copy=False)
    closed = trades[trades[:, T_OPEN] == 0.0]
    metrics = compute_metrics(
        equity_s,
        initial_cash=cash,
        periods_per_year=periods_per_year_from_index(index),
        trade_pnl=closed[:, T_PNL],
        trade_returns=closed[:, T_RETURN],
        time_in_market=in_market / len(index),
    )
    return BacktestResult(
        strategy=name,
        params=params,
        symbols=symbols,
        bars=bars,
        target=target,
        equity=equity_s,
        fill_records=fills,
        trade_records=trades,
        metrics=metrics,
        initial_cash=float(cash),
        costs=costs,
        allow_short=allow_short,
        leverage=leverage,
    )


def _as_panel(strategy: Strategy[Any], bars: pd.DataFrame) -> pd.DataFrame:
    if isinstance(bars.columns, pd.MultiIndex):
        missing = [s for s in strategy.symbols if s not in bars["close"].columns]
        if missing:
            raise BacktestError(f"the bars have no {', '.join(missing)} (they hold {', '.join(bars['close'].columns)})")
        return bars
    if len(strategy.symbols) != 1:
        raise BacktestError(f"{strategy.name} trades {', '.join(strategy.symbols)}: pass a panel of their bars")
    return single(bars, strategy.symbols[0])


def _annotations(strategy: Strategy[Any], bars: pd.DataFrame) -> dict[str, pd.Series]:
    active = getattr(strategy, "active_strategy", None)
    return {"active_strategy": active(bars)} if callable(active) else {}

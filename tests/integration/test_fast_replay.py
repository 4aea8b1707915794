"""The fast replay: the same orders and fills as stepping the node through every bar, and as the backtest."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest

from quantdesk.backtest import backtest
from quantdesk.data.panel import load_panel, single
from quantdesk.data.synthetic import synthetic_bars
from quantdesk.execution.costs import Costs
from quantdesk.execution.simulated import SimBrokerState, SimulatedBroker
from quantdesk.risk import RiskEngine, RiskProfile
from quantdesk.runtime.clock import SimulatedClock
from quantdesk.runtime.node import TradingNode, permissive_profile
from quantdesk.runtime.parity import replay
from quantdesk.runtime.replay import LookaheadError, equity_curve, plan_replay, replay_value, run_replay
from quantdesk.strategy import get_strategy
from strategies.trend_following import TrendFollowing

COSTS = Costs.of(fees=0.001, slippage=0.0005, fixed_fee=1.0)
CASES: list[tuple[str, tuple[str, ...], dict[str, Any], str]] = [
    ("buy_and_hold", ("AAPL",), {}, "2011-01-01"),
    ("trend_following", ("MSFT",), {}, "2009-01-01"),
    ("trend_following", ("AAPL",), {"kind": "ema", "allow_short": True}, "2009-01-01"),
    ("mean_reversion", ("IBM",), {"allow_short": True}, "2009-01-01"),
    ("pairs_arbitrage", ("MSFT", "IBM"), {}, "2009-01-01"),
    ("regime_selector", ("MSFT",), {}, "2008-01-01"),
]


def _node(strategy: Any, profile: RiskProfile | None = None, cash: float = 100_000.0) -> TradingNode:
    return TradingNode(
        deployment_id="replay",
        strategy=strategy,
        broker=SimulatedBroker(COSTS, SimBrokerState(cash=Decimal(repr(cash))), account_id="replay"),
        clock=SimulatedClock(),
        cash=Decimal(repr(cash)),
        risk=RiskEngine(profile or permissive_profile()),
        window=None,
    )


def _fills(node: TradingNode) -> list[tuple[Any, ...]]:
    return [(f.trade_id, f.client_order_id, f.ts, f.side, f.quantity, f.price, f.fee) for f in node.ledger.fills]


@pytest.mark.parametrize(("name", "symbols", "params", "start"), CASES, ids=[f"{c[0]}-{'-'.join(c[1])}" for c in CASES])
def test_fast_replay_equals_the_bar_by_bar_replay_and_the_backtest(
    bundled_catalog, name: str, symbols: tuple[str, ...], params: dict[str, Any], start: str
) -> None:
    bars = load_panel(bundled_catalog, symbols, "1d", start, adjustment="adjusted")
    strategy = get_strategy(name)(symbols=symbols, **params)
    stepped = replay(strategy, bars, costs=COSTS, cash=100_000.0, timeframe="1d")
    fast = _node(strategy)
    plan = plan_replay(strategy, bars, "1d")
    stats = run_replay(fast, plan, "1d")
    assert _fills(fast) == _fills(stepped)  # the same orders, ids, fills and fees: exactly
    assert len(fast.ledger.fills) > 0
    assert (stats.bars, stats.orders, stats.fills) == (len(bars), stepped.stats.orders, stepped.stats.fills)
    result = backtest(strategy, bars, costs=COSTS, cash=100_000.0, benchmark=False)
    assert len(result.fills) == len(fast.ledger.fills)
    curve = equity_curve(fast, plan)
    np.testing.assert_allclose(curve.to_numpy(), result.equity.to_numpy(), rtol=1e-9)
    assert float(replay_value(fast, plan)) == pytest.approx(result.final_equity, rel=1e-9)


def test_a_bad_bar_is_quarantined_and_the_strategy_never_sees_it() -> None:
    frame = synthetic_bars(3_000, seed=7, symbol="SYNTH")
    frame.iloc[1_000, frame.columns.get_loc("high")] = frame["low"].iloc[1_000] - 1.0  # high below low
    frame.iloc[2_000, frame.columns.get_loc("close")] = float("nan")
    bars = single(frame, "SYNTH")
    strategy = TrendFollowing(fast=5, slow=20, symbols=["SYNTH"])
    stepped = _node(strategy)
    for i in range(len(bars)):
        stepped.on_bars(_bars_at(bars, i))
    fast = _node(strategy)
    run_replay(fast, plan_replay(strategy, bars, "1m"), "1m")
    assert fast.stats.quarantined == stepped.stats.quarantined == 2
    reasons = [q.reason for q in fast.processor.quarantined]
    assert reasons == ["high_below_open_close;high_below_low", "missing_value"]
    assert _fills(fast) == _fills(stepped)
    assert len(fast.ledger.fills) > 100


def test_with_stops_and_loss_limits_every_bar_is_stepped_and_the_result_is_the_same() -> None:
    bars = single(synthetic_bars(2_000, seed=11, symbol="SYNTH"), "SYNTH")
    strategy = TrendFollowing(fast=20, slow=100, symbols=["SYNTH"])
    profile = RiskProfile(
        max_weight_per_symbol=Decimal(1),
        max_gross_exposure=Decimal(1),
        max_orders_per_minute=1_000,
        stop_loss_pct=Decimal("0.001"),  # 0.1 %: about four minutes' moves of these bars
        max_drawdown=Decimal("0.5"),
        price_collar_pct=None,
    )
    stepped = _node(strategy, profile)
    for i in range(len(bars)):
        stepped.on_bars(_bars_at(bars, i))
    fast = _node(strategy, profile)
    assert fast.watches_every_bar
    run_replay(fast, plan_replay(strategy, bars, "1m"), "1m")
    stops = [f for f in fast.ledger.fills if str(f.client_order_id).endswith(":stop")]
    assert len(stops) > 0
    assert _fills(fast) == _fills(stepped)


def test_a_strategy_that_peeks_is_refused(bundled_catalog, peeking_strategy) -> None:
    bars = load_panel(bundled_catalog, ["MSFT"], "1d", "2012-06-01", adjustment="adjusted")
    with pytest.raises(LookaheadError, match="peeking is not causal, it cannot be replayed: lookahead at 2012-"):
        plan_replay(peeking_strategy(symbols=["MSFT"]), bars, "1d")


def test_a_strategy_that_never_trades_costs_only_the_bars_it_has_to_look_at() -> None:
    from quantdesk.strategy import Params, Strategy

    class Idle(Strategy[Params]):
        name = "idle"
        params_model = Params

        @property
        def warmup(self) -> int:
            return 1

        def target(self, bars: pd.DataFrame) -> pd.DataFrame:
            return pd.DataFrame(np.nan, index=bars.index, columns=list(self.symbols))

    bars = single(synthetic_bars(5_000, seed=3, symbol="SYNTH"), "SYNTH")
    node = _node(Idle(symbols=["SYNTH"]))
    plan = plan_replay(node.strategy, bars, "1m")
    assert not plan.acts.any()
    assert not plan.flagged.any()
    stats = run_replay(node, plan, "1m")
    assert (stats.bars, stats.decisions, stats.orders) == (5_000, 0, 0)
    assert node.clock.now() is None or node.clock.now() < bars.index[-1]  # no bar needed stepping
    assert equity_curve(node, plan).eq(100_000.0).all()


def _bars_at(bars: pd.DataFrame, i: int) -> list[Any]:
    from quantdesk.model import Bar, Symbol, Timeframe

    symbol = bars["close"].columns[0]
    row = [float(bars[(f, symbol)].iloc[i]) for f in ("open", "high", "low", "close", "volume")]
    return [Bar(Symbol(symbol), Timeframe.parse("1m"), bars.index[i].to_pydatetime(), *row)]

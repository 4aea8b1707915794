"""The trading node on small candle tables: protections, quarantined bars and risk denials."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pandas as pd

from quantdesk.execution import Costs, SimBrokerState, SimulatedBroker
from quantdesk.model import Bar, Symbol, Timeframe
from quantdesk.risk import RiskEngine, RiskProfile
from quantdesk.runtime.clock import SimulatedClock
from quantdesk.runtime.node import TradingNode
from quantdesk.strategy import Params, Strategy
from strategies.buy_and_hold import BuyAndHold

DAY = Timeframe.parse("1d")
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def bars(closes: list[float], symbol: str = "ABC", bad: int | None = None) -> list[list[Bar]]:
    out = []
    for i, close in enumerate(closes):
        low = -1.0 if i == bad else close - 0.5
        out.append([Bar(Symbol(symbol), DAY, T0 + timedelta(days=i), close, close + 0.5, low, close, 1_000.0)])
    return out


def node(strategy: Strategy, profile: RiskProfile) -> TradingNode:
    cash = Decimal(10_000)
    return TradingNode(
        deployment_id="t",
        strategy=strategy,
        broker=SimulatedBroker(Costs.of(), SimBrokerState(cash=cash)),
        clock=SimulatedClock(),
        cash=cash,
        risk=RiskEngine(profile),
    )


def test_a_stop_loss_closes_the_position_at_the_next_open_and_the_strategy_does_not_re_enter() -> None:
    trader = node(BuyAndHold(symbols=["ABC"]), RiskProfile(stop_loss_pct=Decimal("0.05")))
    trader.run(bars([100, 100, 98, 94, 93, 95, 99]))
    fills = [(f.ts.day, str(f.side), f.price) for f in trader.ledger.fills]
    # bought at day 2's open (100); day 4 closes at 94, 6% under the entry: sold at day 5's open
    assert fills == [(2, "buy", Decimal("100.0")), (5, "sell", Decimal("93.0"))]
    assert trader.ledger.position(Symbol("ABC")).is_flat
    intents = [str(cid).rsplit(":", 1)[1] for cid in trader.orders.orders]
    assert intents == ["target", "stop"]


def test_a_bad_bar_is_quarantined_and_no_decision_is_made_on_it() -> None:
    trader = node(BuyAndHold(symbols=["ABC"]), RiskProfile())
    trader.run(bars([100, 101, 102], bad=0))
    assert trader.stats.quarantined == 1
    assert trader.stats.decisions == 2  # the bad first bar ran no strategy


class AlwaysShort(Strategy[Params]):
    name = "always_short"
    params_model = Params

    @property
    def warmup(self) -> int:
        return 1

    def target(self, bars: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(-1.0, index=bars.index, columns=list(self.symbols))


def test_an_order_the_risk_engine_denies_never_reaches_the_broker_and_is_recorded() -> None:
    trader = node(AlwaysShort(symbols=["ABC"]), RiskProfile(allow_short=False))
    trader.run(bars([100, 101, 102]))
    assert trader.orders.orders == {}
    assert trader.broker.open_orders() == []
    assert [(str(e.kind), e.rule) for e in trader.denials] == [("denied", "ShortingAllowed")]

"""Cash and Reg-T margin accounts in the trading node: who may short, buying power, margin calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pandas as pd
import pytest

from quantdesk.execution import Costs, SimBrokerState, SimulatedBroker
from quantdesk.model import Bar, Symbol, Timeframe, TradingState
from quantdesk.portfolio import AccountType
from quantdesk.risk import RiskEngine, RiskProfile
from quantdesk.runtime.clock import SimulatedClock
from quantdesk.runtime.node import TradingNode
from quantdesk.strategy import Params, Strategy

DAY = Timeframe.parse("1d")
T0 = datetime(2024, 1, 1, tzinfo=UTC)
ABC = Symbol("ABC")
WIDE = RiskProfile(max_weight_per_symbol=Decimal(4), max_gross_exposure=Decimal(4), allow_short=True)


class Fixed(Strategy[Params]):
    """Holds a fixed weight of ABC (set on the class by each test)."""

    name = "fixed"
    params_model = Params
    default_symbols = ("ABC",)
    weight = 1.0

    @property
    def warmup(self) -> int:
        return 1

    def target(self, bars: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(self.weight, index=bars.index, columns=list(self.symbols))


def _bars(closes: list[float]) -> list[list[Bar]]:
    return [
        [Bar(ABC, DAY, T0 + timedelta(days=i), close, close + 0.5, close - 0.5, close, 1e6)]
        for i, close in enumerate(closes)
    ]


def _node(weight: float, account: AccountType) -> TradingNode:
    strategy = type("F", (Fixed,), {"weight": weight})(symbols=["ABC"])
    cash = Decimal(10_000)
    return TradingNode(
        deployment_id="acct",
        strategy=strategy,
        broker=SimulatedBroker(Costs.of(), SimBrokerState(cash=cash, account_type=account.value)),
        clock=SimulatedClock(),
        cash=cash,
        risk=RiskEngine(WIDE),
        leverage=4.0,
        account_rules=True,
        account_type=account,
    )


def test_a_cash_account_cannot_sell_short_and_says_so() -> None:
    trader = _node(-1.0, AccountType.CASH)
    trader.run(_bars([100, 100, 100]))
    assert trader.ledger.fills == ()
    assert trader.stats.denied == 1  # the weight is acted on once; the engine does not retry a denial
    assert trader.denials[0].rule == "ShortingAllowed"
    assert (
        trader.denials[0].reason
        == "ABC sell 100 would leave a short position of -100: a cash account cannot sell short"
    )


def test_a_margin_account_sells_short_and_holds_the_proceeds() -> None:
    trader = _node(-1.0, AccountType.MARGIN)
    trader.run(_bars([100, 100, 100]))
    assert [(f.side.value, f.quantity, f.price) for f in trader.ledger.fills] == [("sell", Decimal(100), Decimal(100))]
    assert trader.ledger.cash == Decimal(20_000)
    assert trader.risk.state is TradingState.ACTIVE


def test_a_margin_account_borrows_up_to_twice_its_equity_and_no_further() -> None:
    trader = _node(2.0, AccountType.MARGIN)  # 2x: exactly the Reg-T buying power
    trader.run(_bars([100, 100, 100]))
    assert [(f.side.value, f.quantity) for f in trader.ledger.fills] == [("buy", Decimal(200))]
    assert trader.ledger.cash == Decimal(-10_000)  # a debit balance: the loan
    too_far = _node(2.5, AccountType.MARGIN)
    too_far.run(_bars([100, 100, 100]))
    assert too_far.ledger.fills == ()
    assert too_far.denials[0].rule == "BuyingPower"
    assert too_far.denials[0].reason == "ABC buy 250 needs 25,000.00 of buying power; the account has 20,000.00"


def test_a_margin_call_allows_only_reducing_orders_until_the_requirement_is_met_again() -> None:
    trader = _node(2.0, AccountType.MARGIN)
    # bought 200 at 100 with 10,000 of equity; at 62 equity is 2,400 < 25 % of 12,400 = 3,100: margin call
    trader.run(_bars([100, 100, 80, 62]))
    assert trader.risk.state is TradingState.REDUCING
    change = [e for e in trader.risk.events if e.rule == "maintenance_margin"][-1]
    assert change.reason == "margin call: equity 2,400.00 is below the maintenance requirement 3,100.00"
    trader.run(_bars([100, 100, 80, 62, 90])[4:])  # 200 × 90 - 10,000 = 8,000 >= 4,500: met again
    assert trader.risk.state is TradingState.ACTIVE


def test_a_margin_venue_refuses_an_order_beyond_buying_power_at_submit() -> None:
    from quantdesk.execution.broker import BrokerRejected
    from quantdesk.model import ClientOrderId, OrderSide, OrderType, SubmitOrder, TimeInForce

    broker = SimulatedBroker(Costs.of(), SimBrokerState(cash=Decimal(1_000), account_type="margin"))
    broker.on_bars(_bars([10])[0])
    order = SubmitOrder(
        client_order_id=ClientOrderId("x:1"), symbol=ABC, side=OrderSide.BUY, order_type=OrderType.MARKET,
        quantity=Decimal(201), ts=T0, time_in_force=TimeInForce.GTC,
    )  # fmt: skip
    with pytest.raises(BrokerRejected, match=r"insufficient buying power: the order adds 2,010\.00 of exposure"):
        broker.submit(order)
    state = SimBrokerState.from_dict(broker.state.to_dict())
    assert state.account_type == "margin"

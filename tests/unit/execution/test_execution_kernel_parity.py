"""Replay parity: the simulated broker's market fills equal the vectorized kernel's to 1e-9 relative."""

from __future__ import annotations

import contextlib
import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest

from quantdesk.backtest.kernel import is_close_nb, order_target_nb
from quantdesk.execution import BrokerRejected, Costs, SimBrokerState, SimulatedBroker
from quantdesk.model import Bar, ClientOrderId, OrderFilled, OrderSide, OrderType, SubmitOrder, Symbol, Timeframe

SYM = Symbol("XYZ")
DAY = Timeframe.parse("1d")
T0 = datetime(2023, 1, 2, tzinfo=UTC)
WEIGHTS = np.array([np.nan, -1.0, -0.5, 0.0, 0.3, 0.7, 1.0, 1.0, 1.0])


def scenario(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float, float]:
    rng = np.random.default_rng(seed)
    n = 80
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    open_ = close * np.exp(rng.normal(0, 0.01, n))
    weights = rng.choice(WEIGHTS, n)
    weights[rng.random(n) < 0.2] = rng.uniform(-1, 1)
    fee, fixed, slippage = (float(rng.choice(c)) for c in ([0.0, 0.001, 0.01], [0.0, 1.0], [0.0, 0.0005, 0.002]))
    return open_, close, weights, fee, fixed, slippage


def kernel_fills(open_, close, weights, cash, fee, fixed, slippage) -> tuple[list[tuple], float, float, int]:
    """(bar, signed quantity, price, fee) of each fill, final cash and position, and how many buys were cut."""
    position, fills, cuts = 0.0, [], 0
    for i in range(1, len(open_)):
        w = weights[i - 1]
        if np.isnan(w):
            continue
        value = cash + (position * close[i - 1] if position != 0.0 else 0.0)
        wanted = w * value / close[i - 1] - position
        cash, position, filled, price, paid = order_target_nb(
            cash, position, w, value, close[i - 1], open_[i], fee, fixed, slippage
        )
        if filled != 0.0:
            fills.append((i, filled, price, paid))
            cuts += filled < wanted and not is_close_nb(filled, wanted)
    return fills, cash, position, cuts


def broker_fills(open_, close, weights, cash, fee, fixed, slippage) -> tuple[list[tuple], SimulatedBroker]:
    """The same decisions through the simulated broker: sized at the close, filled at the next bar's open."""
    broker = SimulatedBroker(Costs.of(fee, slippage, fixed), SimBrokerState(cash=Decimal(repr(cash))))
    fills = []
    for i in range(len(open_)):
        ts = T0 + timedelta(days=i)
        o, c = float(open_[i]), float(close[i])
        for event in broker.on_bar(Bar(SYM, DAY, ts, o, max(o, c) * 1.01, min(o, c) * 0.99, c, 1e9)):
            if isinstance(event, OrderFilled):
                f = event.fill
                fills.append((i, float(f.signed_quantity), float(f.price), float(f.fee)))
        w = float(weights[i])
        if np.isnan(w) or i == len(open_) - 1:
            continue
        position = float(broker.positions().get(SYM, Decimal(0)))
        equity = float(broker.cash()) + position * c
        size = w * equity / c - position
        if is_close_nb(size, 0.0):
            continue
        command = SubmitOrder(
            client_order_id=ClientOrderId(f"d:{i}"),
            symbol=SYM,
            side=OrderSide.BUY if size > 0 else OrderSide.SELL,
            order_type=OrderType.MARKET,
            quantity=Decimal(repr(abs(size))),
            ts=ts + timedelta(days=1),  # the close of bar i
        )
        with contextlib.suppress(BrokerRejected):  # a buy with no cash: the kernel trades nothing either
            broker.submit(command)
    return fills, broker


@pytest.mark.parametrize("seed", range(12))
def test_broker_market_fills_equal_the_kernel_to_1e_9(seed: int) -> None:
    open_, close, weights, fee, fixed, slippage = scenario(seed)
    expected, cash, position, _ = kernel_fills(open_, close, weights, 10_000.0, fee, fixed, slippage)
    got, broker = broker_fills(open_, close, weights, 10_000.0, fee, fixed, slippage)
    assert len(expected) > 30
    assert [fill[0] for fill in got] == [fill[0] for fill in expected]
    for (_, *ours), (_, *theirs) in zip(got, expected, strict=True):
        quantity, price, paid = ours
        assert quantity == pytest.approx(theirs[0], rel=1e-9)
        assert price == pytest.approx(theirs[1], rel=1e-9)
        assert math.isclose(paid, theirs[2], rel_tol=1e-9, abs_tol=1e-9)  # a cut buy's fee carries ~1e-13 of dust
    assert float(broker.cash()) == pytest.approx(cash, rel=1e-9, abs=1e-9)
    assert float(broker.positions().get(SYM, Decimal(0))) == pytest.approx(position, rel=1e-9, abs=1e-12)


def test_the_parity_scenarios_include_buys_cut_to_the_cash() -> None:
    cuts = sum(kernel_fills(*scenario(seed)[:3], 10_000.0, *scenario(seed)[3:])[3] for seed in range(12))
    assert cuts >= 5

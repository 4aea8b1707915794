"""The simulated broker as a venue: idempotent submits, cancels, the outbox and state that survives a restart."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest

from quantdesk.execution import (
    BrokerError,
    BrokerPort,
    BrokerRejected,
    Costs,
    SimBrokerState,
    SimulatedBroker,
)
from quantdesk.model import (
    Bar,
    ClientOrderId,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderSide,
    OrderStatus,
    OrderType,
    SubmitOrder,
    Symbol,
    Timeframe,
    TimeInForce,
    VenueOrderId,
)

D = Decimal
AAA, BBB = Symbol("AAA"), Symbol("BBB")
DAY = Timeframe.parse("1d")
T0 = datetime(2024, 3, 4, tzinfo=UTC)


def command(cid: str = "o1", side: str = "buy", quantity: str = "10", symbol: Symbol = AAA, **kw) -> SubmitOrder:
    fields = {"order_type": OrderType.MARKET, "ts": T0, "time_in_force": TimeInForce.GTC} | kw
    return SubmitOrder(
        client_order_id=ClientOrderId(cid), symbol=symbol, side=OrderSide(side), quantity=D(quantity), **fields
    )


def bar(day: int, price: float, symbol: Symbol = AAA, volume: float = 1e6) -> Bar:
    return Bar(symbol, DAY, T0 + timedelta(days=day), price, price * 1.02, price * 0.98, price, volume)


def funded(cash: str = "10000", **kwargs) -> SimulatedBroker:
    return SimulatedBroker(Costs.of(0.001, 0.0005, 1.0), SimBrokerState(cash=D(cash)), **kwargs)


def test_the_simulated_broker_is_a_broker_port() -> None:
    assert isinstance(funded(), BrokerPort)


def test_submit_accepts_and_puts_the_acceptance_in_the_outbox() -> None:
    b = funded()
    order = b.submit(command())
    assert (order.status, order.venue_order_id, order.filled_quantity) == (
        OrderStatus.ACCEPTED,
        VenueOrderId("sim-o1"),
        D(0),
    )
    assert b.drain_events() == [OrderAccepted(ClientOrderId("o1"), T0, VenueOrderId("sim-o1"))]
    assert b.drain_events() == []
    assert b.open_orders() == [order]


def test_a_resubmission_under_the_same_id_returns_the_existing_order_and_creates_nothing() -> None:
    b = funded()
    first = b.submit(command())
    b.on_bar(bar(0, 100.0))
    b.drain_events()
    again = b.submit(command(ts=T0 + timedelta(hours=1)))  # rebuilt after a crash: same id and terms
    assert again.status is OrderStatus.FILLED
    assert again.venue_order_id == first.venue_order_id
    assert b.drain_events() == []
    b.on_bar(bar(1, 100.0))
    assert len(b.fills()) == 1
    assert b.positions() == {AAA: D("10")}


def test_a_different_order_under_a_used_id_is_rejected() -> None:
    b = funded()
    b.submit(command())
    with pytest.raises(BrokerRejected, match="already used by a different order") as caught:
        b.submit(command(quantity="11"))
    assert caught.value.client_order_id == ClientOrderId("o1")
    assert [o.quantity for o in b.open_orders()] == [D("10")]


def test_cancel_a_working_order() -> None:
    b = funded()
    b.submit(command(order_type=OrderType.LIMIT, limit_price=D("50")))
    b.on_bar(bar(0, 100.0))
    b.drain_events()
    canceled = b.cancel(ClientOrderId("o1"))
    assert canceled.status is OrderStatus.CANCELED
    assert b.drain_events() == [OrderCanceled(ClientOrderId("o1"), T0)]
    assert b.open_orders() == []
    assert b.on_bar(bar(1, 40.0)) == []


def test_cancel_of_an_unknown_or_filled_order_is_rejected() -> None:
    b = funded()
    with pytest.raises(BrokerRejected, match="unknown order"):
        b.cancel(ClientOrderId("nope"))
    b.submit(command())
    b.on_bar(bar(0, 100.0))
    with pytest.raises(BrokerRejected, match="already filled") as caught:
        b.cancel(ClientOrderId("o1"))
    assert caught.value.reason == "already filled"
    b.submit(command("o2", order_type=OrderType.LIMIT, limit_price=D("1")))
    b.cancel(ClientOrderId("o2"))
    with pytest.raises(BrokerRejected, match="already canceled"):
        b.cancel(ClientOrderId("o2"))


def test_a_rejection_is_raised_recorded_and_put_in_the_outbox() -> None:
    b = funded("0")
    with pytest.raises(BrokerRejected, match="insufficient cash"):
        b.submit(command())
    assert b.order(ClientOrderId("o1")).status is OrderStatus.REJECTED
    [event] = b.drain_events()
    assert isinstance(event, OrderRejected)
    assert b.submit(command()).status is OrderStatus.REJECTED  # a resubmission gets the same answer


def test_fills_since_are_inclusive_and_trade_ids_count_up() -> None:
    b = funded()
    b.submit(command("o1", quantity="1"))
    b.on_bar(bar(0, 100.0))
    b.submit(command("o2", side="sell", quantity="1", ts=T0 + timedelta(days=1)))
    b.on_bar(bar(1, 101.0))
    assert [f.trade_id.value for f in b.fills()] == ["sim-1", "sim-2"]
    assert [f.trade_id.value for f in b.fills(since=T0 + timedelta(days=1))] == ["sim-2"]
    assert b.positions() == {}


def test_on_bars_works_sells_before_buys_so_a_switch_is_paid_by_the_sale() -> None:
    b = SimulatedBroker(Costs(), SimBrokerState(cash=D("1100")))
    b.submit(command("a", quantity="10", symbol=AAA))
    b.on_bars([bar(0, 100.0, AAA), bar(0, 50.0, BBB)])
    assert b.cash() == D("100")
    ts = T0 + timedelta(days=1)
    b.submit(command("buy-b", quantity="22", symbol=BBB, ts=ts))  # submitted first, but worked second
    b.submit(command("sell-a", side="sell", quantity="10", symbol=AAA, ts=ts))
    events = b.on_bars([bar(1, 50.0, BBB), bar(1, 100.0, AAA)])
    assert [e.client_order_id.value for e in events if isinstance(e, OrderFilled)] == ["sell-a", "buy-b"]
    assert b.positions() == {BBB: D("22")}
    assert b.cash() == 0


def test_state_round_trip_mid_run_continues_exactly_like_an_uninterrupted_run() -> None:
    rng = np.random.default_rng(7)
    prices = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, 30)))
    volumes = rng.uniform(50, 200, 30)

    def step(b: SimulatedBroker, i: int) -> None:
        p = float(prices[i])
        b.on_bar(Bar(AAA, DAY, T0 + timedelta(days=i), p, p * 1.01, p * 0.97, p, float(volumes[i])))
        ts = T0 + timedelta(days=i + 1)
        side = "buy" if i % 3 else "sell"
        b.submit(command(f"m{i}", side=side, quantity=str(i % 7 + 5), ts=ts))
        if i % 4 == 0:
            limit = D(repr(round(p * 0.99, 2)))
            b.submit(command(f"l{i}", quantity="3", order_type=OrderType.LIMIT, limit_price=limit, ts=ts))
        if i % 5 == 0:
            stop, limit = (D(repr(round(p * k, 2))) for k in (1.005, 1.01))
            b.submit(
                command(
                    f"s{i}",
                    quantity="2",
                    order_type=OrderType.STOP_LIMIT,
                    stop_price=stop,
                    limit_price=limit,
                    time_in_force=TimeInForce.DAY,
                    ts=ts,
                )
            )

    straight = funded("20000", max_volume_pct=0.05)
    for i in range(30):
        step(straight, i)

    first = funded("20000", max_volume_pct=0.05)
    for i in range(13):
        step(first, i)
    saved = json.loads(json.dumps(first.state.to_dict()))  # what a store keeps
    assert isinstance(saved["cash"], str)
    assert "partially_filled" in [order["status"] for order in saved["orders"]]  # saved in the middle of a fill
    resumed = SimulatedBroker(Costs.of(0.001, 0.0005, 1.0), SimBrokerState.from_dict(saved), max_volume_pct=0.05)
    for i in range(13, 30):
        step(resumed, i)

    assert len(straight.fills()) > 20
    assert resumed.fills() == straight.fills()
    assert resumed.cash() == straight.cash()
    assert resumed.positions() == straight.positions()
    assert resumed.state.to_dict() == straight.state.to_dict()


def test_a_triggered_stop_limit_stays_triggered_across_a_restart() -> None:
    b = funded()
    b.submit(
        command(
            order_type=OrderType.STOP_LIMIT, stop_price=D("100"), limit_price=D("101"), time_in_force=TimeInForce.GTC
        )
    )
    b.on_bar(Bar(AAA, DAY, T0, 103.0, 104.0, 102.0, 103.0, 1e6))  # gapped over the limit: triggered, no fill
    resumed = SimulatedBroker(Costs(), SimBrokerState.from_dict(json.loads(json.dumps(b.state.to_dict()))))
    [event] = resumed.on_bar(Bar(AAA, DAY, T0 + timedelta(days=1), 102.0, 102.5, 100.5, 101.0, 1e6))
    assert (event.fill.price, event.fill.fee) == (D("101"), D("0"))  # a plain limit now, at the limit


def test_an_unreadable_state_is_refused_with_what_is_wrong() -> None:
    good = funded().state.to_dict()
    with pytest.raises(BrokerError, match="missing 'cash'"):
        SimBrokerState.from_dict({k: v for k, v in good.items() if k != "cash"})
    with pytest.raises(BrokerError, match="amounts are stored as strings"):
        SimBrokerState.from_dict(good | {"cash": 12.5})
    with pytest.raises(BrokerError, match="version"):
        SimBrokerState.from_dict(good | {"version": 99})
    with pytest.raises(BrokerError, match=">= 0"):
        SimBrokerState(cash=D("-1"))
    with pytest.raises(BrokerError, match="must be a Decimal"):
        SimBrokerState(cash=1000.0)  # type: ignore[arg-type]


def test_settings_and_bars_are_validated() -> None:
    with pytest.raises(BrokerError, match="max_volume_pct"):
        funded(max_volume_pct=1.5)
    with pytest.raises(BrokerError, match="costs must be a Costs"):
        SimulatedBroker(0.001)  # type: ignore[arg-type]
    b = funded()
    with pytest.raises(BrokerError, match="unusable prices"):
        b.on_bar(Bar(AAA, DAY, T0, float("nan"), 1.0, 1.0, 1.0, 1.0))
    with pytest.raises(BrokerError, match="one bar per symbol"):
        b.on_bars([bar(0, 1.0), bar(1, 1.0)])

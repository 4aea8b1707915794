from datetime import UTC, datetime
from decimal import Decimal

import pytest

from quantdesk.model import (
    CancelOrder,
    ClientOrderId,
    DeploymentId,
    Fill,
    InvalidValue,
    OrderAccepted,
    OrderEvent,
    OrderFilled,
    OrderRejected,
    OrderSide,
    OrderSubmitted,
    OrderType,
    SubmitOrder,
    Symbol,
    TimeInForce,
    TradeId,
    VenueOrderId,
)

TS = datetime(2024, 3, 4, 14, 30, tzinfo=UTC)
D = Decimal


def submit(order_type: OrderType, limit: Decimal | None = None, stop: Decimal | None = None) -> SubmitOrder:
    return SubmitOrder(
        client_order_id=ClientOrderId("o1"),
        symbol=Symbol("AAPL"),
        side=OrderSide.BUY,
        order_type=order_type,
        quantity=D(10),
        ts=TS,
        limit_price=limit,
        stop_price=stop,
    )


@pytest.mark.parametrize(
    ("order_type", "limit", "stop"),
    [
        (OrderType.MARKET, None, None),
        (OrderType.LIMIT, D("187.5"), None),
        (OrderType.STOP, None, D("190")),
        (OrderType.STOP_LIMIT, D("190.5"), D("190")),
    ],
)
def test_submit_order_with_the_prices_its_type_needs_is_accepted(
    order_type: OrderType, limit: Decimal | None, stop: Decimal | None
) -> None:
    command = submit(order_type, limit, stop)
    assert (command.limit_price, command.stop_price) == (limit, stop)
    assert command.time_in_force is TimeInForce.DAY
    assert command.deployment_id is None


@pytest.mark.parametrize(
    ("order_type", "limit", "stop", "message"),
    [
        (OrderType.MARKET, D(1), None, "a market order takes no limit_price"),
        (OrderType.MARKET, None, D(1), "a market order takes no stop_price"),
        (OrderType.LIMIT, None, None, "a limit order needs a limit_price"),
        (OrderType.LIMIT, D(1), D(1), "a limit order takes no stop_price"),
        (OrderType.STOP, None, None, "a stop order needs a stop_price"),
        (OrderType.STOP, D(1), D(1), "a stop order takes no limit_price"),
        (OrderType.STOP_LIMIT, None, D(1), "a stop_limit order needs a limit_price"),
        (OrderType.STOP_LIMIT, D(1), None, "a stop_limit order needs a stop_price"),
        (OrderType.LIMIT, D(0), None, "limit_price must be > 0"),
        (OrderType.STOP, None, D("-1"), "stop_price must be > 0"),
    ],
)
def test_submit_order_with_prices_its_type_does_not_allow_is_refused(
    order_type: OrderType, limit: Decimal | None, stop: Decimal | None, message: str
) -> None:
    with pytest.raises(InvalidValue, match=message):
        submit(order_type, limit, stop)


def test_submit_order_with_non_positive_quantity_is_refused() -> None:
    with pytest.raises(InvalidValue, match=r"SubmitOrder\.quantity must be > 0"):
        SubmitOrder(
            client_order_id=ClientOrderId("o1"),
            symbol=Symbol("AAPL"),
            side=OrderSide.BUY,
            order_type=OrderType.MARKET,
            quantity=D(0),
            ts=TS,
        )


def test_submit_order_carries_its_deployment() -> None:
    command = SubmitOrder(
        client_order_id=ClientOrderId("o1"),
        symbol=Symbol("AAPL"),
        side=OrderSide.SELL,
        order_type=OrderType.MARKET,
        quantity=D(1),
        ts=TS,
        time_in_force=TimeInForce.IOC,
        deployment_id=DeploymentId("dep-1"),
    )
    assert (command.deployment_id, command.time_in_force) == (DeploymentId("dep-1"), TimeInForce.IOC)


def test_cancel_order_with_naive_timestamp_is_refused() -> None:
    with pytest.raises(InvalidValue, match=r"CancelOrder\.ts must be timezone-aware"):
        CancelOrder(ClientOrderId("o1"), datetime(2024, 3, 4))


def test_events_are_order_events_with_utc_timestamps() -> None:
    events = [
        OrderSubmitted(ClientOrderId("o1"), TS),
        OrderAccepted(ClientOrderId("o1"), TS, VenueOrderId("v1")),
        OrderRejected(ClientOrderId("o1"), TS, "insufficient buying power"),
    ]
    assert all(isinstance(e, OrderEvent) and e.ts is TS for e in events)
    with pytest.raises(InvalidValue, match=r"OrderAccepted\.ts must be timezone-aware"):
        OrderAccepted(ClientOrderId("o1"), datetime(2024, 3, 4), VenueOrderId("v1"))


def test_order_filled_takes_order_id_and_time_from_its_fill() -> None:
    fill = Fill(
        trade_id=TradeId("t1"),
        client_order_id=ClientOrderId("o7"),
        symbol=Symbol("AAPL"),
        side=OrderSide.BUY,
        quantity=D(1),
        price=D("187.25"),
        fee=D(0),
        ts=TS,
    )
    event = OrderFilled(fill)
    assert (event.client_order_id, event.ts, event.fill) == (ClientOrderId("o7"), TS, fill)
    assert event == OrderFilled(fill)

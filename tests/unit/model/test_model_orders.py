from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count

import pytest

from quantdesk.model import (
    TRANSITIONS,
    ClientOrderId,
    DeploymentId,
    Fill,
    InvalidOrderTransition,
    InvalidValue,
    Order,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderPendingCancel,
    OrderRejected,
    OrderSide,
    OrderStatus,
    OrderSubmitted,
    OrderType,
    SubmitOrder,
    Symbol,
    TimeInForce,
    TradeId,
    VenueOrderId,
)

S = OrderStatus
D = Decimal
TS = datetime(2024, 3, 4, 14, 30, tzinfo=UTC)
ORDER_ID = ClientOrderId("o1")
_trade_numbers = count(1)


def new_order(quantity: str = "10") -> Order:
    return Order(
        client_order_id=ORDER_ID,
        symbol=Symbol("AAPL"),
        side=OrderSide.BUY,
        order_type=OrderType.LIMIT,
        quantity=D(quantity),
        limit_price=D("187.50"),
        ts_init=TS,
    )


def fill(quantity: str, price: str = "187.50", *, trade_id: str | None = None, **changes: object) -> OrderFilled:
    fields: dict[str, object] = {
        "trade_id": TradeId(trade_id or f"t{next(_trade_numbers)}"),
        "client_order_id": ORDER_ID,
        "symbol": Symbol("AAPL"),
        "side": OrderSide.BUY,
        "quantity": D(quantity),
        "price": D(price),
        "fee": D("0.01"),
        "ts": TS + timedelta(seconds=5),
    }
    return OrderFilled(Fill(**{**fields, **changes}))  # type: ignore[arg-type]


EVENT_MAKERS: dict[type[OrderEvent], Callable[[], OrderEvent]] = {
    OrderSubmitted: lambda: OrderSubmitted(ORDER_ID, TS),
    OrderAccepted: lambda: OrderAccepted(ORDER_ID, TS, VenueOrderId("v1")),
    OrderRejected: lambda: OrderRejected(ORDER_ID, TS, "no"),
    OrderPendingCancel: lambda: OrderPendingCancel(ORDER_ID, TS),
    OrderCancelRejected: lambda: OrderCancelRejected(ORDER_ID, TS, "too late"),
    OrderCanceled: lambda: OrderCanceled(ORDER_ID, TS),
    OrderExpired: lambda: OrderExpired(ORDER_ID, TS),
    OrderFilled: lambda: fill("1"),
}

PATHS: dict[OrderStatus, list[Callable[[], OrderEvent]]] = {
    S.INITIALIZED: [],
    S.SUBMITTED: [EVENT_MAKERS[OrderSubmitted]],
    S.ACCEPTED: [EVENT_MAKERS[OrderSubmitted], EVENT_MAKERS[OrderAccepted]],
    S.PARTIALLY_FILLED: [EVENT_MAKERS[OrderSubmitted], EVENT_MAKERS[OrderAccepted], lambda: fill("4")],
    S.PENDING_CANCEL: [
        EVENT_MAKERS[OrderSubmitted],
        EVENT_MAKERS[OrderAccepted],
        EVENT_MAKERS[OrderPendingCancel],
    ],
    S.FILLED: [EVENT_MAKERS[OrderSubmitted], EVENT_MAKERS[OrderAccepted], lambda: fill("10")],
    S.CANCELED: [EVENT_MAKERS[OrderSubmitted], EVENT_MAKERS[OrderAccepted], EVENT_MAKERS[OrderCanceled]],
    S.REJECTED: [EVENT_MAKERS[OrderSubmitted], EVENT_MAKERS[OrderRejected]],
    S.EXPIRED: [EVENT_MAKERS[OrderSubmitted], EVENT_MAKERS[OrderAccepted], EVENT_MAKERS[OrderExpired]],
}

LEGAL = [
    (S.INITIALIZED, OrderSubmitted, S.SUBMITTED),
    (S.INITIALIZED, OrderRejected, S.REJECTED),
    (S.SUBMITTED, OrderAccepted, S.ACCEPTED),
    (S.SUBMITTED, OrderRejected, S.REJECTED),
    (S.SUBMITTED, OrderFilled, S.PARTIALLY_FILLED),
    (S.SUBMITTED, OrderCanceled, S.CANCELED),
    (S.SUBMITTED, OrderExpired, S.EXPIRED),
    (S.ACCEPTED, OrderFilled, S.PARTIALLY_FILLED),
    (S.ACCEPTED, OrderPendingCancel, S.PENDING_CANCEL),
    (S.ACCEPTED, OrderCanceled, S.CANCELED),
    (S.ACCEPTED, OrderExpired, S.EXPIRED),
    (S.PARTIALLY_FILLED, OrderFilled, S.PARTIALLY_FILLED),
    (S.PARTIALLY_FILLED, OrderPendingCancel, S.PENDING_CANCEL),
    (S.PARTIALLY_FILLED, OrderCanceled, S.CANCELED),
    (S.PARTIALLY_FILLED, OrderExpired, S.EXPIRED),
    (S.PARTIALLY_FILLED, OrderCancelRejected, S.PARTIALLY_FILLED),
    (S.PENDING_CANCEL, OrderFilled, S.PARTIALLY_FILLED),
    (S.PENDING_CANCEL, OrderCancelRejected, S.ACCEPTED),
    (S.PENDING_CANCEL, OrderCanceled, S.CANCELED),
    (S.PENDING_CANCEL, OrderExpired, S.EXPIRED),
]
ILLEGAL = [(s, e) for s in OrderStatus for e in EVENT_MAKERS if (s, e) not in TRANSITIONS]
FILLABLE = [status for status, event, _ in LEGAL if event is OrderFilled]


def order_in(status: OrderStatus) -> Order:
    order = new_order()
    for make in PATHS[status]:
        order.apply(make())
    assert order.status is status
    return order


def snapshot(order: Order) -> tuple[object, ...]:
    return (order.status, order.venue_order_id, order.filled_quantity, order.avg_fill_price, order.events)


def test_transition_table_is_exactly_the_legal_list() -> None:
    assert dict(TRANSITIONS) == {(status, event): target for status, event, target in LEGAL}


@pytest.mark.parametrize(("status", "event_type", "target"), LEGAL)
def test_legal_transition_moves_to_its_target(
    status: OrderStatus, event_type: type[OrderEvent], target: OrderStatus
) -> None:
    order = order_in(status)
    event = EVENT_MAKERS[event_type]()
    order.apply(event)
    assert order.status is target
    assert order.events[-1] is event


@pytest.mark.parametrize("status", FILLABLE)
def test_fill_of_the_leaves_quantity_fills_the_order(status: OrderStatus) -> None:
    order = order_in(status)
    order.apply(fill(str(order.leaves_quantity)))
    assert (order.status, order.filled_quantity, order.leaves_quantity) == (S.FILLED, D(10), D(0))
    assert order.is_terminal
    assert not order.is_open


@pytest.mark.parametrize(("status", "event_type"), ILLEGAL)
def test_illegal_transition_raises_and_leaves_the_order_unchanged(
    status: OrderStatus, event_type: type[OrderEvent]
) -> None:
    order = order_in(status)
    before = snapshot(order)
    message = rf"order o1 \({status}\) cannot apply {event_type.__name__}: that transition is not allowed"
    with pytest.raises(InvalidOrderTransition, match=message):
        order.apply(EVENT_MAKERS[event_type]())
    assert snapshot(order) == before


def test_terminal_statuses_accept_no_event() -> None:
    terminal = {s for s in OrderStatus if s.is_terminal}
    assert terminal == {S.FILLED, S.CANCELED, S.REJECTED, S.EXPIRED}
    assert not [key for key in TRANSITIONS if key[0] in terminal]


def test_fill_beyond_leaves_quantity_raises() -> None:
    order = order_in(S.PARTIALLY_FILLED)
    before = snapshot(order)
    with pytest.raises(InvalidOrderTransition, match="it fills 7 but only 6 is left"):
        order.apply(fill("7"))
    assert snapshot(order) == before


def test_fill_with_a_trade_id_already_applied_raises() -> None:
    order = order_in(S.ACCEPTED)
    order.apply(fill("1", trade_id="dup"))
    before = snapshot(order)
    with pytest.raises(InvalidOrderTransition, match="trade dup was already applied"):
        order.apply(fill("1", trade_id="dup"))
    assert snapshot(order) == before


def test_event_for_another_order_raises() -> None:
    order = new_order()
    with pytest.raises(InvalidOrderTransition, match="it is for order o2"):
        order.apply(OrderSubmitted(ClientOrderId("o2"), TS))
    assert (order.status, order.events) == (S.INITIALIZED, ())


@pytest.mark.parametrize("changes", [{"symbol": Symbol("MSFT")}, {"side": OrderSide.SELL}], ids=["symbol", "side"])
def test_fill_for_another_symbol_or_side_raises(changes: dict[str, object]) -> None:
    order = order_in(S.ACCEPTED)
    with pytest.raises(InvalidOrderTransition, match="the fill is a"):
        order.apply(fill("1", **changes))
    assert order.filled_quantity == 0


def test_avg_fill_price_is_volume_weighted() -> None:
    order = order_in(S.ACCEPTED)
    assert order.avg_fill_price == 0
    order.apply(fill("3", "100"))
    order.apply(fill("7", "110"))
    assert (order.filled_quantity, order.avg_fill_price) == (D(10), D(107))


def test_avg_fill_price_that_does_not_terminate_is_rounded_to_28_digits() -> None:
    order = order_in(S.ACCEPTED)
    order.apply(fill("1", "1"))
    order.apply(fill("2", "2"))
    assert order.avg_fill_price == D("1.666666666666666666666666667")


def test_accepted_event_records_the_venue_order_id() -> None:
    assert order_in(S.SUBMITTED).venue_order_id is None
    assert order_in(S.ACCEPTED).venue_order_id == VenueOrderId("v1")


def test_cancel_rejected_after_a_partial_fill_returns_to_partially_filled() -> None:
    order = order_in(S.PARTIALLY_FILLED)
    order.apply(OrderPendingCancel(ORDER_ID, TS))
    order.apply(OrderCancelRejected(ORDER_ID, TS, "too late"))
    assert (order.status, order.filled_quantity) == (S.PARTIALLY_FILLED, D(4))


def test_fill_while_cancel_is_pending_then_cancel_rejected_keeps_the_order_working() -> None:
    order = order_in(S.PENDING_CANCEL)
    order.apply(fill("2"))
    assert (order.status, order.filled_quantity) == (S.PARTIALLY_FILLED, D(2))
    order.apply(OrderCancelRejected(ORDER_ID, TS, "too late"))
    assert (order.status, order.leaves_quantity) == (S.PARTIALLY_FILLED, D(8))
    assert order.is_open


def test_replaying_the_event_log_rebuilds_the_order() -> None:
    order = order_in(S.PARTIALLY_FILLED)
    order.apply(fill("2.5", "188"))
    replayed = new_order()
    for event in order.events:
        replayed.apply(event)
    assert snapshot(replayed) == snapshot(order)
    assert order.fills == tuple(e.fill for e in order.events if isinstance(e, OrderFilled))
    assert order.ts_last == TS + timedelta(seconds=5)


def test_order_state_cannot_be_assigned() -> None:
    order = new_order()
    with pytest.raises(AttributeError):
        order.status = S.FILLED  # type: ignore[misc]


def test_order_from_command_copies_the_request() -> None:
    command = SubmitOrder(
        client_order_id=ORDER_ID,
        symbol=Symbol("AAPL"),
        side=OrderSide.SELL,
        order_type=OrderType.STOP_LIMIT,
        quantity=D("5"),
        ts=TS,
        time_in_force=TimeInForce.GTC,
        limit_price=D("180"),
        stop_price=D("181"),
        deployment_id=DeploymentId("dep-1"),
    )
    order = Order.from_command(command)
    assert (order.client_order_id, order.symbol, order.side, order.order_type) == (
        ORDER_ID,
        Symbol("AAPL"),
        OrderSide.SELL,
        OrderType.STOP_LIMIT,
    )
    assert (order.quantity, order.limit_price, order.stop_price) == (D(5), D(180), D(181))
    assert (order.time_in_force, order.deployment_id, order.ts_init) == (
        TimeInForce.GTC,
        DeploymentId("dep-1"),
        TS,
    )
    assert (order.status, order.filled_quantity, order.leaves_quantity, order.events) == (
        S.INITIALIZED,
        D(0),
        D(5),
        (),
    )


@pytest.mark.parametrize(
    ("order_type", "limit", "stop", "message"),
    [
        (OrderType.MARKET, D(1), None, "a market order takes no limit_price"),
        (OrderType.LIMIT, None, None, "a limit order needs a limit_price"),
        (OrderType.STOP, None, None, "a stop order needs a stop_price"),
        (OrderType.STOP_LIMIT, D(1), None, "a stop_limit order needs a stop_price"),
    ],
)
def test_order_with_prices_its_type_does_not_allow_is_refused(
    order_type: OrderType, limit: Decimal | None, stop: Decimal | None, message: str
) -> None:
    with pytest.raises(InvalidValue, match=message):
        Order(
            client_order_id=ORDER_ID,
            symbol=Symbol("AAPL"),
            side=OrderSide.BUY,
            order_type=order_type,
            quantity=D(1),
            ts_init=TS,
            limit_price=limit,
            stop_price=stop,
        )


@pytest.mark.parametrize("quantity", [D(0), D("-1"), 1.0])
def test_order_with_bad_quantity_is_refused(quantity: object) -> None:
    with pytest.raises(InvalidValue, match=r"Order\.quantity"):
        Order(
            client_order_id=ORDER_ID,
            symbol=Symbol("AAPL"),
            side=OrderSide.BUY,
            order_type=OrderType.MARKET,
            quantity=quantity,  # type: ignore[arg-type]
            ts_init=TS,
        )

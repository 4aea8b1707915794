"""Engine events survive the trip through a bus message exactly: every type, every Decimal digit, UTC times."""

from __future__ import annotations

import doctest
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

import quantdesk.bus.codec
from quantdesk.bus import (
    EVENT_TYPES,
    TOPICS,
    BusError,
    Event,
    MemoryBus,
    decode,
    encode,
    event_key,
    publish_event,
    topic_for,
)
from quantdesk.model import (
    ClientOrderId,
    Fill,
    LiquiditySide,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderPendingCancel,
    OrderRejected,
    OrderSide,
    OrderSubmitted,
    Symbol,
    TradeId,
    VenueOrderId,
)
from quantdesk.portfolio import EquitySnapshot
from quantdesk.risk import RiskEvent, RiskEventKind

TS = datetime(2024, 3, 4, 14, 30, 0, 123456, tzinfo=UTC)
CID = ClientOrderId("dep-1:20240304T143000:AAPL:target")

FILL = Fill(
    trade_id=TradeId("paper-1-7"),
    client_order_id=CID,
    symbol=Symbol("BRK.B"),
    side=OrderSide.SELL,
    quantity=Decimal("0.000000000000000001"),
    price=Decimal("1234567890.123456789012345678901234567890"),
    fee=Decimal("0E-8"),
    ts=TS,
    liquidity_side=LiquiditySide.TAKER,
)

EVENTS: list[Event] = [
    OrderSubmitted(CID, TS),
    OrderAccepted(CID, TS, VenueOrderId("paper-1-o3")),
    OrderRejected(CID, TS, "buying power: needs 10500.00, has 9000.00"),
    OrderPendingCancel(CID, TS),
    OrderCancelRejected(CID, TS, "too late to cancel"),
    OrderCanceled(CID, TS),
    OrderExpired(CID, TS),
    OrderFilled(FILL),
    FILL,
    Fill(
        trade_id=TradeId("T1"),
        client_order_id=CID,
        symbol=Symbol("AAPL"),
        side=OrderSide.BUY,
        quantity=Decimal(10),
        price=Decimal("187.50"),
        fee=Decimal("0.9375"),
        ts=TS,
    ),
    RiskEvent(TS, RiskEventKind.DENIED, "max_position", "position would exceed 25%", {"weight": "0.31"}),
    RiskEvent(TS, RiskEventKind.KILL_SWITCH, None, "halted by hand"),
    EquitySnapshot(TS, Decimal("-1500.25"), Decimal("100.3333333333333333333333333"), Decimal(0), Decimal("-0")),
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: type(e).__name__)
def test_event_round_trips_exactly_through_json_text(event: Event) -> None:
    text = json.dumps(encode(event))
    decoded = decode(json.loads(text))
    assert decoded == event
    assert type(decoded) is type(event)


def test_decimals_keep_every_digit_and_exponent_and_times_are_utc_iso() -> None:
    payload = encode(FILL)
    assert payload == {
        "type": "fill",
        "trade_id": "paper-1-7",
        "client_order_id": "dep-1:20240304T143000:AAPL:target",
        "symbol": "BRK.B",
        "side": "sell",
        "quantity": "1E-18",
        "price": "1234567890.123456789012345678901234567890",
        "fee": "0E-8",
        "ts": "2024-03-04T14:30:00.123456+00:00",
        "liquidity_side": "taker",
    }
    back = decode(payload)
    assert isinstance(back, Fill)
    assert str(back.fee) == "0E-8"
    assert back.ts.tzinfo is UTC


def test_order_filled_carries_its_fill_and_takes_id_and_time_from_it() -> None:
    payload = encode(OrderFilled(FILL))
    assert set(payload) == {"type", "fill"}
    back = decode(payload)
    assert isinstance(back, OrderFilled)
    assert (back.fill, back.client_order_id, back.ts) == (FILL, CID, TS)


def test_a_time_in_another_zone_is_sent_as_utc() -> None:
    eastern = TS.astimezone(timezone(timedelta(hours=-5)))
    payload = encode(OrderSubmitted(CID, eastern))
    assert payload["ts"] == "2024-03-04T14:30:00.123456+00:00"


def test_every_order_event_type_has_a_codec() -> None:
    # by name: a slots dataclass replaces its class, and the replaced one can linger among the subclasses
    assert {cls.__name__ for cls in OrderEvent.__subclasses__()} <= {cls.__name__ for cls in EVENT_TYPES.values()}


@pytest.mark.parametrize(
    ("event", "topic"),
    [
        (OrderSubmitted(CID, TS), "orders"),
        (OrderFilled(FILL), "orders"),
        (FILL, "fills"),
        (EVENTS[-3], "risk"),
        (EVENTS[-1], "equity"),
    ],
    ids=["order", "order_filled", "fill", "risk", "equity"],
)
def test_each_event_goes_to_its_topic(event: Event, topic: str) -> None:
    assert topic_for(event) == topic
    assert topic in TOPICS


def test_natural_keys_name_the_event() -> None:
    assert event_key(OrderSubmitted(CID, TS)) == (
        "order_submitted:dep-1:20240304T143000:AAPL:target:2024-03-04T14:30:00.123456+00:00"
    )
    assert event_key(OrderFilled(FILL)) == "order_filled:paper-1-7"
    assert event_key(FILL) == "fill:paper-1-7"
    assert event_key(EVENTS[-1], scope="dep-1") == "dep-1/equity_snapshot:2024-03-04T14:30:00.123456+00:00"


def test_risk_event_key_is_the_same_for_equal_events_and_differs_for_different_ones() -> None:
    denied = RiskEvent(TS, RiskEventKind.DENIED, "max_position", "too big", {"weight": "0.31"})
    same = RiskEvent(TS, RiskEventKind.DENIED, "max_position", "too big", {"weight": "0.31"})
    other = RiskEvent(TS, RiskEventKind.DENIED, "max_position", "too big", {"weight": "0.32"})
    assert event_key(denied) == event_key(same)
    assert event_key(denied) != event_key(other)
    assert event_key(denied).startswith("risk_event:2024-03-04T14:30:00.123456+00:00:")


def test_publish_event_puts_the_event_on_its_topic_once_under_its_natural_key() -> None:
    bus = MemoryBus()
    received: list[Any] = []
    consumer = bus.subscribe("fills", "ws", received.append)
    first = publish_event(bus, FILL, scope="dep-1")
    again = publish_event(bus, FILL, scope="dep-1")
    assert first == again == "dep-1/fill:paper-1-7"
    assert consumer.poll().handled == 1
    (message,) = received
    assert message.payload["scope"] == "dep-1"
    assert decode(message.payload) == FILL


def test_unknown_type_is_refused_with_the_known_ones_listed() -> None:
    with pytest.raises(BusError, match=r"unknown event type 'order_teleported': expected one of order_submitted"):
        decode({"type": "order_teleported"})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"price": None}, r"fill\.price must not be null"),
        ({"price": 187.5}, r"fill\.price must be a string, got float 187\.5"),
        ({"price": "a lot"}, r"fill\.price must be a decimal number, got 'a lot'"),
        ({"price": "-1"}, r"cannot decode a fill message: Fill\.price must be > 0, got -1"),
        ({"ts": "2024-03-04T14:30:00"}, r"cannot decode a fill message: Fill\.ts must be timezone-aware"),
        ({"side": "sideways"}, r"cannot decode a fill message: 'sideways' is not a valid OrderSide"),
    ],
)
def test_a_bad_field_is_refused_naming_it(change: dict[str, Any], message: str) -> None:
    with pytest.raises(BusError, match=message):
        decode({**encode(FILL), **change})


def test_a_missing_field_is_refused_naming_it() -> None:
    payload = encode(FILL)
    del payload["quantity"]
    with pytest.raises(BusError, match=r"a fill payload lacks 'quantity'"):
        decode(payload)


def test_something_that_is_not_an_event_is_refused() -> None:
    with pytest.raises(BusError, match=r"cannot encode str: the bus carries order events, fills, risk events"):
        encode("hello")  # type: ignore[arg-type]
    with pytest.raises(BusError, match=r"no topic for int"):
        topic_for(3)  # type: ignore[arg-type]


def test_docstring_examples_run() -> None:
    result = doctest.testmod(quantdesk.bus.codec)
    assert (result.attempted > 0, result.failed) == (True, 0)

"""Which engine events notify, how urgently, under which key, and on which channels."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from quantdesk.bus import BusError, Event, MemoryBus, Message, publish_event, topic_for
from quantdesk.model import (
    ClientOrderId,
    Fill,
    OrderAccepted,
    OrderFilled,
    OrderRejected,
    OrderSide,
    Symbol,
    TradeId,
    VenueOrderId,
)
from quantdesk.notifications import ChannelName, NotificationTarget, Severity, channels_for, notice_for
from quantdesk.portfolio import EquitySnapshot
from quantdesk.risk import RiskEvent, RiskEventKind

TS = datetime(2024, 3, 4, 21, 0, tzinfo=UTC)
CID = ClientOrderId("dep-a:20240304T210000:IBM:target")
FILL = Fill(
    trade_id=TradeId("paper-dep-a-1"),
    client_order_id=CID,
    symbol=Symbol("IBM"),
    side=OrderSide.BUY,
    quantity=Decimal("12"),
    price=Decimal("185.25"),
    fee=Decimal("2.22"),
    ts=TS,
)
DENIED = RiskEvent(
    TS, RiskEventKind.DENIED, "MaxOrderNotional", "IBM order notional 50,000.00 exceeds max_order_notional 45,000.00",
    {"symbol": "IBM", "side": "buy", "quantity": "270"},
)  # fmt: skip
KILL = RiskEvent(TS, RiskEventKind.KILL_SWITCH, None, "stopped by hand", {"from": "active", "to": "halted"})
HALT = RiskEvent(TS, RiskEventKind.STATE_CHANGE, "max_drawdown", "drawdown 21% exceeds 20%", {"to": "halted"})
MARGIN = RiskEvent(TS, RiskEventKind.STATE_CHANGE, "maintenance_margin", "margin call: ...", {"to": "reducing"})
DAILY = RiskEvent(TS, RiskEventKind.STATE_CHANGE, "max_daily_loss", "daily loss 4% exceeds 3%", {"to": "reducing"})
BACK = RiskEvent(TS, RiskEventKind.STATE_CHANGE, None, "new trading day 2024-03-05", {"to": "active"})
STOP = RiskEvent(TS, RiskEventKind.PROTECTION, "stop_loss", "IBM stop_loss at close 170", {"symbol": "IBM"})
SNAPSHOT = EquitySnapshot(TS, Decimal("100"), Decimal("100"), Decimal("0"), Decimal("0"))

EVERYONE = NotificationTarget(
    "alice", "a@example.com", "https://hooks.example.com/q", "0123456789abcdef", "+41791234567", TS
)
NOBODY = NotificationTarget("alice", None, None, None, None, None)
ALL_OUTSIDE = (ChannelName.EMAIL, ChannelName.WEBHOOK, ChannelName.SMS)


def message(event: Event, scope: str | None = "dep-a") -> Message:
    """``event`` as the notification group receives it from the bus."""
    bus = MemoryBus()
    got: list[Message] = []
    consumer = bus.subscribe(topic_for(event), "notifications", got.append)
    publish_event(bus, event, scope=scope)
    consumer.poll()
    return got[0]


@pytest.mark.parametrize(
    ("event", "severity", "kind", "title"),
    [
        (FILL, Severity.INFO, "fill", "Bought 12 IBM at 185.25"),
        (OrderFilled(FILL), Severity.INFO, "fill", "Bought 12 IBM at 185.25"),
        (DENIED, Severity.WARNING, "order_denied", "Order denied for IBM: MaxOrderNotional"),
        (STOP, Severity.WARNING, "protection", "Stop loss on IBM"),
        (KILL, Severity.CRITICAL, "kill_switch", "Kill switch: trading halted"),
        (HALT, Severity.CRITICAL, "trading_halted", "Trading halted"),
        (MARGIN, Severity.CRITICAL, "margin_call", "Margin call: reducing positions only"),
        (DAILY, Severity.CRITICAL, "trading_reduced", "Trading reduced: closing positions only"),
        (BACK, Severity.INFO, "trading_active", "Trading active again"),
    ],
    ids=["fill", "order_filled", "denied", "protection", "kill", "halted", "margin_call", "reducing", "active"],
)
def test_each_notifying_event_has_its_severity_kind_and_title(
    event: Event, severity: Severity, kind: str, title: str
) -> None:
    notice = notice_for(message(event))
    assert notice is not None
    assert (notice.severity, notice.kind, notice.title, notice.deployment_id) == (severity, kind, title, "dep-a")


@pytest.mark.parametrize(
    "event",
    [
        SNAPSHOT,
        OrderAccepted(CID, TS, VenueOrderId("venue-1")),
        OrderRejected(CID, TS, "insufficient buying power"),
    ],
    ids=["equity", "accepted", "rejected"],
)
def test_equity_snapshots_and_other_order_events_make_no_notification(event: Event) -> None:
    assert notice_for(message(event)) is None


def test_a_risk_notice_is_keyed_by_its_message_id_and_says_why() -> None:
    got = message(DENIED)
    notice = notice_for(got)
    assert notice is not None
    assert notice.source_key == got.id
    assert notice.body == (
        "dep-a: IBM order notional 50,000.00 exceeds max_order_notional 45,000.00 (2024-03-04 21:00 UTC)."
    )
    assert notice.payload == {"topic": "risk", "message_id": got.id, "event": got.payload}


def test_a_trade_published_as_fill_and_as_order_filled_has_one_source_key() -> None:
    fill, filled = notice_for(message(FILL)), notice_for(message(OrderFilled(FILL)))
    assert fill is not None
    assert filled is not None
    assert fill.source_key == filled.source_key == "dep-a/fill:paper-dep-a-1"
    assert fill.body == (
        "dep-a: order dep-a:20240304T210000:IBM:target filled 12 IBM at 185.25 (fee 2.22) "
        "at 2024-03-04 21:00 UTC; trade paper-dep-a-1."
    )


def test_a_message_that_is_no_engine_event_makes_none_and_a_broken_one_is_refused() -> None:
    assert notice_for(Message("x", "orders", {"type": "note"}, TS)) is None
    with pytest.raises(BusError, match="a risk_event payload lacks 'rule'"):
        notice_for(Message("y", "risk", {"type": "risk_event", "ts": TS.isoformat(), "kind": "denied"}, TS))


def test_without_preferences_each_severity_goes_to_its_default_channels_that_have_a_target() -> None:
    assert channels_for(Severity.INFO, None, EVERYONE, ALL_OUTSIDE) == (ChannelName.IN_APP,)
    assert channels_for(Severity.WARNING, None, EVERYONE, ALL_OUTSIDE) == (ChannelName.IN_APP, ChannelName.EMAIL)
    assert channels_for(Severity.CRITICAL, None, EVERYONE, ALL_OUTSIDE) == (ChannelName.IN_APP, *ALL_OUTSIDE)
    assert channels_for(Severity.CRITICAL, None, NOBODY, ALL_OUTSIDE) == (ChannelName.IN_APP,)


def test_preferences_choose_the_channels_and_a_channel_the_worker_lacks_is_skipped() -> None:
    prefs = {Severity.INFO: (), Severity.WARNING: (ChannelName.SMS, ChannelName.WEBHOOK)}
    assert channels_for(Severity.INFO, prefs, EVERYONE, ALL_OUTSIDE) == ()
    assert channels_for(Severity.WARNING, prefs, EVERYONE, ALL_OUTSIDE) == (ChannelName.SMS, ChannelName.WEBHOOK)
    assert channels_for(Severity.WARNING, prefs, EVERYONE, (ChannelName.EMAIL,)) == ()
    # not in the stored preferences: the default
    assert channels_for(Severity.CRITICAL, prefs, EVERYONE, (ChannelName.EMAIL,)) == (
        ChannelName.IN_APP,
        ChannelName.EMAIL,
    )


def test_a_webhook_without_its_secret_has_no_target() -> None:
    unsigned = NotificationTarget("alice", None, "https://hooks.example.com/q", None, None, TS)
    assert channels_for(Severity.CRITICAL, None, unsigned, ALL_OUTSIDE) == (ChannelName.IN_APP,)

"""Which engine events make a notification, how urgent it is, and which channels it goes to.

| event                                                   | severity | kind            |
| ------------------------------------------------------- | -------- | --------------- |
| fill, order filled (one notification per trade)         | info     | fill            |
| risk: order denied                                      | warning  | order_denied    |
| risk: protection fired (stop-loss, take-profit, trail)  | warning  | protection      |
| risk: kill switch                                       | critical | kill_switch     |
| risk: state change to HALTED                            | critical | trading_halted  |
| risk: state change to REDUCING (margin call)            | critical | margin_call     |
| risk: state change to REDUCING (other limits)           | critical | trading_reduced |
| risk: state change back to ACTIVE                       | info     | trading_active  |
| equity snapshots, other order events                    | none     |                 |

A notification goes to the owner of the deployment the event belongs to (the payload's ``scope``), on the
channels the owner chose for its severity (:data:`~quantdesk.persistence.notifications.DEFAULT_CHANNELS` when
none is stored) that have a target and that the worker can send through. A severity whose channels are empty
makes no notification; one whose channels leave out ``in_app`` is stored as read (the record of what was sent
outside) and not pushed to the app.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from quantdesk.bus import Message
from quantdesk.bus.codec import Event, decode, event_key
from quantdesk.model import Fill, OrderFilled, OrderSide, TradingState
from quantdesk.persistence.notifications import (
    DEFAULT_CHANNELS,
    ChannelName,
    NotificationTarget,
    Severity,
)
from quantdesk.risk.events import RiskEvent, RiskEventKind

MARGIN_RULE = "maintenance_margin"
"""The rule of the state change a margin call makes (see :meth:`quantdesk.risk.RiskEngine.on_margin`)."""


@dataclass(frozen=True, slots=True)
class Notice:
    """What an event says to its deployment's owner, before it is addressed to them.

    ``source_key`` is the bus message id (the event's natural key), except that a trade's ``fill`` and
    ``order_filled`` messages share the fill's key: one trade makes one notification.
    """

    severity: Severity
    kind: str
    title: str
    body: str
    source_key: str
    deployment_id: str | None
    payload: dict[str, Any] = field(default_factory=dict)


def notice_for(message: Message) -> Notice | None:
    """The notice ``message`` makes, or None (an event that makes none, or a message that is not an engine
    event); :class:`~quantdesk.bus.BusError` if it claims to be an event but does not decode."""
    if message.payload.get("type") not in ("fill", "order_filled", "risk_event"):
        return None
    event = decode(message.payload)
    scope = message.payload.get("scope")
    deployment = scope if isinstance(scope, str) and scope else None
    described = _describe(event, deployment or "a deployment")
    if described is None:
        return None
    severity, kind, title, body = described
    key = message.id
    if isinstance(event, OrderFilled | Fill):
        key = event_key(event.fill if isinstance(event, OrderFilled) else event, scope=deployment)
    payload = {"topic": message.topic, "message_id": message.id, "event": message.payload}
    return Notice(severity, kind, title[:200], body, key, deployment, payload)


def channels_for(
    severity: Severity,
    preferences: Mapping[Severity, Iterable[ChannelName]] | None,
    target: NotificationTarget,
    available: Collection[ChannelName],
) -> tuple[ChannelName, ...]:
    """The channels a notification of ``severity`` goes to: those the user chose (the defaults when
    ``preferences`` has none for it) that have a target and are ``available`` (the app always is)."""
    chosen = (preferences or {}).get(severity, DEFAULT_CHANNELS[severity])
    return tuple(name for name in chosen if target.reaches(name) and (name is ChannelName.IN_APP or name in available))


def _describe(event: Event, deployment: str) -> tuple[Severity, str, str, str] | None:
    if isinstance(event, OrderFilled):
        return _fill(event.fill, deployment)
    if isinstance(event, Fill):
        return _fill(event, deployment)
    if isinstance(event, RiskEvent):
        return _risk(event, deployment)
    return None


def _fill(fill: Fill, deployment: str) -> tuple[Severity, str, str, str]:
    verb = "Bought" if fill.side is OrderSide.BUY else "Sold"
    title = f"{verb} {fill.quantity} {fill.symbol} at {fill.price}"
    body = (
        f"{deployment}: order {fill.client_order_id} filled {fill.quantity} {fill.symbol} at {fill.price} "
        f"(fee {fill.fee}) at {fill.ts:%Y-%m-%d %H:%M} UTC; trade {fill.trade_id}."
    )
    return Severity.INFO, "fill", title, body


def _risk(event: RiskEvent, deployment: str) -> tuple[Severity, str, str, str] | None:
    body = f"{deployment}: {event.reason} ({event.ts:%Y-%m-%d %H:%M} UTC)."
    if event.kind is RiskEventKind.DENIED:
        what = event.details.get("symbol")
        return Severity.WARNING, "order_denied", f"Order denied{f' for {what}' if what else ''}: {event.rule}", body
    if event.kind is RiskEventKind.PROTECTION:
        exit_ = (event.rule or "protection").replace("_", " ").capitalize()
        return Severity.WARNING, "protection", f"{exit_} on {event.details.get('symbol', '')}", body
    if event.kind is RiskEventKind.KILL_SWITCH:
        return Severity.CRITICAL, "kill_switch", "Kill switch: trading halted", body
    to = event.details.get("to")
    if to == TradingState.HALTED:
        return Severity.CRITICAL, "trading_halted", "Trading halted", body
    if to == TradingState.REDUCING and event.rule == MARGIN_RULE:
        return Severity.CRITICAL, "margin_call", "Margin call: reducing positions only", body
    if to == TradingState.REDUCING:
        return Severity.CRITICAL, "trading_reduced", "Trading reduced: closing positions only", body
    if to == TradingState.ACTIVE:
        return Severity.INFO, "trading_active", "Trading active again", body
    return None

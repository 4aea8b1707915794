"""The engine's events as bus messages: JSON-safe dicts with a ``type`` field, and back, exactly.

Decimals travel as strings (``str(Decimal)`` keeps every digit and the exponent), datetimes as ISO 8601 in UTC,
identifiers and enums as their values. Each event has a natural key, so republishing it after a crash is
recognised as the same message.

>>> from datetime import UTC, datetime
>>> from decimal import Decimal
>>> from quantdesk.portfolio import EquitySnapshot
>>> snap = EquitySnapshot(datetime(2024, 3, 4, 21, tzinfo=UTC), Decimal("9500.5"), Decimal("10250.25"),
...                       Decimal("750"), Decimal("-750"))
>>> encode(snap)
{'type': 'equity_snapshot', 'ts': '2024-03-04T21:00:00+00:00', 'cash': '9500.5', 'equity': '10250.25', \
'gross': '750', 'net': '-750'}
>>> decode(encode(snap)) == snap
True
>>> topic_for(snap), event_key(snap, scope="dep-1")
('equity', 'dep-1/equity_snapshot:2024-03-04T21:00:00+00:00')
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, Union, get_args, get_origin, get_type_hints

from quantdesk.bus import _wire
from quantdesk.bus.port import Bus, BusError
from quantdesk.model.errors import QuantdeskError
from quantdesk.model.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderPendingCancel,
    OrderRejected,
    OrderSubmitted,
)
from quantdesk.model.fills import Fill
from quantdesk.model.ids import Identifier
from quantdesk.portfolio.curve import EquitySnapshot
from quantdesk.risk.events import RiskEvent

TOPIC_ORDERS = "orders"
TOPIC_FILLS = "fills"
TOPIC_RISK = "risk"
TOPIC_EQUITY = "equity"
TOPICS = (TOPIC_ORDERS, TOPIC_FILLS, TOPIC_RISK, TOPIC_EQUITY)
"""The topics the engine publishes on."""

Event = OrderEvent | Fill | RiskEvent | EquitySnapshot
"""What the engine publishes: order events (``OrderFilled`` included), fills, risk events, equity snapshots."""

EVENT_TYPES: dict[str, type[Any]] = {
    "order_submitted": OrderSubmitted,
    "order_accepted": OrderAccepted,
    "order_rejected": OrderRejected,
    "order_pending_cancel": OrderPendingCancel,
    "order_cancel_rejected": OrderCancelRejected,
    "order_canceled": OrderCanceled,
    "order_expired": OrderExpired,
    "order_filled": OrderFilled,
    "fill": Fill,
    "risk_event": RiskEvent,
    "equity_snapshot": EquitySnapshot,
}
"""The ``type`` field of a payload → the event class it decodes to."""

_NAMES = {cls: name for name, cls in EVENT_TYPES.items()}
_KINDS = "order events, fills, risk events and equity snapshots"


def encode(event: Event) -> dict[str, Any]:
    """``event`` as a JSON-safe dict: ``{"type": ..., <its fields>}``."""
    name = _NAMES.get(type(event))
    if name is None:
        raise BusError(f"cannot encode {type(event).__name__}: the bus carries {_KINDS}")
    return {"type": name, **_fields(event)}


def decode(payload: Mapping[str, Any]) -> Event:
    """The event :func:`encode` made ``payload`` from. Keys that are not fields of the event (an envelope's
    ``scope``, say) are ignored; a missing field or a value the event refuses raises :class:`BusError`."""
    if not isinstance(payload, Mapping):
        raise BusError(f"an event payload must be a dict, got {type(payload).__name__}")
    kind = payload.get("type")
    cls = EVENT_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise BusError(f"unknown event type {kind!r}: expected one of {', '.join(EVENT_TYPES)}")
    try:
        event: Event = _build(cls, payload, kind)
        return event
    except BusError:
        raise
    except (QuantdeskError, ValueError, TypeError) as exc:
        raise BusError(f"cannot decode a {kind} message: {exc}") from exc


def topic_for(event: Event) -> str:
    """The topic ``event`` is published on."""
    if isinstance(event, OrderEvent):
        return TOPIC_ORDERS
    if isinstance(event, Fill):
        return TOPIC_FILLS
    if isinstance(event, RiskEvent):
        return TOPIC_RISK
    if isinstance(event, EquitySnapshot):
        return TOPIC_EQUITY
    raise BusError(f"no topic for {type(event).__name__}: the bus carries {_KINDS}")


def event_key(event: Event, *, scope: str | None = None) -> str:
    """The natural key of ``event``, the id its message gets: the same event always has the same key.

    Fills and ``OrderFilled`` are keyed by trade id, other order events by client order id and time, equity
    snapshots by time, risk events by time and a hash of their content. Client order ids and trade ids are
    unique across deployments; equity and risk events are not, so a publisher serving several deployments
    passes ``scope`` (the deployment id), which prefixes the key.
    """
    name = _NAMES.get(type(event))
    if name is None:
        raise BusError(f"no key for {type(event).__name__}: the bus carries {_KINDS}")
    if isinstance(event, OrderFilled):
        natural = f"{name}:{event.fill.trade_id}"
    elif isinstance(event, OrderEvent):
        natural = f"{name}:{event.client_order_id}:{_iso(event.ts)}"
    elif isinstance(event, Fill):
        natural = f"{name}:{event.trade_id}"
    elif isinstance(event, EquitySnapshot):
        natural = f"{name}:{_iso(event.ts)}"
    else:
        content = json.dumps(_fields(event), sort_keys=True, separators=(",", ":"))
        natural = f"{name}:{_iso(event.ts)}:{hashlib.sha256(content.encode()).hexdigest()[:24]}"
    return natural if scope is None else _wire.key(f"{_wire.key(scope)}/{natural}")


def publish_event(bus: Bus, event: Event, *, scope: str | None = None) -> str:
    """Publish ``event`` on its topic under its natural key; ``scope`` (a deployment id) also goes into the
    payload as ``"scope"``, so a consumer knows whose event it is. Returns the message id."""
    payload = encode(event)
    if scope is not None:
        payload["scope"] = scope
    return bus.publish(topic_for(event), payload, key=event_key(event, scope=scope))


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat()


def _fields(obj: Any) -> dict[str, Any]:
    # init=False fields (OrderFilled's client_order_id and ts) are derived, so they do not travel
    return {f.name: _to_json(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.init}


def _to_json(value: Any) -> Any:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Identifier):
        return value.value
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, Mapping):
        return {str(k): _to_json(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _fields(value)
    raise BusError(f"cannot encode a {type(value).__name__} field value {value!r}")


def _build(cls: type[Any], data: Mapping[str, Any], where: str) -> Any:
    if not isinstance(data, Mapping):
        raise BusError(f"{where} must be an object, got {type(data).__name__}")
    hints = get_type_hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        if f.name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise BusError(f"a {where} payload lacks {f.name!r}")
            continue
        values[f.name] = _from_json(hints[f.name], data[f.name], f"{where}.{f.name}")
    return cls(**values)


def _from_json(tp: Any, value: Any, where: str) -> Any:
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        args = get_args(tp)
        if value is None and type(None) in args:
            return None
        (tp,) = (a for a in args if a is not type(None))
        origin = get_origin(tp)
    if value is None:
        raise BusError(f"{where} must not be null")
    if origin is dict:
        if not isinstance(value, Mapping):
            raise BusError(f"{where} must be an object, got {type(value).__name__}")
        _, value_type = get_args(tp)
        return {str(k): _from_json(value_type, v, f"{where}[{k!r}]") for k, v in value.items()}
    if dataclasses.is_dataclass(tp) and not issubclass(tp, Identifier):
        return _build(tp, value, where)
    if not isinstance(value, str):
        raise BusError(f"{where} must be a string, got {type(value).__name__} {value!r}")
    if tp is Decimal:
        try:
            return Decimal(value)
        except InvalidOperation:
            raise BusError(f"{where} must be a decimal number, got {value!r}") from None
    if tp is datetime:
        return datetime.fromisoformat(value)
    if isinstance(tp, type) and issubclass(tp, Enum | Identifier):
        return tp(value)
    if tp is str:
        return value
    raise BusError(f"{where}: cannot decode a field of type {tp!r}")

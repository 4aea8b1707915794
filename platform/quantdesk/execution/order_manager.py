"""The order manager: our own book of orders, kept in step with the broker's.

Every change to an order goes through :meth:`quantdesk.model.Order.apply`, so each order's event log is the
truth. A submit that times out is not resent: the order stays SUBMITTED and "unknown" until
:meth:`OrderManager.resolve_unknown` asks the broker what it has.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Protocol

from quantdesk.execution.broker import BrokerError, BrokerOrder, BrokerPort, BrokerRejected
from quantdesk.model.commands import SubmitOrder
from quantdesk.model.enums import OrderStatus
from quantdesk.model.errors import InvalidOrderTransition, QuantdeskError
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
from quantdesk.model.ids import ClientOrderId, DeploymentId
from quantdesk.model.orders import Order

_S = OrderStatus
_UNSETTLED = (_S.SUBMITTED, _S.PENDING_CANCEL)  # a request is out and its outcome not yet known
_ENDINGS: dict[type[OrderEvent], OrderStatus] = {
    OrderCanceled: _S.CANCELED,
    OrderExpired: _S.EXPIRED,
    OrderRejected: _S.REJECTED,
}


class Clock(Protocol):
    """Where the time comes from (simulated in a replay, the wall clock otherwise)."""

    def now(self) -> datetime: ...


class OrderManagerError(QuantdeskError):
    """An order request the manager refuses: an unknown or finished order, an id used by another order."""


@dataclass(frozen=True, slots=True)
class SkippedEvent:
    """A broker event that changed nothing, and why (an order we do not know, a transition it refuses)."""

    event: OrderEvent
    reason: str


@dataclass(frozen=True, slots=True)
class EventReport:
    """What :meth:`OrderManager.on_events` did with each event."""

    applied: tuple[OrderEvent, ...] = ()
    duplicates: tuple[OrderEvent, ...] = ()  # already applied (a fill's trade id, a repeated ack): ignored
    skipped: tuple[SkippedEvent, ...] = ()


_TERMS = ("symbol", "side", "order_type", "quantity", "time_in_force", "limit_price", "stop_price")


def _same_terms(a: Order | SubmitOrder | BrokerOrder, b: Order | SubmitOrder | BrokerOrder) -> bool:
    return all(getattr(a, name) == getattr(b, name) for name in _TERMS)


class OrderManager:
    """The orders of one deployment, sent through ``broker`` and kept in step with its events."""

    def __init__(self, deployment_id: DeploymentId, broker: BrokerPort, clock: Clock) -> None:
        if not isinstance(deployment_id, DeploymentId):
            raise OrderManagerError(f"deployment_id must be a DeploymentId, got {deployment_id!r}")
        self._deployment_id = deployment_id
        self._broker = broker
        self._clock = clock
        self._orders: dict[ClientOrderId, Order] = {}
        self._live: dict[ClientOrderId, Order] = {}  # not finished yet: what open_orders looks through
        self._fills: list[Fill] = []
        self._unknown: set[ClientOrderId] = set()
        self._retriable: set[ClientOrderId] = set()

    @property
    def deployment_id(self) -> DeploymentId:
        return self._deployment_id

    @property
    def orders(self) -> Mapping[ClientOrderId, Order]:
        """Every order by client id (a read-only view)."""
        return MappingProxyType(self._orders)

    @property
    def fills(self) -> tuple[Fill, ...]:
        """Every fill applied, in the order they were applied."""
        return tuple(self._fills)

    @property
    def unknown(self) -> frozenset[ClientOrderId]:
        """Orders whose last request timed out: their state at the broker is not known yet."""
        return frozenset(self._unknown)

    def order(self, client_order_id: ClientOrderId) -> Order | None:
        return self._orders.get(client_order_id)

    def open_orders(self) -> list[Order]:
        """Orders sent and not finished (in-flight ones included)."""
        return [order for order in self._live.values() if order.is_open]

    def has_open_orders(self) -> bool:
        """Whether any order is sent and not finished (cheap: asked on every bar of a replay)."""
        return any(order.is_open for order in self._live.values()) if self._live else False

    def submit(self, command: SubmitOrder) -> Order:
        """Create the order, mark it SUBMITTED, send it and apply the broker's answer.

        Idempotent by client id: a command for an order we already have returns it, sent once. Only an order
        :meth:`resolve_unknown` found the broker never received is sent again under its id, once; the new
        attempt replaces the rejected one in :attr:`orders` (whose events the caller has already recorded).
        """
        if not isinstance(command, SubmitOrder):
            raise OrderManagerError(f"submit takes a SubmitOrder, got {type(command).__name__}")
        if command.deployment_id not in (None, self._deployment_id):
            raise OrderManagerError(f"the order is for deployment {command.deployment_id}, not {self._deployment_id}")
        cid = command.client_order_id
        existing = self._orders.get(cid)
        if existing is not None:
            if not _same_terms(existing, command):
                raise OrderManagerError(f"client order id {cid} is already used by a different order")
            if cid not in self._retriable:
                return existing
            self._retriable.discard(cid)
        order = Order(
            client_order_id=cid,
            symbol=command.symbol,
            side=command.side,
            order_type=command.order_type,
            quantity=command.quantity,
            ts_init=command.ts,
            time_in_force=command.time_in_force,
            limit_price=command.limit_price,
            stop_price=command.stop_price,
            deployment_id=self._deployment_id,
        )
        self._orders[cid] = self._live[cid] = order
        self._send(order, command)
        return order

    def cancel(self, client_order_id: ClientOrderId) -> Order:
        """Ask the broker to cancel an open order; re-raises :class:`BrokerRejected` after applying what the
        broker reports (the order may have filled meanwhile). A timeout leaves the order unknown."""
        order = self._orders.get(client_order_id)
        if order is None:
            raise OrderManagerError(f"unknown order {client_order_id}")
        if order.is_terminal:
            raise OrderManagerError(f"order {client_order_id} is already {order.status}")
        if order.status in (_S.ACCEPTED, _S.PARTIALLY_FILLED):
            self._settle(order, OrderPendingCancel(client_order_id, self._clock.now()))
        try:
            answer = self._broker.cancel(client_order_id)
        except BrokerRejected as exc:
            try:
                current = self._broker.order(client_order_id)
            except BrokerError:
                current = None
            if current is not None:
                self._sync(order, current)
            if order.status is _S.PENDING_CANCEL:
                self._settle(order, OrderCancelRejected(client_order_id, self._clock.now(), exc.reason))
            raise
        except BrokerError:
            self._unknown.add(client_order_id)
        else:
            self._sync(order, answer)
        return order

    def cancel_all(self) -> list[Order]:
        """The kill switch: cancel every open order, whatever fails. Returns the orders still open (empty when
        all are done); unknown orders are resolved first."""
        self.resolve_unknown()
        for order in self.open_orders():
            try:
                self.cancel(order.client_order_id)
            except QuantdeskError:
                continue
        return self.open_orders()

    def on_events(self, events: Iterable[OrderEvent]) -> EventReport:
        """Apply broker events to our orders. Events of orders we do not know, and events an order refuses,
        are reported, not raised; repeats of what was already applied are ignored."""
        applied: list[OrderEvent] = []
        duplicates: list[OrderEvent] = []
        skipped: list[SkippedEvent] = []
        for event in events:
            order = self._orders.get(event.client_order_id)
            if order is None:
                skipped.append(SkippedEvent(event, f"unknown order {event.client_order_id}"))
                continue
            if self._is_duplicate(order, event):
                duplicates.append(event)
                continue
            try:
                self._settle(order, event)
            except InvalidOrderTransition as exc:
                skipped.append(SkippedEvent(event, str(exc)))
            else:
                applied.append(event)
        return EventReport(tuple(applied), tuple(duplicates), tuple(skipped))

    def resolve_unknown(self) -> list[Order]:
        """Ask the broker about each unknown order and adopt its state; an order the broker never received is
        rejected here (never resent blind) and may be submitted again once under its id. Returns the orders
        resolved; those the broker still cannot tell about stay unknown."""
        resolved = []
        for cid in sorted(self._unknown, key=str):
            order = self._orders[cid]
            try:
                current = self._broker.order(cid)
            except BrokerError:
                continue
            if current is None:
                if order.status is _S.SUBMITTED:
                    reason = "the broker never received the order"
                    self._settle(order, OrderRejected(cid, self._clock.now(), reason))
                    self._retriable.add(cid)
            else:
                self._sync(order, current)
                if order.status is _S.PENDING_CANCEL and current.status in (_S.ACCEPTED, _S.PARTIALLY_FILLED):
                    reason = "the broker did not cancel the order"
                    self._settle(order, OrderCancelRejected(cid, self._clock.now(), reason))
            if cid not in self._unknown:
                resolved.append(order)
        return resolved

    def restore(self, orders: Iterable[Order]) -> None:
        """Take back the orders of an earlier run (rebuilt from their stored events), before :meth:`reconcile`."""
        for order in orders:
            if order.deployment_id not in (None, self._deployment_id):
                raise OrderManagerError(f"order {order.client_order_id} belongs to {order.deployment_id}")
            self._orders[order.client_order_id] = order
            if not order.is_terminal:
                self._live[order.client_order_id] = order
            self._fills.extend(order.fills)

    def reconcile(self) -> list[Order]:
        """Bring every open order to the broker's view after a restart: fills and endings that happened while
        we were down are applied; an order we recorded but never got to send (the broker does not know it) is
        sent now, once, under its id. Returns the orders that changed."""
        changed = []
        for order in [o for o in self._orders.values() if not o.is_terminal]:
            before = (order.status, order.filled_quantity)
            current = self._broker.order(order.client_order_id)
            if current is None:
                if order.status is _S.INITIALIZED:
                    self._send(order, _command_of(order, self._deployment_id))
                else:
                    self._unknown.add(order.client_order_id)
            else:
                if order.status is _S.INITIALIZED:
                    order.apply(OrderSubmitted(order.client_order_id, self._clock.now()))
                self._sync(order, current)
            if (order.status, order.filled_quantity) != before:
                changed.append(order)
        return changed

    def _send(self, order: Order, command: SubmitOrder) -> None:
        cid = order.client_order_id
        order.apply(OrderSubmitted(cid, self._clock.now()))
        try:
            answer = self._broker.submit(command)
        except BrokerRejected as exc:
            self._settle(order, OrderRejected(cid, self._clock.now(), exc.reason))
        except BrokerError:  # a timeout, or any failure after which the broker may have the order
            self._unknown.add(cid)
        else:
            self._sync(order, answer)

    def _sync(self, order: Order, current: BrokerOrder) -> None:
        """Bring ``order`` to what the broker reports of it: accepted, the fills it lacks, how it ended."""
        cid = order.client_order_id
        if current.client_order_id != cid or not _same_terms(order, current):
            raise OrderManagerError(f"the broker holds a different order under client id {cid}: {current}")
        if current.status is _S.REJECTED:
            if order.status is _S.SUBMITTED:
                self._settle(order, OrderRejected(cid, self._clock.now(), current.reason or "rejected by the broker"))
            return
        if order.status is _S.SUBMITTED and current.status is not _S.SUBMITTED and current.venue_order_id:
            self._settle(order, OrderAccepted(cid, self._clock.now(), current.venue_order_id))
        if current.filled_quantity > order.filled_quantity:
            for fill in self._broker.fills(since=order.ts_init):
                event = OrderFilled(fill)
                if fill.client_order_id == cid and not self._is_duplicate(order, event):
                    self._settle(order, event)
        ending = {_S.CANCELED: OrderCanceled, _S.EXPIRED: OrderExpired}.get(current.status)
        if ending is not None and not order.is_terminal:
            self._settle(order, ending(cid, self._clock.now()))

    def _settle(self, order: Order, event: OrderEvent) -> None:
        order.apply(event)
        if order.is_terminal:
            self._live.pop(order.client_order_id, None)
        if isinstance(event, OrderFilled):
            self._fills.append(event.fill)
        if order.status not in _UNSETTLED:
            self._unknown.discard(order.client_order_id)

    @staticmethod
    def _is_duplicate(order: Order, event: OrderEvent) -> bool:
        if isinstance(event, OrderFilled):
            return any(fill.trade_id == event.fill.trade_id for fill in order.fills)
        if isinstance(event, OrderAccepted):
            return order.venue_order_id == event.venue_order_id
        return _ENDINGS.get(type(event)) is order.status


def _command_of(order: Order, deployment_id: DeploymentId) -> SubmitOrder:
    return SubmitOrder(
        client_order_id=order.client_order_id,
        symbol=order.symbol,
        side=order.side,
        order_type=order.order_type,
        quantity=order.quantity,
        ts=order.ts_init,
        time_in_force=order.time_in_force,
        limit_price=order.limit_price,
        stop_price=order.stop_price,
        deployment_id=deployment_id,
    )

"""Order events and fills to and from their stored form (private)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from quantdesk.model import (
    ClientOrderId,
    DeploymentId,
    Fill,
    LiquiditySide,
    ModelError,
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
    OrderSubmitted,
    OrderType,
    Symbol,
    TimeInForce,
    TradeId,
    VenueOrderId,
)
from quantdesk.persistence.errors import PersistenceError
from quantdesk.persistence.tables import FillRow, OrderEventRow, OrderRow

EVENT_KINDS: dict[str, type[OrderEvent]] = {
    "submitted": OrderSubmitted,
    "accepted": OrderAccepted,
    "rejected": OrderRejected,
    "pending_cancel": OrderPendingCancel,
    "cancel_rejected": OrderCancelRejected,
    "canceled": OrderCanceled,
    "expired": OrderExpired,
    "filled": OrderFilled,
}
_KIND_OF = {event_type: kind for kind, event_type in EVENT_KINDS.items()}


def fill_payload(fill: Fill) -> dict[str, Any]:
    return {
        "trade_id": fill.trade_id.value,
        "symbol": fill.symbol.value,
        "side": fill.side.value,
        "quantity": str(fill.quantity),
        "price": str(fill.price),
        "fee": str(fill.fee),
        "liquidity_side": None if fill.liquidity_side is None else fill.liquidity_side.value,
    }


def event_row(event: OrderEvent) -> OrderEventRow:
    kind = _KIND_OF.get(type(event))
    if kind is None:
        raise PersistenceError(f"cannot store order event {type(event).__name__}: not an event the model defines")
    payload: dict[str, Any] = {}
    if isinstance(event, OrderAccepted):
        payload["venue_order_id"] = event.venue_order_id.value
    elif isinstance(event, OrderRejected | OrderCancelRejected):
        payload["reason"] = event.reason
    elif isinstance(event, OrderFilled):
        payload = fill_payload(event.fill)
    return OrderEventRow(client_order_id=event.client_order_id.value, kind=kind, payload=payload, ts=event.ts)


def event_from_row(row: OrderEventRow) -> OrderEvent:
    kind, payload, order_id = row.kind, row.payload, ClientOrderId(row.client_order_id)
    if kind == "filled":
        liquidity = payload.get("liquidity_side")
        return OrderFilled(
            Fill(
                trade_id=TradeId(payload["trade_id"]),
                client_order_id=order_id,
                symbol=Symbol(payload["symbol"]),
                side=OrderSide(payload["side"]),
                quantity=Decimal(payload["quantity"]),
                price=Decimal(payload["price"]),
                fee=Decimal(payload["fee"]),
                ts=row.ts,
                liquidity_side=None if liquidity is None else LiquiditySide(liquidity),
            )
        )
    if kind == "accepted":
        return OrderAccepted(order_id, row.ts, VenueOrderId(payload["venue_order_id"]))
    if kind in ("rejected", "cancel_rejected"):
        return EVENT_KINDS[kind](order_id, row.ts, payload["reason"])  # type: ignore[call-arg]
    if kind in EVENT_KINDS:
        return EVENT_KINDS[kind](order_id, row.ts)
    raise PersistenceError(f"order {row.client_order_id} has a stored event of unknown kind {kind!r}")


def order_row(order: Order, deployment_id: DeploymentId, intent: str) -> OrderRow:
    row = OrderRow(
        client_order_id=order.client_order_id.value,
        deployment_id=deployment_id.value,
        symbol=order.symbol.value,
        side=order.side.value,
        order_type=order.order_type.value,
        quantity=order.quantity,
        limit_price=order.limit_price,
        stop_price=order.stop_price,
        time_in_force=order.time_in_force.value,
        intent=intent,
        created_at=order.ts_init,
    )
    update_order_row(row, order)
    return row


def update_order_row(row: OrderRow, order: Order) -> None:
    row.status = order.status.value
    row.venue_order_id = None if order.venue_order_id is None else order.venue_order_id.value
    row.filled_quantity = order.filled_quantity
    row.avg_fill_price = order.avg_fill_price
    row.updated_at = order.ts_last


def order_from_rows(row: OrderRow, events: list[OrderEventRow]) -> Order:
    """The order rebuilt from its row's fixed fields and its stored events, replayed through ``apply``."""
    order = Order(
        client_order_id=ClientOrderId(row.client_order_id),
        symbol=Symbol(row.symbol),
        side=OrderSide(row.side),
        order_type=OrderType(row.order_type),
        quantity=row.quantity,
        ts_init=row.created_at,
        time_in_force=TimeInForce(row.time_in_force),
        limit_price=row.limit_price,
        stop_price=row.stop_price,
        deployment_id=DeploymentId(row.deployment_id),
    )
    for event in events:
        try:
            order.apply(event_from_row(event))
        except PersistenceError:
            raise
        except (ModelError, KeyError, ValueError, ArithmeticError) as exc:
            raise PersistenceError(
                f"the stored events of order {row.client_order_id} do not replay (event {event.id}): {exc}"
            ) from exc
    return order


def fill_row(fill: Fill, deployment_id: DeploymentId) -> dict[str, Any]:
    return {
        "deployment_id": deployment_id.value,
        "trade_id": fill.trade_id.value,
        "client_order_id": fill.client_order_id.value,
        "symbol": fill.symbol.value,
        "side": fill.side.value,
        "quantity": fill.quantity,
        "price": fill.price,
        "fee": fill.fee,
        "liquidity_side": None if fill.liquidity_side is None else fill.liquidity_side.value,
        "ts": fill.ts,
    }


def fill_from_row(row: FillRow) -> Fill:
    return Fill(
        trade_id=TradeId(row.trade_id),
        client_order_id=ClientOrderId(row.client_order_id),
        symbol=Symbol(row.symbol),
        side=OrderSide(row.side),
        quantity=row.quantity,
        price=row.price,
        fee=row.fee,
        ts=row.ts,
        liquidity_side=None if row.liquidity_side is None else LiquiditySide(row.liquidity_side),
    )

"""Orders (their event log is the truth) and fills (stored once per trade id)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from quantdesk.model import DeploymentId, Fill, Order, OrderEvent, OrderStatus
from quantdesk.persistence._codec import (
    event_row,
    fill_from_row,
    fill_row,
    order_from_rows,
    order_row,
    update_order_row,
)
from quantdesk.persistence._sql import insert_or_ignore
from quantdesk.persistence.columns import as_utc
from quantdesk.persistence.errors import PersistenceError
from quantdesk.persistence.tables import FillRow, OrderEventRow, OrderRow

FILLS = FillRow.__table__
ORDERS = OrderRow.__table__
EVENTS = OrderEventRow.__table__
_ORDER_KEY = ("client_order_id",)
_UNFINISHED = [status.value for status in OrderStatus if not status.is_terminal]


class OrderRepository:
    """Orders of deployments. An order is stored with its events; reading one replays the events through
    :meth:`Order.apply`, so the log, not the row's status columns, is the truth (they are a query cache)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, order: Order, deployment_id: DeploymentId, intent: str) -> None:
        """Store a new order (and any events it has applied already). A client order id is never reused:
        adding one that exists raises :class:`PersistenceError`."""
        if order.deployment_id is not None and order.deployment_id != deployment_id:
            raise PersistenceError(
                f"order {order.client_order_id} belongs to deployment {order.deployment_id}, not {deployment_id}"
            )
        # Core statements, not the ORM's unit of work: this runs before every order is sent
        if not insert_or_ignore(self._session, ORDERS, _values(order_row(order, deployment_id, intent)), _ORDER_KEY):
            raise PersistenceError(f"order {order.client_order_id} exists already: client order ids are never reused")
        if order.events:
            self._session.execute(EVENTS.insert(), [_values(event_row(event)) for event in order.events])

    def get(self, client_order_id: object) -> Order | None:
        """The order rebuilt from its stored events, or None if there is no such order."""
        row = self._session.get(OrderRow, _key(client_order_id))
        return None if row is None else self._rebuild([row])[0]

    def append_event(self, event: OrderEvent) -> Order:
        """Apply ``event`` to the stored order and store it; return the order as it is now.

        An event the order cannot apply raises :class:`~quantdesk.model.InvalidOrderTransition` and stores
        nothing; an unknown order raises :class:`PersistenceError`.
        """
        row = self._session.get(OrderRow, event.client_order_id.value, with_for_update=True)
        if row is None:
            raise PersistenceError(f"no order {event.client_order_id} to apply {type(event).__name__} to")
        order = self._rebuild([row])[0]
        order.apply(event)
        self._session.add(event_row(event))
        update_order_row(row, order)
        self._session.flush()
        return order

    def open_orders(self, deployment_id: DeploymentId) -> list[Order]:
        """The deployment's unfinished orders, oldest first: those the venue may still fill, and those created
        but not yet known to be sent (after a crash they may have reached the venue; reconcile them)."""
        query = _by_deployment(deployment_id).where(OrderRow.status.in_(_UNFINISHED))
        return self._rebuild(self._session.scalars(query).all())

    def for_deployment(self, deployment_id: DeploymentId) -> list[Order]:
        """Every order of the deployment, oldest first."""
        return self._rebuild(self._session.scalars(_by_deployment(deployment_id)).all())

    def intent(self, client_order_id: object) -> str | None:
        """Why the order was placed (``target``, ``stop``, ``flat``...), or None if there is no such order."""
        row = self._session.get(OrderRow, _key(client_order_id))
        return None if row is None else row.intent

    def _rebuild(self, rows: Iterable[OrderRow]) -> list[Order]:
        rows = list(rows)
        if not rows:
            return []
        events: dict[str, list[OrderEventRow]] = defaultdict(list)
        ids = [row.client_order_id for row in rows]
        for start in range(0, len(ids), 500):  # stay far below SQLite's bound-parameter limit
            query = (
                select(OrderEventRow)
                .where(OrderEventRow.client_order_id.in_(ids[start : start + 500]))
                .order_by(OrderEventRow.id)
            )
            for event in self._session.scalars(query):
                events[event.client_order_id].append(event)
        return [order_from_rows(row, events[row.client_order_id]) for row in rows]


class FillRepository:
    """Fills of deployments, stored once per (deployment, trade id): the venue may report a fill again."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, fill: Fill, deployment_id: DeploymentId) -> bool:
        """Store ``fill``; False if this trade id is stored already for the deployment (nothing changes).

        The same trade id with different data raises :class:`PersistenceError`: the venue contradicts itself.
        """
        if insert_or_ignore(self._session, FILLS, fill_row(fill, deployment_id), ("deployment_id", "trade_id")):
            return True
        query = select(FillRow).where(
            FillRow.deployment_id == deployment_id.value, FillRow.trade_id == fill.trade_id.value
        )
        stored = fill_from_row(self._session.scalars(query).one())
        if stored != replace(fill, ts=as_utc(fill.ts)):
            raise PersistenceError(
                f"trade {fill.trade_id} of deployment {deployment_id} is stored already with other data: "
                f"stored {stored}, reported now {fill}"
            )
        return False

    def for_deployment(self, deployment_id: DeploymentId, since: datetime | None = None) -> list[Fill]:
        """The deployment's fills in time order (those at or after ``since`` if given)."""
        query = select(FillRow).where(FillRow.deployment_id == deployment_id.value)
        if since is not None:
            query = query.where(FillRow.ts >= as_utc(since, "since"))
        return [fill_from_row(row) for row in self._session.scalars(query.order_by(FillRow.ts, FillRow.id))]

    def for_order(self, client_order_id: object) -> list[Fill]:
        """The fills of one order, in time order."""
        query = select(FillRow).where(FillRow.client_order_id == _key(client_order_id))
        return [fill_from_row(row) for row in self._session.scalars(query.order_by(FillRow.ts, FillRow.id))]


def _by_deployment(deployment_id: DeploymentId) -> Select[tuple[OrderRow]]:
    return (
        select(OrderRow)
        .where(OrderRow.deployment_id == deployment_id.value)
        .order_by(OrderRow.created_at, OrderRow.client_order_id)
    )


def _key(identifier: object) -> str:
    return identifier if isinstance(identifier, str) else str(identifier)


def _values(row: OrderRow | OrderEventRow) -> dict[str, object]:
    """The column values of an unsaved ORM row (its autoincremented key left to the database)."""
    table = type(row).__table__
    return {c.key: getattr(row, c.key) for c in table.columns if not (c.primary_key and c.autoincrement is True)}

"""The order: the one mutable entity of the model, changed only by :meth:`Order.apply`."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from quantdesk.model._values import ZERO, exact, instance, order_prices, positive, quotient, utc
from quantdesk.model.commands import SubmitOrder
from quantdesk.model.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from quantdesk.model.errors import InvalidOrderTransition
from quantdesk.model.events import OrderAccepted, OrderEvent, OrderFilled
from quantdesk.model.fills import Fill
from quantdesk.model.ids import ClientOrderId, DeploymentId, Symbol, VenueOrderId
from quantdesk.model.transitions import TRANSITIONS, WORKING, working_status


class Order:
    """A request to trade and its life at the venue.

    Its fields are read-only; the state (status, venue id, fills) changes only through :meth:`apply`,
    following :data:`~quantdesk.model.transitions.TRANSITIONS`, and ``events`` is the log that produced it.
    """

    __slots__ = (
        "_client_order_id",
        "_deployment_id",
        "_events",
        "_fill_notional",
        "_filled_quantity",
        "_limit_price",
        "_order_type",
        "_quantity",
        "_side",
        "_status",
        "_stop_price",
        "_symbol",
        "_time_in_force",
        "_ts_init",
        "_venue_order_id",
    )

    def __init__(
        self,
        *,
        client_order_id: ClientOrderId,
        symbol: Symbol,
        side: OrderSide,
        order_type: OrderType,
        quantity: Decimal,
        ts_init: datetime,
        time_in_force: TimeInForce = TimeInForce.DAY,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
        deployment_id: DeploymentId | None = None,
    ) -> None:
        self._client_order_id = instance(client_order_id, ClientOrderId, "Order.client_order_id")
        self._symbol = instance(symbol, Symbol, "Order.symbol")
        self._side = instance(side, OrderSide, "Order.side")
        self._order_type = instance(order_type, OrderType, "Order.order_type")
        self._quantity = positive(quantity, "Order.quantity")
        self._ts_init = utc(ts_init, "Order.ts_init")
        self._time_in_force = instance(time_in_force, TimeInForce, "Order.time_in_force")
        self._limit_price, self._stop_price = order_prices(order_type, limit_price, stop_price)
        if deployment_id is not None:
            instance(deployment_id, DeploymentId, "Order.deployment_id")
        self._deployment_id = deployment_id
        self._status = OrderStatus.INITIALIZED
        self._venue_order_id: VenueOrderId | None = None
        self._filled_quantity = ZERO
        self._fill_notional = ZERO
        self._events: list[OrderEvent] = []

    @classmethod
    def from_command(cls, command: SubmitOrder) -> Order:
        """The INITIALIZED order a :class:`SubmitOrder` asks for, created at the command's time."""
        return cls(
            client_order_id=command.client_order_id,
            symbol=command.symbol,
            side=command.side,
            order_type=command.order_type,
            quantity=command.quantity,
            ts_init=command.ts,
            time_in_force=command.time_in_force,
            limit_price=command.limit_price,
            stop_price=command.stop_price,
            deployment_id=command.deployment_id,
        )

    def apply(self, event: OrderEvent) -> None:
        """Change the order by ``event``; raise :class:`InvalidOrderTransition`, changing nothing, if the
        event is for another order, illegal in the current status, a duplicate or overfilling fill."""
        name = type(event).__name__
        if event.client_order_id != self._client_order_id:
            raise self._refuse(name, f"it is for order {event.client_order_id}")
        target = TRANSITIONS.get((self._status, type(event)))
        if target is None:
            raise self._refuse(name, "that transition is not allowed")
        filled, notional = self._filled_quantity, self._fill_notional
        if isinstance(event, OrderFilled):
            self._check_fill(event.fill, name)
            with exact():
                filled, notional = filled + event.fill.quantity, notional + event.fill.notional
        status = working_status(filled, self._quantity) if target in WORKING else target
        if isinstance(event, OrderAccepted):
            self._venue_order_id = event.venue_order_id
        self._status, self._filled_quantity, self._fill_notional = status, filled, notional
        self._events.append(event)

    def _check_fill(self, fill: Fill, name: str) -> None:
        if fill.symbol != self._symbol or fill.side is not self._side:
            raise self._refuse(name, f"the fill is a {fill.side} of {fill.symbol}")
        if any(fill.trade_id == f.trade_id for f in self.fills):
            raise self._refuse(name, f"trade {fill.trade_id} was already applied")
        if fill.quantity > self.leaves_quantity:
            raise self._refuse(name, f"it fills {fill.quantity} but only {self.leaves_quantity} is left")

    def _refuse(self, event_name: str, why: str) -> InvalidOrderTransition:
        return InvalidOrderTransition(
            f"order {self._client_order_id} ({self._status}) cannot apply {event_name}: {why}"
        )

    @property
    def client_order_id(self) -> ClientOrderId:
        return self._client_order_id

    @property
    def symbol(self) -> Symbol:
        return self._symbol

    @property
    def side(self) -> OrderSide:
        return self._side

    @property
    def order_type(self) -> OrderType:
        return self._order_type

    @property
    def quantity(self) -> Decimal:
        return self._quantity

    @property
    def time_in_force(self) -> TimeInForce:
        return self._time_in_force

    @property
    def limit_price(self) -> Decimal | None:
        return self._limit_price

    @property
    def stop_price(self) -> Decimal | None:
        return self._stop_price

    @property
    def deployment_id(self) -> DeploymentId | None:
        return self._deployment_id

    @property
    def ts_init(self) -> datetime:
        """When the order was created (the command's time)."""
        return self._ts_init

    @property
    def status(self) -> OrderStatus:
        return self._status

    @property
    def venue_order_id(self) -> VenueOrderId | None:
        """The venue's id, once accepted."""
        return self._venue_order_id

    @property
    def filled_quantity(self) -> Decimal:
        return self._filled_quantity

    @property
    def leaves_quantity(self) -> Decimal:
        """The quantity not yet filled."""
        return self._quantity - self._filled_quantity

    @property
    def avg_fill_price(self) -> Decimal:
        """The volume-weighted average price of the fills (28 significant digits); 0 before any fill."""
        return quotient(self._fill_notional, self._filled_quantity) if self._filled_quantity else ZERO

    @property
    def events(self) -> tuple[OrderEvent, ...]:
        """Every event applied, in order: replaying them on a new order rebuilds this one."""
        return tuple(self._events)

    @property
    def fills(self) -> tuple[Fill, ...]:
        return tuple(e.fill for e in self._events if isinstance(e, OrderFilled))

    @property
    def ts_last(self) -> datetime:
        """The time of the last event, or ``ts_init`` if there is none."""
        return self._events[-1].ts if self._events else self._ts_init

    @property
    def is_open(self) -> bool:
        """Sent and not finished; see :attr:`OrderStatus.is_open`."""
        return self._status.is_open

    @property
    def is_terminal(self) -> bool:
        return self._status.is_terminal

    def __repr__(self) -> str:
        prices = (("limit", self._limit_price), ("stop", self._stop_price))
        price = "".join(f" {name}={value}" for name, value in prices if value is not None)
        return (
            f"Order({self._client_order_id} {self._side} {self._quantity} {self._symbol} {self._order_type}"
            f"{price} {self._time_in_force}, {self._status}, filled={self._filled_quantity})"
        )

"""The broker port: what the order manager needs from a venue (the simulated broker, Alpaca)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol, runtime_checkable

from quantdesk.model.commands import SubmitOrder
from quantdesk.model.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from quantdesk.model.errors import InvalidValue, QuantdeskError
from quantdesk.model.fills import Fill
from quantdesk.model.ids import ClientOrderId, Symbol, VenueOrderId


class BrokerError(QuantdeskError):
    """The broker could not do what was asked."""


class BrokerTimeout(BrokerError):  # noqa: N818 - names are fixed by the design
    """No answer in time: the request may or may not have reached the venue.

    Never resend blind: ask :meth:`BrokerPort.order` later and adopt what the venue has.
    """


class BrokerRejected(BrokerError):  # noqa: N818
    """The venue refused the request; ``reason`` says why."""

    def __init__(self, reason: str, client_order_id: ClientOrderId | None = None) -> None:
        self.reason = reason
        self.client_order_id = client_order_id
        super().__init__(reason if client_order_id is None else f"order {client_order_id}: {reason}")


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokerOrder:
    """An order as the venue sees it. ``reason`` says why the venue rejected or ended it, if it did."""

    client_order_id: ClientOrderId
    venue_order_id: VenueOrderId | None
    symbol: Symbol
    side: OrderSide
    order_type: OrderType
    quantity: Decimal
    status: OrderStatus
    filled_quantity: Decimal = Decimal(0)
    avg_fill_price: Decimal = Decimal(0)
    time_in_force: TimeInForce = TimeInForce.DAY
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    reason: str | None = None

    def __post_init__(self) -> None:
        checks = (
            ("client_order_id", ClientOrderId),
            ("symbol", Symbol),
            ("side", OrderSide),
            ("order_type", OrderType),
            ("status", OrderStatus),
            ("time_in_force", TimeInForce),
        )
        for name, kind in checks:
            if not isinstance(getattr(self, name), kind):
                raise InvalidValue(f"BrokerOrder.{name} must be {kind.__name__}, got {getattr(self, name)!r}")
        if self.venue_order_id is not None and not isinstance(self.venue_order_id, VenueOrderId):
            raise InvalidValue(f"BrokerOrder.venue_order_id must be VenueOrderId, got {self.venue_order_id!r}")
        for name in ("quantity", "filled_quantity", "avg_fill_price"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
                raise InvalidValue(f"BrokerOrder.{name} must be a finite Decimal >= 0, got {value!r}")
        for name, needed in (
            ("limit_price", self.order_type.has_limit_price),
            ("stop_price", self.order_type.has_stop_price),
        ):
            price = getattr(self, name)
            if needed != (price is not None):
                raise InvalidValue(f"a {self.order_type} BrokerOrder {'needs' if needed else 'takes no'} {name}")
            if price is not None and (not isinstance(price, Decimal) or not price.is_finite() or price <= 0):
                raise InvalidValue(f"BrokerOrder.{name} must be a finite Decimal > 0, got {price!r}")
        if self.filled_quantity > self.quantity:
            raise InvalidValue(f"BrokerOrder filled {self.filled_quantity} of only {self.quantity}")

    @classmethod
    def from_command(
        cls, command: SubmitOrder, venue_order_id: VenueOrderId | None, status: OrderStatus, reason: str | None = None
    ) -> BrokerOrder:
        """The venue's record of a newly received ``command``."""
        return cls(
            client_order_id=command.client_order_id,
            venue_order_id=venue_order_id,
            symbol=command.symbol,
            side=command.side,
            order_type=command.order_type,
            quantity=command.quantity,
            status=status,
            time_in_force=command.time_in_force,
            limit_price=command.limit_price,
            stop_price=command.stop_price,
            reason=reason,
        )

    def matches(self, command: SubmitOrder) -> bool:
        """Whether ``command`` asks for this very order (same id and terms): a resubmission, not a new order."""
        return (
            self.client_order_id == command.client_order_id
            and self.symbol == command.symbol
            and self.side is command.side
            and self.order_type is command.order_type
            and self.quantity == command.quantity
            and self.time_in_force is command.time_in_force
            and self.limit_price == command.limit_price
            and self.stop_price == command.stop_price
        )

    @property
    def leaves_quantity(self) -> Decimal:
        """The quantity not yet filled."""
        return self.quantity - self.filled_quantity

    @property
    def is_working(self) -> bool:
        """Accepted and neither filled nor ended: it may still fill."""
        return self.status in (OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED, OrderStatus.PENDING_CANCEL)


@runtime_checkable
class BrokerPort(Protocol):
    """A venue. Every method may raise :class:`BrokerTimeout` (state unknown) or :class:`BrokerError`."""

    def submit(self, command: SubmitOrder) -> BrokerOrder:
        """Place an order; idempotent by client order id: a resubmission returns the order the venue has.

        Raises :class:`BrokerRejected` if the venue refuses it or the id is used by a different order.
        """
        ...

    def cancel(self, client_order_id: ClientOrderId) -> BrokerOrder:
        """Cancel a working order; :class:`BrokerRejected` if it is unknown or already finished."""
        ...

    def order(self, client_order_id: ClientOrderId) -> BrokerOrder | None:
        """The venue's view of an order, or None if the venue never received it."""
        ...

    def open_orders(self) -> list[BrokerOrder]:
        """The orders still working."""
        ...

    def fills(self, since: datetime | None = None) -> list[Fill]:
        """The executions at or after ``since`` (all if None), oldest first."""
        ...

    def positions(self) -> dict[Symbol, Decimal]:
        """The signed quantity held per symbol (flat symbols left out)."""
        ...

    def cash(self) -> Decimal:
        """The cash of the account."""
        ...

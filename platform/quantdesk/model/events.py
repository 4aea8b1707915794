"""Order events: what happened to an order, in the past tense. An order changes only by applying them."""

from dataclasses import dataclass, field
from datetime import datetime

from quantdesk.model._values import instance, utc
from quantdesk.model.fills import Fill
from quantdesk.model.ids import ClientOrderId, VenueOrderId


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """Base of the order events: which order, and when (UTC)."""

    client_order_id: ClientOrderId
    ts: datetime

    def __post_init__(self) -> None:
        instance(self.client_order_id, ClientOrderId, f"{type(self).__name__}.client_order_id")
        object.__setattr__(self, "ts", utc(self.ts, f"{type(self).__name__}.ts"))


@dataclass(frozen=True, slots=True)
class OrderSubmitted(OrderEvent):
    """The order was sent to the venue."""


@dataclass(frozen=True, slots=True)
class OrderAccepted(OrderEvent):
    """The venue acknowledged the order and gave it an id."""

    venue_order_id: VenueOrderId


@dataclass(frozen=True, slots=True)
class OrderRejected(OrderEvent):
    """The order was refused, by the venue or before it was sent (pre-trade risk)."""

    reason: str


@dataclass(frozen=True, slots=True)
class OrderPendingCancel(OrderEvent):
    """A cancel request was sent; the order may still fill until the venue confirms."""


@dataclass(frozen=True, slots=True)
class OrderCancelRejected(OrderEvent):
    """The venue refused a cancel request; the order keeps working."""

    reason: str


@dataclass(frozen=True, slots=True)
class OrderCanceled(OrderEvent):
    """The order was canceled; nothing more will fill."""


@dataclass(frozen=True, slots=True)
class OrderExpired(OrderEvent):
    """The order's time in force ran out; nothing more will fill."""


@dataclass(frozen=True, slots=True)
class OrderFilled(OrderEvent):
    """(Part of) the order was executed. Build it as ``OrderFilled(fill)``: the fill is the one home of the
    execution's data, and ``client_order_id`` and ``ts`` are taken from it."""

    client_order_id: ClientOrderId = field(init=False, repr=False, compare=False)
    ts: datetime = field(init=False, repr=False, compare=False)
    fill: Fill

    def __post_init__(self) -> None:
        instance(self.fill, Fill, "OrderFilled.fill")
        object.__setattr__(self, "client_order_id", self.fill.client_order_id)
        object.__setattr__(self, "ts", self.fill.ts)

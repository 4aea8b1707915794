"""The vocabulary of QuantDesk: identifiers, enums, bars, orders, fills, positions, commands and events.

Small frozen values (the :class:`Order` is the one mutable entity), no I/O, nothing imported from the rest
of ``quantdesk``. Money and quantities are :class:`decimal.Decimal`; timestamps are tz-aware UTC.
"""

from quantdesk.model.bar import Bar
from quantdesk.model.commands import CancelOrder, SubmitOrder
from quantdesk.model.enums import (
    LiquiditySide,
    OrderSide,
    OrderStatus,
    OrderType,
    PositionSide,
    TimeInForce,
    TradingState,
)
from quantdesk.model.errors import (
    InvalidIdentifier,
    InvalidOrderTransition,
    InvalidTimeframe,
    InvalidValue,
    ModelError,
    QuantdeskError,
)
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
from quantdesk.model.ids import (
    ClientOrderId,
    DeploymentId,
    Identifier,
    StrategyId,
    Symbol,
    TradeId,
    UserId,
    VenueOrderId,
)
from quantdesk.model.orders import Order
from quantdesk.model.position import Position
from quantdesk.model.timeframe import Timeframe
from quantdesk.model.transitions import TRANSITIONS

__all__ = [
    "TRANSITIONS",
    "Bar",
    "CancelOrder",
    "ClientOrderId",
    "DeploymentId",
    "Fill",
    "Identifier",
    "InvalidIdentifier",
    "InvalidOrderTransition",
    "InvalidTimeframe",
    "InvalidValue",
    "LiquiditySide",
    "ModelError",
    "Order",
    "OrderAccepted",
    "OrderCancelRejected",
    "OrderCanceled",
    "OrderEvent",
    "OrderExpired",
    "OrderFilled",
    "OrderPendingCancel",
    "OrderRejected",
    "OrderSide",
    "OrderStatus",
    "OrderSubmitted",
    "OrderType",
    "Position",
    "PositionSide",
    "QuantdeskError",
    "StrategyId",
    "SubmitOrder",
    "Symbol",
    "TimeInForce",
    "Timeframe",
    "TradeId",
    "TradingState",
    "UserId",
    "VenueOrderId",
]

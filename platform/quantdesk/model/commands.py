"""Commands: requests to the execution side, in the imperative. They are validated when built."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from quantdesk.model._values import instance, order_prices, positive, utc
from quantdesk.model.enums import OrderSide, OrderType, TimeInForce
from quantdesk.model.ids import ClientOrderId, DeploymentId, Symbol


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmitOrder:
    """Place a new order.

    ``limit_price`` is required for LIMIT and STOP_LIMIT orders and forbidden otherwise; ``stop_price`` is
    required for STOP and STOP_LIMIT orders and forbidden otherwise.
    """

    client_order_id: ClientOrderId
    symbol: Symbol
    side: OrderSide
    order_type: OrderType
    quantity: Decimal
    ts: datetime
    time_in_force: TimeInForce = TimeInForce.DAY
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    deployment_id: DeploymentId | None = None

    def __post_init__(self) -> None:
        instance(self.client_order_id, ClientOrderId, "SubmitOrder.client_order_id")
        instance(self.symbol, Symbol, "SubmitOrder.symbol")
        instance(self.side, OrderSide, "SubmitOrder.side")
        instance(self.order_type, OrderType, "SubmitOrder.order_type")
        instance(self.time_in_force, TimeInForce, "SubmitOrder.time_in_force")
        if self.deployment_id is not None:
            instance(self.deployment_id, DeploymentId, "SubmitOrder.deployment_id")
        limit_price, stop_price = order_prices(self.order_type, self.limit_price, self.stop_price)
        object.__setattr__(self, "limit_price", limit_price)
        object.__setattr__(self, "stop_price", stop_price)
        object.__setattr__(self, "quantity", positive(self.quantity, "SubmitOrder.quantity"))
        object.__setattr__(self, "ts", utc(self.ts, "SubmitOrder.ts"))


@dataclass(frozen=True, slots=True)
class CancelOrder:
    """Cancel a working order."""

    client_order_id: ClientOrderId
    ts: datetime

    def __post_init__(self) -> None:
        instance(self.client_order_id, ClientOrderId, "CancelOrder.client_order_id")
        object.__setattr__(self, "ts", utc(self.ts, "CancelOrder.ts"))

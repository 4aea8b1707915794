"""Bodies and answers of the portfolio endpoints: money and quantities as decimal strings (exact)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from quantdesk.model import Fill, Order
from services.common.schemas import RequestBody


class ManualOrderIn(RequestBody):
    """A market order, decided now (at the last bar's close) and filled at the next bar's open."""

    symbol: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9./_-]{0,31}$")]
    side: Literal["buy", "sell"]
    quantity: Annotated[Decimal, Field(gt=0, le=Decimal("1e12"), allow_inf_nan=False)]


class OrderOut(BaseModel):
    client_order_id: str
    symbol: str
    side: str
    type: str
    quantity: Decimal
    status: str
    filled_quantity: Decimal
    avg_fill_price: Decimal
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, order: Order) -> OrderOut:
        return cls(
            client_order_id=str(order.client_order_id),
            symbol=str(order.symbol),
            side=str(order.side),
            type=str(order.order_type),
            quantity=order.quantity,
            status=str(order.status),
            filled_quantity=order.filled_quantity,
            avg_fill_price=order.avg_fill_price,
            created_at=order.ts_init,
            updated_at=order.ts_last,
        )


class FillOut(BaseModel):
    trade_id: str
    client_order_id: str
    symbol: str
    side: str
    quantity: Decimal
    price: Decimal
    fee: Decimal
    ts: datetime

    @classmethod
    def of(cls, fill: Fill) -> FillOut:
        return cls(
            trade_id=str(fill.trade_id),
            client_order_id=str(fill.client_order_id),
            symbol=str(fill.symbol),
            side=str(fill.side),
            quantity=fill.quantity,
            price=fill.price,
            fee=fill.fee,
            ts=fill.ts,
        )


class EquityOut(BaseModel):
    ts: datetime
    cash: Decimal
    equity: Decimal

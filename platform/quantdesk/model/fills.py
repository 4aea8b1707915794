"""Fills: executions reported by the venue."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from quantdesk.model._values import exact, instance, non_negative, positive, utc
from quantdesk.model.enums import LiquiditySide, OrderSide
from quantdesk.model.ids import ClientOrderId, Symbol, TradeId


@dataclass(frozen=True, slots=True, kw_only=True)
class Fill:
    """One execution of (part of) an order: ``quantity`` traded at ``price``, paying ``fee``.

    The fee is in the quote currency (the currency of ``price``). Keyword-only, so quantity and price
    cannot be swapped by position.
    """

    trade_id: TradeId
    client_order_id: ClientOrderId
    symbol: Symbol
    side: OrderSide
    quantity: Decimal
    price: Decimal
    fee: Decimal
    ts: datetime
    liquidity_side: LiquiditySide | None = None

    def __post_init__(self) -> None:
        instance(self.trade_id, TradeId, "Fill.trade_id")
        instance(self.client_order_id, ClientOrderId, "Fill.client_order_id")
        instance(self.symbol, Symbol, "Fill.symbol")
        instance(self.side, OrderSide, "Fill.side")
        if self.liquidity_side is not None:
            instance(self.liquidity_side, LiquiditySide, "Fill.liquidity_side")
        object.__setattr__(self, "quantity", positive(self.quantity, "Fill.quantity"))
        object.__setattr__(self, "price", positive(self.price, "Fill.price"))
        object.__setattr__(self, "fee", non_negative(self.fee, "Fill.fee"))
        object.__setattr__(self, "ts", utc(self.ts, "Fill.ts"))

    @property
    def signed_quantity(self) -> Decimal:
        """The position change: +quantity for a buy, -quantity for a sell."""
        return self.quantity if self.side is OrderSide.BUY else -self.quantity

    @property
    def notional(self) -> Decimal:
        """``quantity × price``, exact."""
        with exact():
            return self.quantity * self.price

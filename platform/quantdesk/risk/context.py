"""What a pre-trade rule may look at: one frozen snapshot of the account, built by the trading engine per order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import NamedTuple

from quantdesk.model import InvalidValue, OrderSide, SubmitOrder, Symbol, TradingState

ZERO = Decimal(0)


class RecentOrder(NamedTuple):
    """An order submitted before the one being checked (a plain ``(ts, symbol, side, quantity)`` tuple works)."""

    ts: datetime
    symbol: Symbol
    side: OrderSide
    quantity: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskContext:
    """The account as the trading engine sees it when an order is checked.

    - ``ts``: now (UTC); windows such as "the last minute" end here.
    - ``equity``: cash + Σ position × mark.
    - ``positions``: signed quantities; ``open_orders_qty``: signed quantity still to fill of working orders.
    - ``last_prices``: the latest price per symbol (marks for valuation and the price collar).
    - ``recent_orders``: orders submitted within the last minute or the duplicate window, the checked one excluded.
    - ``trading_state``: the state the trading engine itself imposes; the stricter of it and the risk engine's
      own state applies.
    - ``reference_prices``: the price a market order was decided at (the bar close), checked by the price collar.
    - ``buying_power``: the market value of new positions the account can still open (a margin account's
      ``2 × equity - gross``); None when the account's buying power is not checked before trading.
    - ``can_short``: whether the account may hold short positions (a cash account may not).

    Keys may be given as ``str``; they are turned into :class:`Symbol`. Quantities and prices are ``Decimal``.
    """

    ts: datetime
    equity: Decimal
    positions: Mapping[Symbol, Decimal] = field(default_factory=dict)
    last_prices: Mapping[Symbol, Decimal] = field(default_factory=dict)
    open_orders_qty: Mapping[Symbol, Decimal] = field(default_factory=dict)
    recent_orders: Sequence[RecentOrder] = ()
    trading_state: TradingState = TradingState.ACTIVE
    reference_prices: Mapping[Symbol, Decimal] = field(default_factory=dict)
    buying_power: Decimal | None = None
    can_short: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "ts", utc(self.ts, "RiskContext.ts"))
        object.__setattr__(self, "equity", decimal(self.equity, "RiskContext.equity"))
        for name in ("positions", "last_prices", "open_orders_qty", "reference_prices"):
            values = getattr(self, name)
            checked = {_symbol(key): decimal(value, f"RiskContext.{name}[{key}]") for key, value in values.items()}
            object.__setattr__(self, name, checked)
        recent = tuple(
            RecentOrder(
                utc(ts, "recent order ts"), _symbol(symbol), OrderSide(side), decimal(qty, "recent order quantity")
            )
            for ts, symbol, side, qty in self.recent_orders
        )
        object.__setattr__(self, "recent_orders", recent)
        object.__setattr__(self, "trading_state", TradingState(self.trading_state))
        if self.buying_power is not None:
            object.__setattr__(self, "buying_power", decimal(self.buying_power, "RiskContext.buying_power"))
        if not isinstance(self.can_short, bool):
            raise InvalidValue(f"RiskContext.can_short must be True or False, got {self.can_short!r}")

    def position(self, symbol: Symbol) -> Decimal:
        """The signed quantity held now; 0 when flat."""
        return self.positions.get(symbol, ZERO)

    def working(self, symbol: Symbol) -> Decimal:
        """The signed quantity of working orders still to fill."""
        return self.open_orders_qty.get(symbol, ZERO)

    def last_price(self, symbol: Symbol) -> Decimal | None:
        return self.last_prices.get(symbol)

    def position_after(self, order: SubmitOrder) -> Decimal:
        """The position once working orders and ``order`` have filled: the exposure the order commits to."""
        return self.position(order.symbol) + self.working(order.symbol) + signed_quantity(order)


def signed_quantity(order: SubmitOrder) -> Decimal:
    """+quantity for a buy, -quantity for a sell."""
    return order.quantity if order.side is OrderSide.BUY else -order.quantity


def utc(ts: object, what: str) -> datetime:
    if not isinstance(ts, datetime) or ts.utcoffset() is None:
        raise InvalidValue(f"{what} must be a timezone-aware datetime, got {ts!r}")
    return ts.astimezone(UTC)


def decimal(value: object, what: str) -> Decimal:
    if type(value) is Decimal and value.is_finite():  # the common case, checked first (it is asked per order)
        return value
    if isinstance(value, bool) or not isinstance(value, Decimal | int) or not Decimal(value).is_finite():
        raise InvalidValue(f"{what} must be a finite Decimal, got {type(value).__name__} {value!r}")
    return Decimal(value)


def _symbol(value: object) -> Symbol:
    return value if isinstance(value, Symbol) else Symbol(value)  # type: ignore[arg-type]

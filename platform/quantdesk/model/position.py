"""Positions: a fold over fills."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import reduce

from quantdesk.model._values import ZERO, decimal, exact, instance, non_negative, positive, quotient
from quantdesk.model.enums import PositionSide
from quantdesk.model.errors import InvalidValue
from quantdesk.model.fills import Fill
from quantdesk.model.ids import Symbol


@dataclass(frozen=True, slots=True)
class Position:
    """The holding in one symbol that a sequence of fills leaves; immutable.

    ``position.apply(fill)`` returns the next position (the original is unchanged), so
    ``Position.from_fills(symbol, fills)`` is a plain fold and the fills are the truth.

    - ``quantity``: signed, + long, - short.
    - ``cost_basis``: signed cost of the open quantity (Σ signed quantity × price of what is still open), so
      ``unrealized_pnl(mark) == market_value(mark) - cost_basis``; 0 when flat.
    - ``realized_pnl``: gross of fees; ``fees`` are kept apart and ``realized_pnl_net`` subtracts them.

    Adding in the position's direction raises the cost; reducing realises (price - avg_price) × closed
    quantity × direction; a fill through zero closes everything and opens the rest at the fill price.
    Sums and products are exact; only ``avg_price`` (a quotient) is rounded, to 28 significant digits.
    """

    symbol: Symbol
    quantity: Decimal = ZERO
    cost_basis: Decimal = ZERO
    realized_pnl: Decimal = ZERO
    fees: Decimal = ZERO

    def __post_init__(self) -> None:
        instance(self.symbol, Symbol, "Position.symbol")
        quantity = decimal(self.quantity, "Position.quantity")
        cost_basis = decimal(self.cost_basis, "Position.cost_basis")
        if (quantity > 0) != (cost_basis > 0) or (quantity < 0) != (cost_basis < 0):
            raise InvalidValue(
                f"Position cost_basis {cost_basis} must have the sign of quantity {quantity} (0 when flat)"
            )
        object.__setattr__(self, "quantity", quantity)
        object.__setattr__(self, "cost_basis", cost_basis)
        object.__setattr__(self, "realized_pnl", decimal(self.realized_pnl, "Position.realized_pnl"))
        object.__setattr__(self, "fees", non_negative(self.fees, "Position.fees"))

    @classmethod
    def from_fills(cls, symbol: Symbol, fills: Iterable[Fill]) -> Position:
        """The position that ``fills``, applied in order to a flat position, leave."""
        return reduce(Position.apply, fills, cls(symbol))

    def apply(self, fill: Fill) -> Position:
        """The position after ``fill``; refuses a fill for another symbol."""
        if fill.symbol != self.symbol:
            raise InvalidValue(f"a fill of {fill.symbol} cannot change the {self.symbol} position")
        quantity, cost, realized = self.quantity, self.cost_basis, self.realized_pnl
        change = fill.signed_quantity
        with exact():
            if quantity == 0 or (quantity > 0) == (change > 0):
                quantity, cost = quantity + change, cost + change * fill.price
            else:
                direction = 1 if quantity > 0 else -1
                closed = min(abs(change), abs(quantity))
                released = cost if closed == abs(quantity) else self.avg_price * closed * direction
                realized += direction * closed * fill.price - released
                quantity, cost = quantity - direction * closed, cost - released
                if remainder := abs(change) - closed:
                    quantity = -direction * remainder
                    cost = quantity * fill.price
            fees = self.fees + fill.fee
        return replace(self, quantity=quantity, cost_basis=cost, realized_pnl=realized, fees=fees)

    @property
    def side(self) -> PositionSide:
        if self.quantity > 0:
            return PositionSide.LONG
        return PositionSide.SHORT if self.quantity < 0 else PositionSide.FLAT

    @property
    def is_flat(self) -> bool:
        return self.quantity == 0

    @property
    def avg_price(self) -> Decimal:
        """The average cost per unit of the open quantity (> 0); 0 when flat."""
        return quotient(self.cost_basis, self.quantity) if self.quantity else ZERO

    @property
    def realized_pnl_net(self) -> Decimal:
        """Realised P&L after fees."""
        with exact():
            return self.realized_pnl - self.fees

    def market_value(self, mark: Decimal) -> Decimal:
        """``quantity × mark``: negative for a short."""
        mark = positive(mark, "mark")
        with exact():
            return self.quantity * mark

    def unrealized_pnl(self, mark: Decimal) -> Decimal:
        """What closing the open quantity at ``mark`` would realise (gross of fees); 0 when flat."""
        value = self.market_value(mark)
        with exact():
            return value - self.cost_basis

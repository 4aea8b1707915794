"""The ledger of one deployment: cash and positions, built by applying fills."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType

from quantdesk.model.fills import Fill
from quantdesk.model.ids import Symbol, TradeId
from quantdesk.model.position import Position
from quantdesk.portfolio._decimal import ZERO, exact, non_negative, quotient
from quantdesk.portfolio.buying_power import (
    AccountType,
    Balances,
    buying_power,
    excess_liquidity,
    maintenance_ok,
    maintenance_requirement,
)
from quantdesk.portfolio.curve import EquitySnapshot
from quantdesk.portfolio.errors import PortfolioError

Marks = Mapping[Symbol, Decimal]


class Ledger:
    """The account of one deployment: a fold over its fills, so the fills are the truth and can be replayed.

    A buy pays ``quantity × price + fee`` out of cash, a sell (or short sale) receives ``quantity × price - fee``;
    each symbol's holding is a :class:`~quantdesk.model.Position` folded over its fills. The ledger records
    what the venue reports, so it never refuses a fill for lack of cash or a short in a cash account: those
    are pre-trade checks (``buying_power``, ``can_short``). ``Ledger.from_fills(c, fills)`` equals applying
    ``fills`` one by one to ``Ledger(c)``; a fill whose trade id was already applied is ignored.

    Valuations take ``marks`` (symbol → price > 0) and need one for every open position. Sums and products
    are exact; only ratios (``weights``) are rounded, to 28 significant digits.
    """

    __slots__ = ("_account_type", "_cash", "_fees", "_fills", "_initial_cash", "_positions")

    def __init__(self, initial_cash: Decimal | int, account_type: AccountType = AccountType.CASH) -> None:
        if not isinstance(account_type, AccountType):
            raise PortfolioError(f"account_type must be an AccountType, got {account_type!r}")
        self._initial_cash = non_negative(initial_cash, "initial_cash")
        self._account_type = account_type
        self._cash = self._initial_cash
        self._fees = ZERO
        self._positions: dict[Symbol, Position] = {}
        self._fills: dict[TradeId, Fill] = {}

    @classmethod
    def from_fills(
        cls, initial_cash: Decimal | int, fills: Iterable[Fill], account_type: AccountType = AccountType.CASH
    ) -> Ledger:
        """The ledger that ``fills``, applied in order to ``initial_cash`` and no positions, leave."""
        ledger = cls(initial_cash, account_type)
        for fill in fills:
            ledger.apply(fill)
        return ledger

    def apply(self, fill: Fill) -> bool:
        """Book ``fill``: True if applied, False if its trade id was already applied (nothing changes).

        A different fill under an applied trade id raises :class:`PortfolioError` and changes nothing.
        """
        if not isinstance(fill, Fill):
            raise PortfolioError(f"a ledger applies Fill, got {type(fill).__name__}")
        if (seen := self._fills.get(fill.trade_id)) is not None:
            if seen != fill:
                raise PortfolioError(f"trade {fill.trade_id} was already applied with different details: {seen}")
            return False
        position = self.position(fill.symbol).apply(fill)
        with exact():
            cash = self._cash - fill.signed_quantity * fill.price - fill.fee
            fees = self._fees + fill.fee
        self._positions[fill.symbol] = position
        self._cash, self._fees = cash, fees
        self._fills[fill.trade_id] = fill
        return True

    # --- state -----------------------------------------------------------------------------------------

    @property
    def initial_cash(self) -> Decimal:
        return self._initial_cash

    @property
    def account_type(self) -> AccountType:
        return self._account_type

    @property
    def cash(self) -> Decimal:
        """Initial cash minus what buys paid, plus what sells received, minus fees; < 0 is a debit balance."""
        return self._cash

    @property
    def positions(self) -> Mapping[Symbol, Position]:
        """Every symbol traded (flat ones too: they keep their realised P&L), read-only, in first-trade order."""
        return MappingProxyType(self._positions)

    @property
    def open_positions(self) -> dict[Symbol, Position]:
        """The positions that are not flat."""
        return {symbol: p for symbol, p in self._positions.items() if not p.is_flat}

    def position(self, symbol: Symbol) -> Position:
        """The position in ``symbol``: flat if never traded."""
        position = self._positions.get(symbol)
        return position if position is not None else Position(symbol)

    @property
    def fills(self) -> tuple[Fill, ...]:
        """The applied fills, in the order applied (duplicates left out)."""
        return tuple(self._fills.values())

    @property
    def trade_ids(self) -> tuple[TradeId, ...]:
        """The trade ids applied, in order."""
        return tuple(self._fills)

    @property
    def fees(self) -> Decimal:
        """Σ fees paid."""
        return self._fees

    @property
    def realized_pnl(self) -> Decimal:
        """Σ positions' realised P&L, gross of fees."""
        with exact():
            return sum((p.realized_pnl for p in self._positions.values()), ZERO)

    @property
    def realized_pnl_net(self) -> Decimal:
        """Realised P&L after all fees (the fees of open positions included)."""
        with exact():
            return self.realized_pnl - self._fees

    # --- valuation at marks ----------------------------------------------------------------------------

    def market_values(self, marks: Marks) -> dict[Symbol, Decimal]:
        """``quantity × mark`` per open position (negative for a short)."""
        held = self.open_positions
        if missing := sorted(str(symbol) for symbol in held if symbol not in marks):
            raise PortfolioError(f"no mark for held symbol(s): {', '.join(missing)}")
        return {symbol: position.market_value(marks[symbol]) for symbol, position in held.items()}

    def balances(self, marks: Marks) -> Balances:
        """Cash, gross long and gross short market value: what equity and margin are computed from."""
        values = self.market_values(marks).values()
        with exact():
            long_value = sum((v for v in values if v > 0), ZERO)
            short_value = -sum((v for v in values if v < 0), ZERO)
        return Balances(self._cash, long_value, short_value)

    def market_value(self, marks: Marks) -> Decimal:
        """Σ quantity × mark over open positions (shorts count negative); the same number as net exposure."""
        return self.balances(marks).net

    def gross_exposure(self, marks: Marks) -> Decimal:
        """Σ |quantity × mark|."""
        return self.balances(marks).gross

    def net_exposure(self, marks: Marks) -> Decimal:
        """Σ quantity × mark: long value minus short value."""
        return self.balances(marks).net

    def equity(self, marks: Marks) -> Decimal:
        """``cash + Σ quantity × mark``; equals ``initial_cash + realized_pnl_net + unrealized_pnl`` exactly."""
        held = [(symbol, position.quantity) for symbol, position in self._positions.items() if position.quantity]
        if not held:  # asked on every close: the flat account is the common case
            return self._cash
        values = self.market_values(marks)  # checks the marks
        with exact():
            return self._cash + sum(values.values(), ZERO)

    def unrealized_pnl(self, marks: Marks) -> Decimal:
        """Σ what closing each open position at its mark would realise, gross of fees."""
        held = self.market_values(marks)
        with exact():
            return sum((self._positions[symbol].unrealized_pnl(marks[symbol]) for symbol in held), ZERO)

    def weights(self, marks: Marks) -> dict[Symbol, Decimal]:
        """``quantity × mark / equity`` per open position (negative for a short); needs equity > 0."""
        values = self.market_values(marks)
        equity = self.equity(marks)
        if equity <= 0:
            raise PortfolioError(f"weights need a positive equity, got {equity}")
        return {symbol: quotient(value, equity) for symbol, value in values.items()}

    def snapshot(self, ts: datetime, marks: Marks) -> EquitySnapshot:
        """The account at ``ts`` valued at ``marks``, for the equity curve."""
        b = self.balances(marks)
        return EquitySnapshot(ts=ts, cash=b.cash, equity=b.equity, gross=b.gross, net=b.net)

    # --- margin (see quantdesk.portfolio.buying_power for the formulas) ---------------------------------

    @property
    def can_short(self) -> bool:
        """Whether the account may open short positions: a margin account only."""
        return self._account_type.can_short

    def buying_power(self, marks: Marks) -> Decimal:
        """Market value of new positions the account can open: ``max(0, cash)`` or ``max(0, 2 × equity - gross)``."""
        return buying_power(self._account_type, self.balances(marks))

    def maintenance_requirement(self, marks: Marks) -> Decimal:
        """The equity the positions need to stay open (margin: 25 % of long value + 30 % of short value)."""
        return maintenance_requirement(self._account_type, self.balances(marks))

    def excess_liquidity(self, marks: Marks) -> Decimal:
        """``equity - maintenance requirement``; negative means a margin call."""
        return excess_liquidity(self._account_type, self.balances(marks))

    def maintenance_ok(self, marks: Marks) -> bool:
        """Whether equity covers the maintenance requirement."""
        return maintenance_ok(self._account_type, self.balances(marks))

    # --- value semantics -------------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Ledger):
            return NotImplemented
        return (
            self._initial_cash == other._initial_cash
            and self._account_type is other._account_type
            and self._cash == other._cash
            and self._fees == other._fees
            and self._positions == other._positions
            and list(self._fills.items()) == list(other._fills.items())
        )

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return (
            f"Ledger({self._account_type}, cash={self._cash}, open={len(self.open_positions)}, "
            f"fills={len(self._fills)})"
        )

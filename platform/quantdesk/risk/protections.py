"""Position protections: stop-loss, take-profit and trailing stop, checked on each closed bar.

Convention: protections are decided on the bar's close, like the strategy. A long position exits when the
close is at or below ``entry × (1 − stop_loss_pct)`` (stop-loss), at or above ``entry × (1 + take_profit_pct)``
(take-profit), or at or below ``best × (1 − trailing_stop_pct)`` where ``best`` is the highest of the entry
price and the closes since entry (trailing stop); a short mirrors it (lowest close, levels above / below the
entry swapped). An intrabar touch that recovers by the close does not trigger, so the backtest, the replay and
a live account agree; the exit order then fills at the next bar's open, as every order does.
``entry`` is the position's average price.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from quantdesk.model import Fill, InvalidValue, OrderSide, Position, Symbol
from quantdesk.risk.context import decimal, utc
from quantdesk.risk.events import RiskEvent, RiskEventKind, details
from quantdesk.risk.profile import RiskProfile
from quantdesk.risk.rules import money, qty

_ONE = Decimal(1)


class ExitReason(StrEnum):
    """Which protection fired."""

    STOP_LOSS = "stop_loss"
    TAKE_PROFIT = "take_profit"
    TRAILING_STOP = "trailing_stop"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtectiveExit:
    """Close ``quantity`` of ``symbol`` on the ``side`` given: ``close`` crossed ``trigger_price`` (the level)."""

    symbol: Symbol
    ts: datetime
    reason: ExitReason
    trigger_price: Decimal
    close: Decimal
    side: OrderSide
    quantity: Decimal

    def event(self) -> RiskEvent:
        """The ``protection`` risk event to record and publish."""
        text = (
            f"{self.symbol} {self.reason} at close {money(self.close)} "
            f"(level {money(self.trigger_price)}): {self.side} {qty(self.quantity)}"
        )
        info = details(
            symbol=self.symbol,
            side=self.side,
            quantity=self.quantity,
            trigger_price=self.trigger_price,
            close=self.close,
        )
        return RiskEvent(self.ts, RiskEventKind.PROTECTION, str(self.reason), text, info)


class ProtectionTracker:
    """Follows each position's entry and best close, and reports the exits its protections call for.

    Feed it fills (:meth:`on_fill`) or positions (:meth:`on_position`, e.g. after reconciling with the broker),
    and each closed bar (:meth:`on_bar`). An exit is reported on every bar whose close is beyond a level while
    the position is open, so a rejected exit is asked for again; the caller skips a symbol it is already
    closing. At most one exit per symbol and bar: stop-loss, then trailing stop, then take-profit.
    """

    def __init__(self, profile: RiskProfile) -> None:
        self.profile = profile
        self._positions: dict[Symbol, Position] = {}
        self._best: dict[Symbol, Decimal] = {}

    @property
    def enabled(self) -> bool:
        """Whether the profile sets any protection (else there is nothing to follow)."""
        p = self.profile
        return p.stop_loss_pct is not None or p.take_profit_pct is not None or p.trailing_stop_pct is not None

    def on_fill(self, fill: Fill) -> None:
        """Apply a fill: opening (or crossing zero) starts a new entry; adding moves the average, not the best."""
        before = self._positions.get(fill.symbol, Position(fill.symbol))
        after = before.apply(fill)
        self._set(after, new_entry=before.is_flat or before.side is not after.side, entry=fill.price)

    def on_position(self, symbol: Symbol, quantity: Decimal, avg_price: Decimal) -> None:
        """Set the position outright; the best close is kept while the side is unchanged."""
        quantity = decimal(quantity, "on_position quantity")
        if quantity == 0:
            self._forget(symbol)
            return
        avg_price = _price(avg_price, "on_position avg_price")
        position = Position(symbol, quantity, cost_basis=quantity * avg_price)
        held = self._positions.get(symbol)
        self._set(position, new_entry=held is None or held.side is not position.side, entry=avg_price)

    def position(self, symbol: Symbol) -> Position | None:
        return self._positions.get(symbol)

    def levels(self, symbol: Symbol) -> dict[ExitReason, Decimal]:
        """The prices at which each enabled protection of ``symbol`` fires now; empty when flat."""
        position = self._positions.get(symbol)
        if position is None:
            return {}
        sign = 1 if position.quantity > 0 else -1  # +1 long: the stops are below, the target above
        entry, best, profile = position.avg_price, self._best[symbol], self.profile
        levels: dict[ExitReason, Decimal] = {}
        if profile.stop_loss_pct is not None:
            levels[ExitReason.STOP_LOSS] = entry * (_ONE - sign * profile.stop_loss_pct)
        if profile.trailing_stop_pct is not None:
            levels[ExitReason.TRAILING_STOP] = best * (_ONE - sign * profile.trailing_stop_pct)
        if profile.take_profit_pct is not None:
            levels[ExitReason.TAKE_PROFIT] = entry * (_ONE + sign * profile.take_profit_pct)
        return levels

    def on_bar(
        self,
        symbol: Symbol,
        ts: datetime,
        high: Decimal | float,
        low: Decimal | float,
        close: Decimal | float,
    ) -> list[ProtectiveExit]:
        """The exit the closed bar calls for (an empty list or one exit); decided on ``close``.

        ``high`` and ``low`` are checked for sanity only (see the module docstring). Floats, as research bars
        hold them, are read through ``repr``.
        """
        ts = utc(ts, "on_bar ts")
        high, low, close = _price(high, "high"), _price(low, "low"), _price(close, "close")
        if not low <= close <= high:
            raise InvalidValue(f"{symbol} bar at {ts.isoformat()}: close {close} is outside low {low} .. high {high}")
        position = self._positions.get(symbol)
        if position is None:
            return []
        long = position.quantity > 0
        best = self._best[symbol]
        self._best[symbol] = max(best, close) if long else min(best, close)
        for reason, level in self.levels(symbol).items():
            # stops sit on the losing side of a position (below a long), the target on the winning side
            fires_below = long if reason is not ExitReason.TAKE_PROFIT else not long
            if close <= level if fires_below else close >= level:
                side = OrderSide.SELL if long else OrderSide.BUY
                exit_ = ProtectiveExit(
                    symbol=symbol,
                    ts=ts,
                    reason=reason,
                    trigger_price=level,
                    close=close,
                    side=side,
                    quantity=abs(position.quantity),
                )
                return [exit_]
        return []

    def _set(self, position: Position, *, new_entry: bool, entry: Decimal) -> None:
        if position.is_flat:
            self._forget(position.symbol)
            return
        self._positions[position.symbol] = position
        if new_entry or position.symbol not in self._best:
            self._best[position.symbol] = entry

    def _forget(self, symbol: Symbol) -> None:
        self._positions.pop(symbol, None)
        self._best.pop(symbol, None)


def _price(value: Decimal | float, what: str) -> Decimal:
    price = Decimal(repr(value)) if isinstance(value, float) else decimal(value, what)
    if not price.is_finite() or price <= 0:
        raise InvalidValue(f"{what} must be a finite price > 0, got {value!r}")
    return price

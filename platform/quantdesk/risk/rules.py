"""Pre-trade rules: one tiny class per control, each answering ``None`` (pass) or the denial reason in words.

Conventions shared by the rules:

- "After the order" means once working orders and this order have filled (:meth:`RiskContext.position_after`),
  so several orders cannot together slip past a limit each one alone respects.
- Positions are valued at the last price. An order is valued at its limit price, else its stop price, else the
  last price. A rule that needs a price it does not have denies: it cannot vouch for the order.
- A limit met exactly passes; only a value beyond it is denied.
- Windows are half-open: an order submitted exactly 60 s (or ``duplicate_window_seconds``) ago has left it.
- A risk-reducing order (:func:`is_risk_reducing`) is never denied for exposure (symbol list, weight, gross),
  so a position can always be cut; the order-level checks (notional, collar, rate, duplicates) still apply.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Protocol

from quantdesk.model import OrderSide, SubmitOrder, Symbol
from quantdesk.risk.context import ZERO, RiskContext, signed_quantity
from quantdesk.risk.profile import RiskProfile

# orders are sized from float weights (1.0 = all in), so a position at exactly the limit can come out a few
# parts in 1e16 above it once valued in Decimal; such rounding is not a breach
WEIGHT_TOLERANCE = Decimal("1.000000001")


class RiskRule(Protocol):
    """A pre-trade control: ``None`` lets the order pass, a string is the reason it is denied."""

    def check(self, order: SubmitOrder, ctx: RiskContext, profile: RiskProfile) -> str | None: ...


def is_risk_reducing(order: SubmitOrder, ctx: RiskContext) -> bool:
    """Whether ``order`` moves the position toward zero without crossing it.

    It must do so both from the position held now and from the position once working orders fill, so an exit
    stacked on another working exit (which together would open a position the other way) is not reducing.
    """
    change = signed_quantity(order)
    held = ctx.position(order.symbol)
    return all(
        start != 0 and (start > 0) != (change > 0) and abs(change) <= abs(start)
        for start in (held, held + ctx.working(order.symbol))
    )


class AllowedSymbols:
    """Only symbols in ``allowed_symbols`` may be traded (empty = all); closing one no longer listed passes."""

    def check(self, order: SubmitOrder, ctx: RiskContext, profile: RiskProfile) -> str | None:
        allowed = profile.allowed_symbols
        if not allowed or order.symbol in allowed or is_risk_reducing(order, ctx):
            return None
        return f"{order.symbol} is not in allowed_symbols ({', '.join(sorted(map(str, allowed)))})"


class ShortingAllowed:
    """Without ``allow_short``, or in an account that cannot hold shorts (a cash account), a sell may not leave
    the position (after working orders) below zero."""

    def check(self, order: SubmitOrder, ctx: RiskContext, profile: RiskProfile) -> str | None:
        after = ctx.position_after(order)
        if order.side is OrderSide.BUY or after >= 0:
            return None
        if not ctx.can_short:
            return f"{_describe(order)} would leave a short position of {qty(after)}: a cash account cannot sell short"
        if profile.allow_short:
            return None
        return f"{_describe(order)} would leave a short position of {qty(after)} and allow_short is off"


class BuyingPower:
    """What an order adds to the gross exposure (|position after| - |position before|, at the order's price)
    may not exceed the account's buying power; reducing orders always pass. Checked when the context gives
    a buying power (margin accounts)."""

    def check(self, order: SubmitOrder, ctx: RiskContext, profile: RiskProfile) -> str | None:
        if ctx.buying_power is None or is_risk_reducing(order, ctx):
            return None
        price = order_price(order, ctx)
        if price is None:
            return _no_price(order.symbol, "buying power")
        before = ctx.position(order.symbol) + ctx.working(order.symbol)
        added = (abs(before + signed_quantity(order)) - abs(before)) * price
        if added <= ctx.buying_power * WEIGHT_TOLERANCE:
            return None
        return f"{_describe(order)} needs {money(added)} of buying power; the account has {money(ctx.buying_power)}"


class MaxOrderNotional:
    """One order's quantity × price may not exceed ``max_order_notional``."""

    def check(self, order: SubmitOrder, ctx: RiskContext, profile: RiskProfile) -> str | None:
        limit = profile.max_order_notional
        if limit is None:
            return None
        price = order_price(order, ctx)
        if price is None:
            return _no_price(order.symbol, "max_order_notional")
        notional = order.quantity * price
        if notional <= limit:
            return None
        return f"{order.symbol} order notional {money(notional)} exceeds max_order_notional {money(limit)}"


class MaxWeightPerSymbol:
    """|position after the order| × last price may not exceed ``max_weight_per_symbol`` × equity."""

    def check(self, order: SubmitOrder, ctx: RiskContext, profile: RiskProfile) -> str | None:
        if is_risk_reducing(order, ctx):
            return None
        price = ctx.last_price(order.symbol)
        if price is None:
            return _no_price(order.symbol, "max_weight_per_symbol")
        if ctx.equity <= 0:
            return _no_equity(ctx.equity, order)
        value = abs(ctx.position_after(order)) * price
        limit = profile.max_weight_per_symbol
        if value <= limit * ctx.equity * WEIGHT_TOLERANCE:
            return None
        return (
            f"{order.symbol} weight {pct(value / ctx.equity)} of equity after the order "
            f"exceeds max_weight_per_symbol {pct(limit)}"
        )


class MaxGrossExposure:
    """Σ |positions after the order| × last prices may not exceed ``max_gross_exposure`` × equity."""

    def check(self, order: SubmitOrder, ctx: RiskContext, profile: RiskProfile) -> str | None:
        if is_risk_reducing(order, ctx):
            return None
        if ctx.equity <= 0:
            return _no_equity(ctx.equity, order)
        gross = ZERO
        for symbol in sorted({*ctx.positions, *ctx.open_orders_qty, order.symbol}, key=str):
            quantity = ctx.position(symbol) + ctx.working(symbol)
            if symbol == order.symbol:
                quantity += signed_quantity(order)
            if quantity == 0:
                continue
            price = ctx.last_price(symbol)
            if price is None:
                return _no_price(symbol, "max_gross_exposure")
            gross += abs(quantity) * price
        limit = profile.max_gross_exposure
        if gross <= limit * ctx.equity * WEIGHT_TOLERANCE:
            return None
        return (
            f"gross exposure {pct(gross / ctx.equity)} of equity after the order "
            f"exceeds max_gross_exposure {pct(limit)}"
        )


class MaxOrdersPerMinute:
    """At most ``max_orders_per_minute`` orders in any 60 seconds, this one included."""

    def check(self, order: SubmitOrder, ctx: RiskContext, profile: RiskProfile) -> str | None:
        start = ctx.ts - timedelta(minutes=1)
        count = sum(1 for recent in ctx.recent_orders if recent.ts > start)
        limit = profile.max_orders_per_minute
        if count < limit:
            return None
        return f"{count} orders in the last minute already: one more exceeds max_orders_per_minute {limit}"


class PriceCollar:
    """A limit or stop price, or a market order's reference price, at most ``price_collar_pct`` from the last price.

    A market order without a reference price in the context has no price to check and passes.
    """

    def check(self, order: SubmitOrder, ctx: RiskContext, profile: RiskProfile) -> str | None:
        collar = profile.price_collar_pct
        if collar is None:
            return None
        reference = ctx.reference_prices.get(order.symbol)
        prices = [
            (name, price)
            for name, price in (
                ("limit price", order.limit_price),
                ("stop price", order.stop_price),
                ("reference price", reference if order.limit_price is None and order.stop_price is None else None),
            )
            if price is not None
        ]
        if not prices:
            return None
        last = ctx.last_price(order.symbol)
        if last is None:
            return _no_price(order.symbol, "price_collar_pct")
        for name, price in prices:
            distance = abs(price - last)
            if distance > collar * last:
                return (
                    f"{order.symbol} {name} {money(price)} is {pct(distance / last)} from last price {money(last)}, "
                    f"beyond price_collar_pct {pct(collar)}"
                )
        return None


class DuplicateOrder:
    """The same symbol, side and quantity as an order submitted within ``duplicate_window_seconds`` is denied."""

    def check(self, order: SubmitOrder, ctx: RiskContext, profile: RiskProfile) -> str | None:
        window = profile.duplicate_window_seconds
        if window == 0:
            return None
        start = ctx.ts - timedelta(seconds=window)
        for recent in ctx.recent_orders:
            if (
                recent.ts > start
                and recent.symbol == order.symbol
                and recent.side is order.side
                and recent.quantity == order.quantity
            ):
                age = (ctx.ts - recent.ts).total_seconds()
                return (
                    f"duplicate of the {_describe(order)} order submitted {age:g}s ago "
                    f"(duplicate_window_seconds {window})"
                )
        return None


DEFAULT_RULES: tuple[RiskRule, ...] = (
    AllowedSymbols(),
    ShortingAllowed(),
    BuyingPower(),
    PriceCollar(),
    MaxOrderNotional(),
    MaxWeightPerSymbol(),
    MaxGrossExposure(),
    DuplicateOrder(),
    MaxOrdersPerMinute(),
)
"""Every control, in the order they are checked: the first denial is the one reported."""


def order_price(order: SubmitOrder, ctx: RiskContext) -> Decimal | None:
    """The price an order is valued at: its limit price, else its stop price, else the last price."""
    return order.limit_price or order.stop_price or ctx.last_price(order.symbol)


def money(value: Decimal) -> str:
    return f"{value:,.2f}"


def pct(value: Decimal) -> str:
    """A percentage with 2 to 4 decimals, so a value just beyond a limit does not print as the limit."""
    whole, _, decimals = f"{value * 100:.4f}".partition(".")
    return f"{whole}.{decimals.rstrip('0').ljust(2, '0')}%"


def qty(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _describe(order: SubmitOrder) -> str:
    return f"{order.symbol} {order.side} {qty(order.quantity)}"


def _no_price(symbol: Symbol, limit: str) -> str:
    return f"no last price for {symbol} to check {limit}"


def _no_equity(equity: Decimal, order: SubmitOrder) -> str:
    return f"equity {money(equity)} is not positive: {_describe(order)} would add exposure"

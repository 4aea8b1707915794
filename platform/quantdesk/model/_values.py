"""Checks and arithmetic shared by the model's types (private)."""

from contextlib import AbstractContextManager
from datetime import UTC, datetime
from decimal import Context, Decimal, DivisionByZero, Inexact, InvalidOperation, Overflow, localcontext
from typing import TypeVar

from quantdesk.model.enums import OrderType
from quantdesk.model.errors import InvalidValue

T = TypeVar("T")

ZERO = Decimal(0)
_EXACT_DIGITS = 60
_QUOTIENT_DIGITS = 28


def utc(ts: object, what: str) -> datetime:
    """``ts`` as a UTC datetime; naive datetimes and non-datetimes are refused, other zones converted."""
    if not isinstance(ts, datetime):
        raise InvalidValue(f"{what} must be a datetime, got {type(ts).__name__} {ts!r}")
    if ts.utcoffset() is None:
        raise InvalidValue(f"{what} must be timezone-aware (UTC), got naive {ts.isoformat()}")
    return ts if ts.tzinfo is UTC else ts.astimezone(UTC)


def decimal(value: object, what: str) -> Decimal:
    """``value`` as a finite Decimal; ints are accepted, floats refused (they are not exact)."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise InvalidValue(f"{what} must be a Decimal, got {type(value).__name__} {value!r}")
    result = Decimal(value)
    if not result.is_finite():
        raise InvalidValue(f"{what} must be finite, got {result}")
    return result


def positive(value: object, what: str) -> Decimal:
    """``value`` as a Decimal > 0."""
    result = decimal(value, what)
    if result <= 0:
        raise InvalidValue(f"{what} must be > 0, got {result}")
    return result


def non_negative(value: object, what: str) -> Decimal:
    """``value`` as a Decimal >= 0."""
    result = decimal(value, what)
    if result < 0:
        raise InvalidValue(f"{what} must be >= 0, got {result}")
    return result


def instance(value: T, kind: type, what: str) -> T:
    """``value`` unchanged if it is a ``kind``; an :class:`InvalidValue` otherwise."""
    if not isinstance(value, kind):
        raise InvalidValue(f"{what} must be {kind.__name__}, got {type(value).__name__} {value!r}")
    return value


def order_prices(
    order_type: OrderType, limit_price: object, stop_price: object
) -> tuple[Decimal | None, Decimal | None]:
    """The limit and stop prices checked against what ``order_type`` requires and forbids."""
    prices = []
    for name, price, needed in (
        ("limit_price", limit_price, order_type.has_limit_price),
        ("stop_price", stop_price, order_type.has_stop_price),
    ):
        if needed and price is None:
            raise InvalidValue(f"a {order_type} order needs a {name}")
        if not needed and price is not None:
            raise InvalidValue(f"a {order_type} order takes no {name}, got {price}")
        prices.append(None if price is None else positive(price, name))
    return prices[0], prices[1]


_QUOTIENT_CONTEXT = Context(prec=_QUOTIENT_DIGITS)
_EXACT_CONTEXT = Context(prec=_EXACT_DIGITS, traps=[Inexact, InvalidOperation, DivisionByZero, Overflow])


def exact() -> AbstractContextManager[Context]:
    """A decimal context for sums and products that raises instead of rounding, whatever the caller's."""
    return localcontext(_EXACT_CONTEXT)  # entered as a copy: the shared one never changes


def quotient(numerator: Decimal, denominator: Decimal) -> Decimal:
    """``numerator / denominator`` rounded to 28 significant digits (averages rarely terminate)."""
    return _QUOTIENT_CONTEXT.divide(numerator, denominator)

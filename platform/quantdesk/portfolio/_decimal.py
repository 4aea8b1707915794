"""Decimal arithmetic of the portfolio (private): exact sums and products, checked inputs."""

from __future__ import annotations

from contextlib import AbstractContextManager
from decimal import Context, Decimal, DivisionByZero, Inexact, InvalidOperation, Overflow, localcontext

from quantdesk.portfolio.errors import PortfolioError

ZERO = Decimal(0)
_EXACT_DIGITS = 60
_QUOTIENT_DIGITS = 28


def exact() -> AbstractContextManager[Context]:
    """A decimal context for sums and products that raises instead of rounding, whatever the caller's."""
    return localcontext(Context(prec=_EXACT_DIGITS, traps=[Inexact, InvalidOperation, DivisionByZero, Overflow]))


def quotient(numerator: Decimal, denominator: Decimal) -> Decimal:
    """``numerator / denominator`` rounded to 28 significant digits (ratios rarely terminate)."""
    return Context(prec=_QUOTIENT_DIGITS).divide(numerator, denominator)


def amount(value: object, what: str) -> Decimal:
    """``value`` as a finite Decimal; ints are accepted, floats refused (they are not exact)."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise PortfolioError(f"{what} must be a Decimal, got {type(value).__name__} {value!r}")
    result = Decimal(value)
    if not result.is_finite():
        raise PortfolioError(f"{what} must be finite, got {result}")
    return result


def non_negative(value: object, what: str) -> Decimal:
    """``value`` as a Decimal >= 0."""
    result = amount(value, what)
    if result < 0:
        raise PortfolioError(f"{what} must be >= 0, got {result}")
    return result

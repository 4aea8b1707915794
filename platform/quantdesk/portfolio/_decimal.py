"""Decimal arithmetic of the portfolio (private): exact sums and products, checked inputs."""

from __future__ import annotations

from decimal import Decimal

from quantdesk.model._values import exact, quotient  # one definition of the exact and ratio contexts
from quantdesk.portfolio.errors import PortfolioError

__all__ = ["ZERO", "amount", "exact", "quotient"]

ZERO = Decimal(0)


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

"""Identifiers: each kind of id is its own type, so a trade id can never stand in for an order id."""

import re
from dataclasses import dataclass

from quantdesk.model.errors import InvalidIdentifier

_SYMBOL = re.compile(r"[A-Z0-9][A-Z0-9./_-]*")


def _check(value: object, kind: str) -> str:
    if not isinstance(value, str):
        raise InvalidIdentifier(f"{kind} must be a str, got {type(value).__name__} {value!r}")
    if not value:
        raise InvalidIdentifier(f"{kind} must not be empty")
    # isprintable() is False for every whitespace character but the plain space
    if " " in value or not value.isprintable():
        raise InvalidIdentifier(f"{kind} must not contain whitespace or control characters: {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class Identifier:
    """Base of the identifier types: a non-empty string without whitespace; ``str(id)`` is the value."""

    value: str

    def __post_init__(self) -> None:
        _check(self.value, type(self).__name__)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Symbol(Identifier):
    """A tradable instrument, upper-cased: letters, digits and ``. - / _`` (``AAPL``, ``BRK.B``, ``BTC/USD``).

    Lower case is accepted and upper-cased: ``Symbol("aapl") == Symbol("AAPL")``.
    """

    def __post_init__(self) -> None:
        value = _check(self.value, "Symbol").upper()
        if not _SYMBOL.fullmatch(value):
            raise InvalidIdentifier(
                f"Symbol {self.value!r} may hold only letters, digits and . - / _ and must start with a letter or digit"
            )
        object.__setattr__(self, "value", value)


@dataclass(frozen=True, slots=True)
class ClientOrderId(Identifier):
    """The id we give an order; never reused."""


@dataclass(frozen=True, slots=True)
class VenueOrderId(Identifier):
    """The id the venue gives an order when it accepts it."""


@dataclass(frozen=True, slots=True)
class TradeId(Identifier):
    """The venue's id of one execution (fill)."""


@dataclass(frozen=True, slots=True)
class DeploymentId(Identifier):
    """One running instance of a strategy (backtest, paper or live)."""


@dataclass(frozen=True, slots=True)
class StrategyId(Identifier):
    """A strategy, as registered."""


@dataclass(frozen=True, slots=True)
class UserId(Identifier):
    """A user of the platform."""

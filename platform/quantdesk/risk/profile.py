"""The risk profile: a user's limits, one frozen and validated value that persistence stores as plain columns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_serializer, field_validator

from quantdesk.model import QuantdeskError, Symbol

_ONE = Decimal(1)
Fraction = Annotated[Decimal, Field(gt=0, lt=1)]


class InvalidRiskProfile(QuantdeskError, ValueError):  # noqa: N818 - reads as what the user got wrong
    """A risk profile with an unknown field or a value out of range."""


class RiskProfile(BaseModel):
    """The pre-trade limits, account guards and position protections of one user (or deployment).

    Fractions are ``Decimal`` (floats are accepted and read through ``str``: ``0.1`` is exactly
    ``Decimal("0.1")``), so a limit met exactly passes and only a value beyond it is denied. Building one with
    an unknown field or a value out of range raises :class:`InvalidRiskProfile` naming the field, the rule and
    the value given.

    >>> RiskProfile(max_weight_per_symbol=0.25, allowed_symbols=["msft", "spy"]).allowed_symbols == {
    ...     Symbol("MSFT"), Symbol("SPY")}
    True
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    max_weight_per_symbol: Annotated[Decimal, Field(gt=0, le=4)] = Field(
        default=_ONE, description="|position| × price / equity after the order; 1 = all of equity"
    )
    max_gross_exposure: Annotated[Decimal, Field(gt=0, le=4)] = Field(
        default=_ONE, description="Σ |position| × price / equity after the order; 1 = unlevered, at most 4"
    )
    max_order_notional: Annotated[Decimal, Field(gt=0)] | None = Field(
        default=None, description="quantity × price of one order, in money; None = no limit"
    )
    max_orders_per_minute: Annotated[int, Field(ge=1, le=100_000)] = Field(
        default=60, description="orders submitted in any 60 seconds"
    )
    price_collar_pct: Annotated[Decimal, Field(gt=0, le=1)] | None = Field(
        default=Decimal("0.10"), description="largest distance of an order's price from the last price; None = off"
    )
    duplicate_window_seconds: Annotated[int, Field(ge=0, le=86_400)] = Field(
        default=0, description="same symbol, side and quantity within this many seconds is a duplicate; 0 = off"
    )
    max_daily_loss: Fraction | None = Field(
        default=None, description="loss from start-of-day equity that switches to reducing only; None = off"
    )
    max_drawdown: Fraction | None = Field(
        default=None, description="fall from peak equity that halts trading; None = off"
    )
    allowed_symbols: frozenset[Symbol] = Field(
        default=frozenset(), description="the symbols that may be traded; empty = all"
    )
    allow_short: bool = Field(default=False, description="whether a sell may leave a negative position")
    stop_loss_pct: Fraction | None = Field(
        default=None, description="exit when the close is this far against the entry price; None = off"
    )
    take_profit_pct: Annotated[Decimal, Field(gt=0, le=10)] | None = Field(
        default=None, description="exit when the close is this far in favour of the entry price; None = off"
    )
    trailing_stop_pct: Fraction | None = Field(
        default=None, description="exit when the close falls this far from the best close since entry; None = off"
    )

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            problems = "; ".join(_describe(error) for error in exc.errors())
            raise InvalidRiskProfile(f"invalid risk profile: {problems}") from None

    @field_validator("allowed_symbols", mode="before")
    @classmethod
    def _symbols(cls, value: object) -> frozenset[Symbol]:
        if isinstance(value, str):  # "MSFT,SPY", as a text column holds it
            value = [part.strip() for part in value.split(",") if part.strip()]
        if not isinstance(value, Iterable):
            raise ValueError(f"must be a list of symbols, got {type(value).__name__}")
        return frozenset(item if isinstance(item, Symbol) else Symbol(item) for item in value)

    @field_serializer("allowed_symbols")
    def _dump_symbols(self, value: frozenset[Symbol]) -> list[str]:
        return sorted(str(symbol) for symbol in value)

    def to_dict(self) -> dict[str, Any]:
        """The profile as JSON-safe plain values: Decimals as strings, ``allowed_symbols`` as a sorted list."""
        return self.model_dump(mode="json")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RiskProfile:
        """The profile ``to_dict`` gave (or one read back from columns); validated like the constructor."""
        return cls(**dict(data))


_PLAIN_WORDS = (
    ("Input should be", "must be"),
    ("less than or equal to", "at most"),
    ("greater than or equal to", "at least"),
)


def _describe(error: Any) -> str:
    field = ".".join(str(part) for part in error.get("loc", ())) or "profile"
    if error.get("type") == "extra_forbidden":
        return f"unknown field {field!r} (valid: {', '.join(RiskProfile.model_fields)})"
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    for pydantic_words, ours in _PLAIN_WORDS:
        message = message.replace(pydantic_words, ours)
    separator = " " if message.startswith("must") else ": "
    text = f"{field}{separator}{message}, got {error.get('input')!r}"
    name = field.split(".")[0]
    if name in RiskProfile.model_fields and (description := RiskProfile.model_fields[name].description):
        text += f" ({description})"
    return text

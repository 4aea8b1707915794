"""The one strategy object that runs in research, replay, paper and live trading.

A strategy is a pure function of bar history: ``target(bars)`` returns, for every bar close, the weight of
equity to hold in each symbol (1.0 all-in long, -1.0 all-in short, 0.0 flat, NaN = keep what you hold).
Research computes it once over the whole history; the live runner calls it on the trailing ``warmup`` bars
and acts on the last row. Orders follow when the target changes: the decision is made at the close of bar
t and fills at the open of bar t+1.

``bars`` is a panel: a DataFrame indexed by bar label with two-level columns ``(field, symbol)``, so
``bars["close"]`` is a frame of closes with one column per symbol (see :func:`quantdesk.strategy.panel`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from quantdesk.data.frames import field_values
from quantdesk.strategy.errors import InvalidParams, NotEnoughHistory, StrategyError


class Params(BaseModel):
    """Base of every strategy's parameters: frozen, unknown fields rejected, ranges validated."""

    model_config = ConfigDict(frozen=True, extra="forbid")


P = TypeVar("P", bound=Params)


class Strategy(Generic[P]):
    """Subclass with a ``name``, a ``Params`` model, ``default_symbols`` and ``target``/``warmup``.

    >>> from strategies.trend_following import TrendFollowing
    >>> s = TrendFollowing(fast=10, slow=30)        # doctest: +SKIP
    """

    name: ClassVar[str]
    params_model: ClassVar[type[Params]]
    default_symbols: ClassVar[tuple[str, ...]] = ("MSFT",)
    symbol_count: ClassVar[int] = 1  # how many symbols the strategy trades at once (2 for a pair)
    #: the price series it was designed for; the backtest reads the catalog in this convention by default
    default_adjustment: ClassVar[str] = "adjusted"

    def __init__(self, params: P | None = None, *, symbols: Sequence[str] | None = None, **overrides: Any) -> None:
        self.params: P = _build_params(self.params_model, params, overrides)  # type: ignore[assignment]
        if isinstance(symbols, str):  # "MSFT" or "MSFT,IBM", not the letters M, S, F, T
            symbols = [s.strip() for s in symbols.split(",") if s.strip()]
        chosen = tuple(s.upper() for s in (symbols or self.default_symbols))
        if len(chosen) != self.symbol_count:
            raise StrategyError(
                f"{self.name} trades {self.symbol_count} symbol(s) at once, got {len(chosen)}: {', '.join(chosen)}"
            )
        self.symbols: tuple[str, ...] = chosen

    @property
    def warmup(self) -> int:
        """Bars of history ``target`` needs before its output is meaningful."""
        raise NotImplementedError

    def target(self, bars: pd.DataFrame) -> pd.DataFrame:
        """Target weights: index = ``bars.index``, columns = ``self.symbols``; NaN keeps the position."""
        raise NotImplementedError

    def field(self, bars: pd.DataFrame, name: str) -> np.ndarray:
        """One field (``"close"``, ``"open"``, ...) of ``bars`` for this strategy's symbols, as a (T × N)
        float64 array, columns in ``self.symbols`` order."""
        return field_values(bars, name, self.symbols)

    def with_params(self, **changes: Any) -> Strategy[P]:
        """A copy with some parameters changed (validated again)."""
        return type(self)(self.params, symbols=self.symbols, **changes)

    def check_history(self, bars: pd.DataFrame) -> None:
        """Raise :class:`NotEnoughHistory` when ``bars`` is shorter than the warmup."""
        if len(bars) < self.warmup:
            raise NotEnoughHistory(
                f"{self.name} needs at least {self.warmup} bars of history (warmup); got {len(bars)}"
            )

    def __repr__(self) -> str:
        args = [f"{k}={v!r}" for k, v in self.params.model_dump().items()] + [f"symbols={list(self.symbols)}"]
        return f"{type(self).__name__}({', '.join(args)})"


def _build_params(model: type[Params], params: Params | None, overrides: dict[str, Any]) -> Params:
    base = params.model_dump() if params is not None else {}
    try:
        return model(**{**base, **overrides})
    except ValidationError as exc:
        problems = "; ".join(_describe(error, model) for error in exc.errors())
        raise InvalidParams(f"invalid parameters for {model.__qualname__}: {problems}") from None


def _describe(error: Any, model: type[Params]) -> str:
    where = ".".join(str(p) for p in error.get("loc", ()))
    if error.get("type") == "extra_forbidden":
        return f"unknown parameter {where!r} (valid: {', '.join(model.model_fields)})"
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message

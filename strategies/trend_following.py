"""Trend following: long while the fast moving average of the close is above the slow one."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from quantdesk.indicators import crossover_weights, ema, sma
from quantdesk.strategy import Params, Strategy


class TrendFollowingParams(Params):
    fast: int = Field(10, ge=1, le=1000, description="bars in the fast moving average")
    slow: int = Field(30, ge=2, le=5000, description="bars in the slow moving average")
    kind: Literal["sma", "ema"] = Field("sma", description="simple or exponential moving averages")
    allow_short: bool = Field(False, description="short (-1.0) instead of flat while fast <= slow")

    @model_validator(mode="after")
    def _slow_is_slower(self) -> TrendFollowingParams:
        if self.slow <= self.fast:
            raise ValueError(f"slow ({self.slow}) must be greater than fast ({self.fast})")
        return self


class TrendFollowing(Strategy[TrendFollowingParams]):
    """Moving-average crossover: long while the fast average is above the slow one, else flat (or short)."""

    name: ClassVar[str] = "trend_following"
    params_model: ClassVar[type[Params]] = TrendFollowingParams
    #: the parameter sweep simulates this strategy on its fused crossover kernel (quantdesk.backtest.sweep)
    sweep_kernel: ClassVar[str] = "ma_crossover"

    @property
    def warmup(self) -> int:
        return self.params.slow

    def moving_average(self, close: np.ndarray, window: int) -> np.ndarray:
        """The average of the configured kind over ``window`` bars (also used by the fused sweep)."""
        return sma(close, window) if self.params.kind == "sma" else ema(close, window)

    def crossover_weights(self, *, allow_short: bool = True, leverage: float = 1.0) -> tuple[float, float]:
        """(weight while fast > slow, weight otherwise) after the engine's shorting and leverage rules."""
        size = min(1.0, leverage)
        return size, -size if self.params.allow_short and allow_short else 0.0

    def target(self, bars: pd.DataFrame) -> pd.DataFrame:
        close = self.field(bars, "close")
        fast = self.moving_average(close, self.params.fast)
        slow = self.moving_average(close, self.params.slow)
        weights = crossover_weights(fast, slow, 1.0, -1.0 if self.params.allow_short else 0.0)
        return pd.DataFrame(weights, index=bars.index, columns=list(self.symbols), copy=False)

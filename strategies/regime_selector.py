"""The strategy factory: classify each bar's market state from trailing data and delegate to the strategy
suited to it (trend following in a trend, mean reversion in a mean-reverting market, flat in turbulence).

Regimes, decided at each bar from the bars up to it: ``turbulent`` when the realised volatility ranks above
the ``turbulence`` fraction of its last ``vol_lookback`` values; otherwise ``trending`` when the Hurst
exponent of the log close over ``regime_window`` bars is above ``trend_threshold``, ``mean_reverting``
when it is below ``revert_threshold``, else ``neutral`` (keep whatever is held); ``warmup`` while the
statistics are not yet defined.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from quantdesk.indicators import hurst, volatility_percentile
from quantdesk.strategy import Params, Strategy
from strategies.mean_reversion import MeanReversion
from strategies.trend_following import TrendFollowing

HURST_MAX_LAG = 20  # lags 1..20 of the log close in the Hurst estimate
#: the strategy setting the target in each regime; "hold" in the others (neutral, warmup keep the position)
ACTIVE = MappingProxyType({"trending": "trend_following", "mean_reverting": "mean_reversion", "turbulent": "flat"})


class RegimeSelectorParams(Params):
    fast: int = Field(10, ge=1, le=1000, description="trend following: fast moving average")
    slow: int = Field(30, ge=2, le=5000, description="trend following: slow moving average")
    kind: Literal["sma", "ema"] = Field("sma", description="trend following: kind of moving average")
    z_window: int = Field(20, ge=2, le=5000, description="mean reversion: z-score window")
    entry: float = Field(2.0, gt=0, le=10, description="mean reversion: entry |z-score|")
    exit: float = Field(0.5, ge=0, le=10, description="mean reversion: exit |z-score|")
    regime_window: int = Field(100, ge=2 * HURST_MAX_LAG, le=5000, description="bars in the Hurst exponent")
    trend_threshold: float = Field(0.55, gt=0, lt=1, description="Hurst above this: trending")
    revert_threshold: float = Field(0.45, gt=0, lt=1, description="Hurst below this: mean reverting")
    turbulence: float = Field(0.9, gt=0, le=1, description="volatility percentile (fraction) above this: flat")
    vol_window: int = Field(20, ge=2, le=1000, description="bars of log returns in the realised volatility")
    vol_lookback: int = Field(252, ge=1, le=5000, description="volatility values the percentile ranks among")
    allow_short: bool = Field(False, description="let the delegates go short")

    @model_validator(mode="after")
    def _consistent(self) -> RegimeSelectorParams:
        if self.slow <= self.fast:
            raise ValueError(f"slow ({self.slow}) must be greater than fast ({self.fast})")
        if self.exit >= self.entry:
            raise ValueError(f"exit ({self.exit}) must be less than entry ({self.entry})")
        if self.revert_threshold > self.trend_threshold:
            raise ValueError(
                f"revert_threshold ({self.revert_threshold}) must be at most trend_threshold ({self.trend_threshold})"
            )
        return self


class RegimeSelector(Strategy[RegimeSelectorParams]):
    """Per market regime: trend following in trends, mean reversion when mean reverting, flat if turbulent."""

    name: ClassVar[str] = "regime_selector"
    params_model: ClassVar[type[Params]] = RegimeSelectorParams

    @property
    def trend(self) -> TrendFollowing:
        p = self.params
        return TrendFollowing(fast=p.fast, slow=p.slow, kind=p.kind, allow_short=p.allow_short, symbols=self.symbols)

    @property
    def reversion(self) -> MeanReversion:
        p = self.params
        return MeanReversion(
            window=p.z_window, entry=p.entry, exit=p.exit, allow_short=p.allow_short, symbols=self.symbols
        )

    @property
    def warmup(self) -> int:
        p = self.params
        return max(self.trend.warmup, self.reversion.warmup, p.regime_window, p.vol_window + p.vol_lookback)

    def regimes(self, bars: pd.DataFrame) -> pd.Series:
        """Each bar's market state: trending, mean_reverting, turbulent, neutral, or warmup."""
        p = self.params
        close = bars["close"][self.symbols[0]].astype(np.float64)
        vol_rank = volatility_percentile(close, p.vol_window, p.vol_lookback).to_numpy()
        h = hurst(np.log(close), p.regime_window, HURST_MAX_LAG).to_numpy()
        labels = np.select(
            [
                np.isnan(vol_rank) | np.isnan(h),
                vol_rank > 100 * p.turbulence,
                h > p.trend_threshold,
                h < p.revert_threshold,
            ],
            ["warmup", "turbulent", "trending", "mean_reverting"],
            "neutral",
        )
        return pd.Series(labels, index=bars.index, name="regime")

    def active_strategy(self, bars: pd.DataFrame) -> pd.Series:
        """Which strategy sets the target at each bar: trend_following, mean_reversion, flat or hold."""
        return self.regimes(bars).map(lambda r: ACTIVE.get(r, "hold")).rename("active_strategy")

    def target(self, bars: pd.DataFrame) -> pd.DataFrame:
        regime = self.regimes(bars).to_numpy()[:, None]
        trend, reversion = self.trend.target(bars).to_numpy(), self.reversion.target(bars).to_numpy()
        weights = np.select(
            [regime == "trending", regime == "mean_reverting", regime == "turbulent"],
            [trend, reversion, 0.0],
            np.nan,
        )
        return pd.DataFrame(weights, index=bars.index, columns=list(self.symbols))

"""Pairs arbitrage: trade the z-score of the spread of two log prices around a rolling hedge ratio.

y is the first symbol's log close and x the second's; ``beta`` and ``alpha`` come from a rolling OLS of y on x
over ``hedge_window`` bars, the spread is ``y - alpha - beta * x`` and z its z-score over ``z_window`` bars.
Rules, applied bar by bar: flat opens long the spread when z < -entry and short it when z > +entry; an open
pair closes when |z| < exit; |z| > stop is a divergence: flat at once, and no new trade until |z| < exit
again (a z-score already beyond the stop opens nothing). Long the spread is ``w_y = +gross / (1 + |beta|)``,
``w_x = -gross * beta / (1 + |beta|)`` with the bar's beta; short the spread is the negative. Weights are set
only on the bars where the position changes (NaN elsewhere, so an open pair is not rebalanced every bar).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from quantdesk.indicators import rolling_ols, zscore
from quantdesk.strategy import Params, Strategy

FLAT, LONG_SPREAD, SHORT_SPREAD = 0, 1, -1


class PairsArbitrageParams(Params):
    hedge_window: int = Field(60, ge=10, le=5000, description="bars in the rolling OLS of y on x")
    z_window: int = Field(20, ge=5, le=5000, description="bars in the z-score of the spread")
    entry: float = Field(2.0, gt=0, le=10, description="open when |z| exceeds this")
    exit: float = Field(0.5, ge=0, le=10, description="close when |z| falls below this")
    stop: float = Field(4.0, gt=0, le=20, description="close when |z| exceeds this (the pair diverged)")
    gross: float = Field(1.0, gt=0, le=2, description="gross exposure of an open pair (sum of |weights|)")

    @model_validator(mode="after")
    def _bands_in_order(self) -> PairsArbitrageParams:
        if self.exit >= self.entry:
            raise ValueError(f"exit ({self.exit}) must be less than entry ({self.entry})")
        if self.stop <= self.entry:
            raise ValueError(f"stop ({self.stop}) must be greater than entry ({self.entry})")
        return self


class PairsArbitrage(Strategy[PairsArbitrageParams]):
    """Pairs trade: long the spread below -entry, short it above +entry, out inside ±exit or beyond ±stop."""

    name: ClassVar[str] = "pairs_arbitrage"
    params_model: ClassVar[type[Params]] = PairsArbitrageParams
    default_symbols: ClassVar[tuple[str, ...]] = ("MSFT", "IBM")
    symbol_count: ClassVar[int] = 2

    @property
    def warmup(self) -> int:
        return self.params.hedge_window + self.params.z_window

    def hedge(self, bars: pd.DataFrame) -> pd.DataFrame:
        """Columns ``beta``, ``alpha``, ``spread`` (of log y on log x) and ``zscore`` of the spread."""
        log_close = np.log(bars["close"][list(self.symbols)].astype(np.float64))
        y, x = log_close.iloc[:, 0], log_close.iloc[:, 1]
        fit = rolling_ols(y, x, self.params.hedge_window)
        fit["zscore"] = zscore(fit["spread"], self.params.z_window)
        return fit

    def spread_zscore(self, bars: pd.DataFrame) -> pd.Series:
        """The z-score of the hedged spread that drives the trades (for plots)."""
        return self.hedge(bars)["zscore"].rename("spread_zscore")

    def target(self, bars: pd.DataFrame) -> pd.DataFrame:
        fit = self.hedge(bars)
        z, beta = fit["zscore"].to_numpy(copy=True), fit["beta"].to_numpy()
        z[: self.warmup - 1] = np.nan
        weights = np.full((len(bars), 2), np.nan)
        for i, state in _state_changes(z, self.params):
            w_y = state * self.params.gross / (1.0 + abs(beta[i]))
            weights[i] = (w_y, -w_y * beta[i]) if state != FLAT else (0.0, 0.0)
        return pd.DataFrame(weights, index=bars.index, columns=list(self.symbols))


def _state_changes(z: np.ndarray, p: PairsArbitrageParams) -> list[tuple[int, int]]:
    """(bar, new state) where the position changes; the first bar with a z-score always sets it."""
    changes, state, stopped, previous = [], FLAT, False, None
    for i, value in enumerate(z):
        if np.isnan(value):
            continue
        size = abs(value)
        if size > p.stop:  # the pair diverged: out, and no new trade until the spread is back near its mean
            state, stopped = FLAT, True
        elif size < p.exit:
            state, stopped = FLAT, False
        elif state == FLAT and not stopped and size > p.entry:
            state = LONG_SPREAD if value < 0 else SHORT_SPREAD
        if state != previous:
            changes.append((i, state))
            previous = state
    return changes

"""Mean reversion: buy a price stretched below its rolling mean, sell when it has come back."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from quantdesk.indicators import zscore
from quantdesk.strategy import Params, Strategy


class MeanReversionParams(Params):
    window: int = Field(20, ge=2, le=5000, description="bars in the rolling mean and standard deviation")
    entry: float = Field(2.0, gt=0, le=10, description="enter when |z-score| exceeds this")
    exit: float = Field(0.5, ge=0, le=10, description="go flat when |z-score| falls below this")
    allow_short: bool = Field(False, description="also short when the z-score is above +entry")

    @model_validator(mode="after")
    def _exit_inside_entry(self) -> MeanReversionParams:
        if self.exit >= self.entry:
            raise ValueError(f"exit ({self.exit}) must be less than entry ({self.entry})")
        return self


class MeanReversion(Strategy[MeanReversionParams]):
    """Z-score reversion with hysteresis: long below -entry (short above +entry), flat inside ±exit."""

    name: ClassVar[str] = "mean_reversion"
    params_model: ClassVar[type[Params]] = MeanReversionParams

    @property
    def warmup(self) -> int:
        return self.params.window

    def target(self, bars: pd.DataFrame) -> pd.DataFrame:
        p = self.params
        z = zscore(bars["close"][list(self.symbols)].to_numpy(np.float64), p.window)
        decision = np.full(z.shape, np.nan)
        decision[z < -p.entry] = 1.0
        if p.allow_short:
            decision[z > p.entry] = -1.0
        decision[np.abs(z) < p.exit] = 0.0
        # between the bands the last decision holds (hysteresis); before the first one the state is flat
        held = pd.DataFrame(decision, index=bars.index, columns=list(self.symbols)).ffill().fillna(0.0)
        return held.where(~np.isnan(z))

"""Buy and hold: all-in long from the first bar, the benchmark every other strategy is measured against."""

from __future__ import annotations

from typing import ClassVar

import pandas as pd

from quantdesk.strategy import Params, Strategy


class BuyAndHoldParams(Params):
    """Buy and hold has no parameters."""


class BuyAndHold(Strategy[BuyAndHoldParams]):
    """Hold the symbol all-in long from the first bar (the benchmark)."""

    name: ClassVar[str] = "buy_and_hold"
    params_model: ClassVar[type[Params]] = BuyAndHoldParams

    @property
    def warmup(self) -> int:
        return 1

    def target(self, bars: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(1.0, index=bars.index, columns=list(self.symbols), dtype="float64")

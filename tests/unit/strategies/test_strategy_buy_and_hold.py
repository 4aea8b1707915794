"""Buy and hold, the benchmark: all-in long from the very first bar."""

from __future__ import annotations

import numpy as np
import pandas as pd

from quantdesk.data.panel import panel
from strategies.buy_and_hold import BuyAndHold


def test_buy_and_hold_is_fully_long_from_the_first_bar() -> None:
    index = pd.date_range("2024-01-01", periods=3, freq="D", tz="UTC", name="ts")
    c = np.array([10.0, 9.0, 12.0])
    bars = panel({"ABC": pd.DataFrame({"open": c, "high": c, "low": c, "close": c, "volume": 1.0}, index=index)})
    strategy = BuyAndHold(symbols=["ABC"])
    target = strategy.target(bars)
    assert strategy.warmup == 1
    assert target.index.equals(bars.index)
    assert list(target.columns) == ["ABC"]
    assert target["ABC"].dtype == np.float64
    assert target["ABC"].tolist() == [1.0, 1.0, 1.0]

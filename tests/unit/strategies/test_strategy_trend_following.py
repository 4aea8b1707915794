"""Trend following: long while the fast average is above the slow one, on a hand-made candle table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantdesk.data.panel import panel
from strategies.trend_following import TrendFollowing

NAN = np.nan

#   close  SMA(2)  SMA(3)   long-only  allow_short
CROSSOVER = [
    (10.0, NAN, NAN, NAN, NAN),  # the slow average needs 3 bars
    (11.0, 10.5, NAN, NAN, NAN),
    (12.0, 11.5, 11.0, 1.0, 1.0),  # 11.5 > 11: long
    (13.0, 12.5, 12.0, 1.0, 1.0),
    (12.0, 12.5, 37 / 3, 1.0, 1.0),  # 12.5 > 12.33
    (11.0, 11.5, 12.0, 0.0, -1.0),  # crosses below: flat (or short)
    (10.0, 10.5, 11.0, 0.0, -1.0),
    (11.0, 10.5, 32 / 3, 0.0, -1.0),  # 10.5 < 10.67 still
    (12.0, 11.5, 11.0, 1.0, 1.0),  # crosses back above
    (13.0, 12.5, 12.0, 1.0, 1.0),
    (12.5, 12.75, 12.5, 1.0, 1.0),
    (12.0, 12.25, 12.5, 0.0, -1.0),
    (12.5, 12.25, 37 / 3, 0.0, -1.0),  # EMA(2) 12.39 > EMA(3) 12.34 here: the EMA version is long
]
EMA_TARGET = [NAN, NAN, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0]


def candles(closes: list[float], symbol: str = "ABC") -> pd.DataFrame:
    index = pd.date_range("2024-01-01", periods=len(closes), freq="D", tz="UTC", name="ts")
    c = np.asarray(closes, dtype=float)
    return panel({symbol: pd.DataFrame({"open": c, "high": c, "low": c, "close": c, "volume": 1e6}, index=index)})


def column(rows: list[tuple[float, ...]], k: int) -> np.ndarray:
    return np.array([row[k] for row in rows])


def test_long_while_fast_sma_is_above_slow_sma_else_flat() -> None:
    bars = candles(list(column(CROSSOVER, 0)))
    target = TrendFollowing(fast=2, slow=3, symbols=["ABC"]).target(bars)
    assert list(target.columns) == ["ABC"]
    assert target.index.equals(bars.index)
    assert target["ABC"].dtype == np.float64
    np.testing.assert_array_equal(target["ABC"].to_numpy(), column(CROSSOVER, 3))


def test_allow_short_goes_short_instead_of_flat() -> None:
    bars = candles(list(column(CROSSOVER, 0)))
    target = TrendFollowing(fast=2, slow=3, allow_short=True, symbols=["ABC"]).target(bars)
    np.testing.assert_array_equal(target["ABC"].to_numpy(), column(CROSSOVER, 4))


def test_ema_kind_compares_exponential_averages() -> None:
    bars = candles(list(column(CROSSOVER, 0)))
    target = TrendFollowing(fast=2, slow=3, kind="ema", symbols=["ABC"]).target(bars)
    np.testing.assert_array_equal(target["ABC"].to_numpy(), EMA_TARGET)


def test_the_averages_in_the_table_are_what_the_strategy_compares() -> None:
    strategy = TrendFollowing(fast=2, slow=3, symbols=["ABC"])
    close = column(CROSSOVER, 0)
    np.testing.assert_allclose(strategy.moving_average(close, 2), column(CROSSOVER, 1), rtol=1e-12)
    np.testing.assert_allclose(strategy.moving_average(close, 3), column(CROSSOVER, 2), rtol=1e-12)


def test_warmup_is_the_slow_window_and_the_first_decision_is_on_its_last_bar() -> None:
    strategy = TrendFollowing(fast=2, slow=3, symbols=["ABC"])
    assert strategy.warmup == 3
    target = strategy.target(candles([10.0, 11.0, 12.0]))
    assert target["ABC"].isna().tolist() == [True, True, False]


def test_a_missing_close_keeps_the_position() -> None:
    closes = list(column(CROSSOVER, 0))
    closes[6] = NAN
    target = TrendFollowing(fast=2, slow=3, symbols=["ABC"]).target(candles(closes))
    assert target["ABC"].iloc[5:10].isna().tolist() == [False, True, True, True, False]


@pytest.mark.parametrize(
    ("strategy_short", "engine_short", "leverage", "expected"),
    [(False, True, 1.0, (1.0, 0.0)), (True, True, 1.0, (1.0, -1.0)), (True, False, 1.0, (1.0, 0.0)),
     (True, True, 0.5, (0.5, -0.5)), (False, True, 2.0, (1.0, 0.0))],
)  # fmt: skip
def test_crossover_weights_for_the_fused_sweep_follow_the_engine_rules(
    strategy_short: bool, engine_short: bool, leverage: float, expected: tuple[float, float]
) -> None:
    strategy = TrendFollowing(allow_short=strategy_short)
    assert strategy.crossover_weights(allow_short=engine_short, leverage=leverage) == expected

"""Mean reversion with hysteresis: enter beyond ±entry, leave inside ±exit, hold in between."""

from __future__ import annotations

import numpy as np
import pandas as pd

from quantdesk.data.panel import panel
from quantdesk.indicators import zscore
from strategies.mean_reversion import MeanReversion

NAN = np.nan

# window=4, entry=1.2, exit=0.4; z is the z-score of the close over the last 4 bars (ddof=1)
#   close   z       long-only  allow_short
HYSTERESIS = [
    (10.0, NAN, NAN, NAN),  # z undefined: no decision
    (10.0, NAN, NAN, NAN),
    (11.0, NAN, NAN, NAN),
    (10.0, -0.5, 0.0, 0.0),  # first z, inside the bands: the state starts flat
    (11.0, 0.866, 0.0, 0.0),
    (10.0, -0.866, 0.0, 0.0),
    (7.0, -1.443, 1.0, 1.0),  # below -entry: long
    (8.0, -0.548, 1.0, 1.0),  # between exit and entry: hold the long
    (8.0, -0.199, 0.0, 0.0),  # inside ±exit: flat
    (8.5, 0.993, 0.0, 0.0),  # between the bands again: stay flat
    (9.5, 1.414, 0.0, -1.0),  # above +entry: short, if shorting is allowed
    (9.5, 0.833, 0.0, -1.0),  # hold the short
    (9.0, -0.261, 0.0, 0.0),  # inside ±exit: flat
    (9.0, -0.866, 0.0, 0.0),
    (9.0, -0.5, 0.0, 0.0),
    (9.0, NAN, NAN, NAN),  # four equal closes: no z-score, so no decision (keep)
]


def candles(closes: np.ndarray, symbol: str = "ABC") -> pd.DataFrame:
    index = pd.date_range("2024-01-01", periods=len(closes), freq="D", tz="UTC", name="ts")
    c = np.asarray(closes, dtype=float)
    return panel({symbol: pd.DataFrame({"open": c, "high": c, "low": c, "close": c, "volume": 1e6}, index=index)})


def column(k: int) -> np.ndarray:
    return np.array([row[k] for row in HYSTERESIS])


def test_the_table_z_scores_are_the_rolling_z_scores_of_the_close() -> None:
    np.testing.assert_allclose(zscore(column(0), 4), column(1), atol=5e-4)


def test_long_only_enters_below_minus_entry_and_holds_until_inside_exit() -> None:
    strategy = MeanReversion(window=4, entry=1.2, exit=0.4, symbols=["ABC"])
    target = strategy.target(candles(column(0)))
    assert list(target.columns) == ["ABC"]
    assert target["ABC"].dtype == np.float64
    np.testing.assert_array_equal(target["ABC"].to_numpy(), column(2))


def test_allow_short_also_shorts_above_plus_entry() -> None:
    strategy = MeanReversion(window=4, entry=1.2, exit=0.4, allow_short=True, symbols=["ABC"])
    np.testing.assert_array_equal(strategy.target(candles(column(0)))["ABC"].to_numpy(), column(3))


def test_warmup_is_the_window() -> None:
    strategy = MeanReversion(window=4, entry=1.2, exit=0.4, symbols=["ABC"])
    assert strategy.warmup == 4
    assert strategy.target(candles(column(0)[:4]))["ABC"].isna().tolist() == [True, True, True, False]


def test_a_position_is_held_through_bars_without_a_z_score() -> None:
    # a missing close (bar 7) blanks the z-scores of the windows holding it; the long opened at bar 6 is kept
    closes = [10.0, 10.0, 11.0, 10.0, 11.0, 10.0, 7.0, NAN, 8.0, 8.0, 8.5, 8.0, 8.2, 8.1]
    z = [NAN, NAN, NAN, -0.5, 0.866, -0.866, -1.443, NAN, NAN, NAN, NAN, -0.5, 0.106, -0.463]
    expected = [NAN, NAN, NAN, 0.0, 0.0, 0.0, 1.0, NAN, NAN, NAN, NAN, 1.0, 0.0, 0.0]
    strategy = MeanReversion(window=4, entry=1.2, exit=0.4, symbols=["ABC"])
    np.testing.assert_allclose(zscore(np.array(closes), 4), z, atol=5e-4)
    np.testing.assert_array_equal(strategy.target(candles(np.array(closes)))["ABC"].to_numpy(), expected)

"""The regime selector: each bar's market state from trailing data, and the strategy it delegates to."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantdesk.data.catalog import Catalog
from quantdesk.data.panel import load_panel, panel
from strategies.mean_reversion import MeanReversion
from strategies.regime_selector import RegimeSelector
from strategies.trend_following import TrendFollowing

NAN = np.nan
SMALL = {"fast": 5, "slow": 20, "regime_window": 40, "vol_window": 5, "vol_lookback": 10}  # warmup 40


def candles(log_price: np.ndarray) -> pd.DataFrame:
    index = pd.date_range("2024-01-01", periods=len(log_price), freq="D", tz="UTC", name="ts")
    c = np.exp(log_price)
    return panel({"ABC": pd.DataFrame({"open": c, "high": c, "low": c, "close": c, "volume": 1e6}, index=index)})


def trend_then_chop() -> pd.DataFrame:
    """Bars 0-79 rise 1% a bar; bars 80-159 flip up and down around the last level (amplitude ~1%)."""
    i = np.arange(160)
    rising = np.log(100) + 0.01 * i
    chop = np.log(100) + 0.79 + 0.01 * (-1.0) ** i * (1 + 0.3 * np.sin(i))
    return candles(np.where(i < 80, rising, chop))


def calm_then_crash() -> pd.DataFrame:
    """Bars 0-59 flip up and down with a shrinking amplitude (ever calmer); bar 60 falls 10%."""
    i = np.arange(61)
    log_price = np.log(100) + 0.02 * 0.98**i * (-1.0) ** i
    log_price[60] = log_price[59] - 0.10
    return candles(log_price)


@pytest.fixture(scope="module")
def msft(bundled_catalog: Catalog) -> pd.DataFrame:
    return load_panel(bundled_catalog, ["MSFT"], "1d", adjustment="adjusted")


def test_warmup_covers_every_piece() -> None:
    assert RegimeSelector(symbols=["ABC"], **SMALL).warmup == 40  # the Hurst window
    assert RegimeSelector().warmup == 272  # volatility: 20 returns ranked among 252 values
    assert RegimeSelector(slow=400).warmup == 400


def test_a_steady_rise_is_trending_and_a_chop_is_mean_reverting() -> None:
    regimes = RegimeSelector(turbulence=1.0, symbols=["ABC"], **SMALL).regimes(trend_then_chop())
    assert (regimes.iloc[:39] == "warmup").all()
    assert (regimes.iloc[39:80] == "trending").all()  # Hurst windows inside the rise
    assert (regimes.iloc[119:] == "mean_reverting").all()  # Hurst windows inside the chop
    assert set(regimes.iloc[80:119]) == {"trending", "neutral", "mean_reverting"}  # the windows straddling


def test_the_target_follows_trend_following_in_a_trend_and_mean_reversion_in_a_chop() -> None:
    bars = trend_then_chop()
    selector = RegimeSelector(turbulence=1.0, symbols=["ABC"], **SMALL)
    target = selector.target(bars)["ABC"]
    trend = TrendFollowing(fast=5, slow=20, symbols=["ABC"]).target(bars)["ABC"]
    reversion = MeanReversion(window=20, symbols=["ABC"]).target(bars)["ABC"]
    assert target.iloc[:39].isna().all()
    # in the rise: trend following is long, mean reversion (z about +1.65, below the entry) is flat
    assert (target.iloc[39:80] == 1.0).all()
    assert (reversion.iloc[39:80] == 0.0).all()
    # in the chop: trend following flips between long and flat bar by bar; mean reversion stays flat
    assert set(trend.iloc[119:]) == {0.0, 1.0}
    assert (target.iloc[119:] == 0.0).all()
    assert (reversion.iloc[119:] == 0.0).all()


def test_a_volatility_spike_is_turbulent_and_goes_flat() -> None:
    bars = calm_then_crash()
    selector = RegimeSelector(symbols=["ABC"], **SMALL)
    regimes = selector.regimes(bars)
    assert (regimes.iloc[39:60] == "mean_reverting").all()  # calmer every bar: volatility ranks lowest
    assert regimes.iloc[60] == "turbulent"  # the highest volatility of the last 10 bars: percentile 100
    reversion = MeanReversion(window=20, symbols=["ABC"]).target(bars)["ABC"]
    assert reversion.iloc[60] == 1.0  # mean reversion would buy the crash...
    assert selector.target(bars)["ABC"].iloc[60] == 0.0  # ...turbulence overrides: flat
    assert selector.active_strategy(bars).iloc[[38, 59, 60]].tolist() == ["hold", "mean_reversion", "flat"]


def test_neutral_bars_keep_the_position() -> None:
    bars = trend_then_chop()
    selector = RegimeSelector(turbulence=1.0, symbols=["ABC"], **SMALL)
    neutral = selector.regimes(bars) == "neutral"
    assert neutral.any()
    assert selector.target(bars)["ABC"][neutral].isna().all()
    assert (selector.active_strategy(bars)[neutral] == "hold").all()


def test_bundled_msft_shows_every_regime_with_the_defaults(msft: pd.DataFrame) -> None:
    counts = RegimeSelector().regimes(msft).value_counts()
    assert set(counts.index) == {"warmup", "trending", "mean_reverting", "turbulent", "neutral"}
    assert counts["warmup"] == 271
    assert min(counts["trending"], counts["mean_reverting"], counts["turbulent"]) > 100


def test_on_msft_the_target_is_the_delegates_target_on_bars_of_its_regime(msft: pd.DataFrame) -> None:
    selector = RegimeSelector()
    regimes = selector.regimes(msft)
    target = selector.target(msft)["MSFT"]
    trend = TrendFollowing(fast=10, slow=30, kind="sma").target(msft)["MSFT"]
    reversion = MeanReversion(window=20, entry=2.0, exit=0.5).target(msft)["MSFT"]
    for regime, expected in [("trending", trend), ("mean_reverting", reversion)]:
        on = regimes == regime
        pd.testing.assert_series_equal(target[on], expected[on], check_names=False)
    assert (target[regimes == "turbulent"] == 0.0).all()
    assert target[regimes.isin(["neutral", "warmup"])].isna().all()
    # the delegates disagree often enough that following the right one matters
    assert (trend[regimes == "mean_reverting"] != reversion[regimes == "mean_reverting"]).sum() > 100


def test_active_strategy_names_the_delegate_of_each_regime(msft: pd.DataFrame) -> None:
    selector = RegimeSelector()
    pairs = pd.crosstab(selector.regimes(msft), selector.active_strategy(msft))
    assert {(r, a) for r in pairs.index for a in pairs.columns if pairs.loc[r, a]} == {
        ("trending", "trend_following"),
        ("mean_reverting", "mean_reversion"),
        ("turbulent", "flat"),
        ("neutral", "hold"),
        ("warmup", "hold"),
    }

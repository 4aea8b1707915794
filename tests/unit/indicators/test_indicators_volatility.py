"""True range, Wilder's ATR and the volatility percentile against plain references and by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantdesk.indicators import IndicatorError, atr, true_range, volatility_percentile
from quantdesk.indicators.volatility import atr_nb, true_range_nb, volatility_percentile_nb

NAN = np.nan


def assert_close(got: np.ndarray, want: np.ndarray, rtol: float = 1e-9, atol: float = 0.0) -> None:
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def random_bars(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    open_ = np.concatenate([[100.0], close[:-1]]) * np.exp(rng.normal(0, 0.004, n))  # gaps at the open
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.005, n)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.005, n)))
    index = pd.date_range("2024-01-02", periods=n, freq="D", tz="UTC", name="ts")
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close}, index=index)


def ref_atr(high: np.ndarray, low: np.ndarray, close: np.ndarray, window: int) -> np.ndarray:
    out = np.full(len(close), NAN)
    trs: list[float] = []
    value = NAN
    for t in range(len(close)):
        if t == 0:
            tr = high[t] - low[t]
        else:
            tr = max(high[t] - low[t], abs(high[t] - close[t - 1]), abs(low[t] - close[t - 1]))
        trs.append(tr)
        if len(trs) == window:
            value = sum(trs) / window
        elif len(trs) > window:
            value = (value * (window - 1) + tr) / window
        out[t] = value
    return out


def test_true_range_and_atr_by_hand() -> None:
    high, low, close = np.array([10.0, 12, 11, 10]), np.array([8.0, 9, 7, 9]), np.array([9.0, 11, 8, 9.5])
    # TR: first bar high - low = 2; max(3, |12 - 9|, |9 - 9|) = 3; max(4, |11 - 11|, |7 - 11|) = 4;
    # the last bar gaps: max(1, |10 - 8|, |9 - 8|) = 2
    assert_close(true_range_nb(high, low, close), [2.0, 3.0, 4.0, 2.0], rtol=0)
    # ATR(2): seed (2 + 3) / 2 = 2.5, then (2.5 + 4) / 2 = 3.25, then (3.25 + 2) / 2 = 2.625
    assert_close(atr_nb(high, low, close, 2), [NAN, 2.5, 3.25, 2.625], rtol=0)
    assert_close(atr_nb(high, low, close, 1), [2.0, 3.0, 4.0, 2.0], rtol=0)


@pytest.mark.parametrize("window", [1, 5, 14, 50])
def test_atr_matches_a_plain_loop_on_random_bars(window: int) -> None:
    bars = random_bars(3_000, seed=window)
    h, lo, c = (bars[k].to_numpy() for k in ("high", "low", "close"))
    assert_close(atr_nb(h, lo, c, window), ref_atr(h, lo, c, window))


def test_atr_matches_pandas_wilder_smoothing_of_the_true_range() -> None:
    bars, window = random_bars(5_000, seed=11), 14
    prev = bars["close"].shift()
    tr = pd.concat([bars["high"] - bars["low"], (bars["high"] - prev).abs(), (bars["low"] - prev).abs()], axis=1)
    tr = tr.max(axis=1)  # skips the NaN previous close of the first bar, leaving high - low
    seeded = pd.concat([pd.Series([tr.iloc[:window].mean()]), tr.iloc[window:].reset_index(drop=True)])
    want = np.concatenate([np.full(window - 1, NAN), seeded.ewm(alpha=1 / window, adjust=False).mean()])
    got = atr(bars["high"], bars["low"], bars["close"], window)
    assert_close(got, want)
    assert_close(true_range(bars["high"], bars["low"], bars["close"]), tr)


def test_bars_with_a_missing_price_are_skipped_as_if_dropped() -> None:
    bars = random_bars(200, seed=3)
    bars.iloc[[0, 17, 18, 120], [1, 2, 3, 1]] = NAN
    bars.iloc[60, 3] = np.inf
    got = atr(bars["high"], bars["low"], bars["close"], 10)
    kept = bars[np.isfinite(bars[["high", "low", "close"]]).all(axis=1)]
    want = atr(kept["high"], kept["low"], kept["close"], 10).reindex(bars.index)
    pd.testing.assert_series_equal(got, want)
    assert got.isna().sum() == 5 + 9


def test_atr_value_at_t_does_not_change_when_later_bars_change() -> None:
    bars = random_bars(300, seed=4)
    h, lo, c = (bars[k].to_numpy() for k in ("high", "low", "close"))
    full = atr_nb(h, lo, c, 14)
    for t in (0, 13, 14, 150, 298):
        h2, lo2, c2 = h.copy(), lo.copy(), c.copy()
        h2[t + 1 :] += 50
        c2[t + 1 :] -= 50
        np.testing.assert_array_equal(atr_nb(h2, lo2, c2, 14)[: t + 1], full[: t + 1])


def test_atr_series_in_series_out_and_dataframes_column_by_column() -> None:
    a, b = random_bars(150, seed=5), random_bars(150, seed=6)
    got = atr(a["high"], a["low"], a["close"], 14)
    assert isinstance(got, pd.Series)
    assert got.index.equals(a.index)
    wide = {k: pd.DataFrame({"AAA": a[k], "BBB": b[k]}) for k in ("high", "low", "close")}
    frame = atr(wide["high"], wide["low"], wide["close"], 14)
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["AAA", "BBB"]
    assert_close(frame["AAA"], got, rtol=0)
    assert_close(frame["BBB"], atr(b["high"], b["low"], b["close"], 14), rtol=0)


def test_inputs_must_share_their_kind_and_index() -> None:
    bars = random_bars(20, seed=7)
    with pytest.raises(IndicatorError, match="low and high must have the same index"):
        atr(bars["high"], bars["low"].iloc[1:], bars["close"])
    with pytest.raises(IndicatorError, match="close is a ndarray but high is a Series"):
        atr(bars["high"], bars["low"], bars["close"].to_numpy())  # type: ignore[type-var]


@pytest.mark.parametrize("window", [0, 1.5, None])
def test_atr_refuses_a_bad_window(window: object) -> None:
    bars = random_bars(20, seed=7)
    with pytest.raises(IndicatorError, match="window must be an integer >= 1"):
        atr(bars["high"], bars["low"], bars["close"], window)  # type: ignore[arg-type]


# --- volatility percentile --------------------------------------------------------------------------------


def test_volatility_percentile_matches_pandas_rolling_rank() -> None:
    close = random_bars(3_000, seed=8)["close"]
    close.iloc[1_000] = NAN
    window, lookback = 20, 100
    vol = np.log(close).diff().rolling(window).std()
    want = vol.rolling(lookback).rank(method="max", pct=True) * 100
    got = volatility_percentile(close, window, lookback)
    assert got.index.equals(close.index)
    assert_close(got, want)
    assert got.isna().sum() == window + lookback - 1 + window + lookback


def test_volatility_percentile_of_a_dataframe_is_column_by_column() -> None:
    frame = pd.DataFrame({"AAA": random_bars(400, seed=1)["close"], "BBB": random_bars(400, seed=2)["close"]})
    got = volatility_percentile(frame, 10, 50)
    assert isinstance(got, pd.DataFrame)
    assert got.index.equals(frame.index)
    for name in frame:
        pd.testing.assert_series_equal(got[name], volatility_percentile(frame[name], 10, 50))


def test_volatility_percentile_by_hand() -> None:
    # returns grow ever wilder, so each volatility is the highest so far (100) ...
    swings = np.cumsum(np.arange(1, 30) * np.where(np.arange(1, 30) % 2 == 0, 1.0, -1.0) * 0.001)
    close = np.exp(np.concatenate([[0.0], swings]))
    got = volatility_percentile_nb(close, 3, 4)
    assert np.isnan(got[:6]).all()
    assert (got[6:] == 100.0).all()
    # ... and when they calm down, each is the lowest of the last 4 (25)
    assert (volatility_percentile_nb(close[::-1].copy(), 3, 4)[6:] == 25.0).all()


def test_a_non_positive_close_blanks_the_windows_that_need_it() -> None:
    close = random_bars(200, seed=9)["close"].to_numpy().copy()
    close[100] = 0.0
    got = volatility_percentile_nb(close, 5, 10)
    assert np.isnan(got[100 : 100 + 5 + 10]).all()
    assert np.isfinite(got[115:]).all()
    assert np.isfinite(got[14:100]).all()


def test_volatility_percentile_refuses_bad_windows() -> None:
    close = pd.Series([1.0, 2.0, 3.0])
    with pytest.raises(IndicatorError, match="window must be an integer >= 2, got 1"):
        volatility_percentile(close, 1, 10)
    with pytest.raises(IndicatorError, match="lookback must be an integer >= 1, got 0"):
        volatility_percentile(close, 5, 0)

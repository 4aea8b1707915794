"""Wilder's RSI against a plain loop and pandas, by hand, at the edges, and with missing prices."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from quantdesk.indicators import IndicatorError, rsi
from quantdesk.indicators.oscillators import rsi_nb

NAN = np.nan


def assert_close(got: np.ndarray, want: np.ndarray, rtol: float = 1e-9, atol: float = 0.0) -> None:
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def ref_rsi(prices: np.ndarray, window: int) -> np.ndarray:
    """The textbook recipe on the valid prices: RS = avg gain / avg loss, RSI = 100 - 100 / (1 + RS)."""
    out = np.full(len(prices), NAN)
    valid = [i for i, p in enumerate(prices) if np.isfinite(p)]
    gains, losses = [], []
    avg_gain = avg_loss = 0.0
    for k in range(1, len(valid)):
        change = prices[valid[k]] - prices[valid[k - 1]]
        gains.append(max(change, 0.0))
        losses.append(max(-change, 0.0))
        if len(gains) < window:
            continue
        if len(gains) == window:
            avg_gain, avg_loss = sum(gains) / window, sum(losses) / window
        else:
            avg_gain = (avg_gain * (window - 1) + gains[-1]) / window
            avg_loss = (avg_loss * (window - 1) + losses[-1]) / window
        if avg_loss == 0.0:
            value = 50.0 if avg_gain == 0.0 else 100.0
        else:
            value = 100.0 - 100.0 / (1.0 + avg_gain / avg_loss)
        out[valid[k]] = value
    return out


def test_rsi_by_hand_window_2() -> None:
    # changes +1, +1, -1: seed gains (1+1)/2 = 1, losses 0 -> 100; then gain (1+0)/2, loss (0+1)/2 -> 50
    assert_close(rsi_nb(np.array([1.0, 2.0, 3.0, 2.0]), 2), [NAN, NAN, 100.0, 50.0], rtol=0)


def test_rsi_is_100_for_only_gains_0_for_only_losses_and_50_when_flat() -> None:
    assert_close(rsi_nb(np.arange(10.0), 3)[3:], np.full(7, 100.0), rtol=0)
    assert_close(rsi_nb(np.arange(10.0)[::-1].copy(), 3)[3:], np.full(7, 0.0), rtol=0)
    assert_close(rsi_nb(np.full(10, 42.0), 3)[3:], np.full(7, 50.0), rtol=0)


def test_first_window_values_are_nan() -> None:
    got = rsi_nb(100 + np.cumsum(np.random.default_rng(0).normal(size=50)), 14)
    assert np.isnan(got[:14]).all()
    assert np.isfinite(got[14:]).all()
    assert ((got[14:] >= 0) & (got[14:] <= 100)).all()


@pytest.mark.parametrize("window", [1, 2, 14, 30])
def test_rsi_matches_the_textbook_loop_on_random_prices(window: int) -> None:
    prices = 100 + np.cumsum(np.random.default_rng(window).normal(size=3_000))
    assert_close(rsi_nb(prices, window), ref_rsi(prices, window))


def test_rsi_matches_pandas_wilder_smoothing_from_the_sma_seed() -> None:
    window = 14
    close = pd.Series(100 + np.cumsum(np.random.default_rng(4).normal(size=5_000)))
    change = close.diff()

    def wilder(v: pd.Series) -> pd.Series:
        seeded = pd.concat([pd.Series([v.iloc[1 : window + 1].mean()]), v.iloc[window + 1 :]])
        return seeded.ewm(alpha=1 / window, adjust=False).mean()

    gain, loss = wilder(change.clip(lower=0)), wilder(-change.clip(upper=0))
    want = np.concatenate([np.full(window, NAN), (100 - 100 / (1 + gain / loss)).to_numpy()])
    assert_close(rsi_nb(close.to_numpy(), window), want)


prices_with_gaps = arrays(
    np.float64,
    st.integers(0, 50),
    elements=st.one_of(st.floats(1.0, 1e3), st.integers(1, 5).map(float), st.just(NAN)),
)


@settings(max_examples=150, deadline=None)
@given(prices=prices_with_gaps, window=st.integers(1, 8))
def test_rsi_matches_the_loop_with_repeats_and_missing_prices(prices: np.ndarray, window: int) -> None:
    assert_close(rsi_nb(prices, window), ref_rsi(prices, window), atol=1e-9)


def test_missing_prices_are_skipped_as_if_dropped() -> None:
    index = pd.date_range("2024-01-01", periods=300, freq="h", tz="UTC", name="ts")
    close = pd.Series(100 + np.cumsum(np.random.default_rng(6).normal(size=300)), index=index)
    close.iloc[[0, 3, 40, 41, 42, 299]] = NAN
    close.iloc[100] = np.inf
    got = rsi(close, 14)
    assert got.isna().sum() == 7 + 14
    pd.testing.assert_series_equal(got, rsi(close[np.isfinite(close)], 14).reindex(index))


def test_value_at_t_does_not_change_when_later_prices_change() -> None:
    prices = 100 + np.cumsum(np.random.default_rng(7).normal(size=400))
    full = rsi_nb(prices, 14)
    for t in (13, 14, 15, 200, 398):
        altered = prices.copy()
        altered[t + 1 :] *= 3.0
        np.testing.assert_array_equal(rsi_nb(altered, 14)[: t + 1], full[: t + 1])


def test_series_dataframe_and_2d_kernel_agree_column_by_column() -> None:
    index = pd.date_range("2024-01-02", periods=120, tz="UTC", name="ts")
    rng = np.random.default_rng(8)
    frame = pd.DataFrame(100 + np.cumsum(rng.normal(size=(120, 3)), axis=0), index=index, columns=list("ABC"))
    got = rsi(frame, 9)
    assert isinstance(got, pd.DataFrame)
    assert got.index.equals(index)
    assert list(got.columns) == list("ABC")
    for name in frame:
        series = rsi(frame[name], 9)
        assert series.name == name
        assert series.index.equals(index)
        pd.testing.assert_series_equal(got[name], series)


@pytest.mark.parametrize("window", [0, -1, 14.0, False, "14"])
def test_bad_window_is_refused(window: object) -> None:
    with pytest.raises(IndicatorError, match="window must be an integer >= 1"):
        rsi(pd.Series([1.0, 2.0, 3.0]), window)  # type: ignore[arg-type]
    if isinstance(window, int):
        with pytest.raises(IndicatorError, match="window must be >= 1"):
            rsi_nb(np.ones(3), window)

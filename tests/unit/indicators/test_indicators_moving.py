"""SMA, EMA, rolling std, z-score and Bollinger bands against plain references, by hand and at scale."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.lib.stride_tricks import sliding_window_view

from quantdesk.indicators import IndicatorError, bollinger, ema, rolling_std, sma, zscore
from quantdesk.indicators.moving import ema_nb, rolling_mean_std_nb, rolling_std_nb, sma_nb, zscore_nb

NAN = np.nan


def assert_close(got: np.ndarray, want: np.ndarray, rtol: float = 1e-9, atol: float = 0.0) -> None:
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def ref_sma(x: np.ndarray, window: int) -> np.ndarray:
    out = np.full(len(x), NAN)
    for i in range(window - 1, len(x)):
        chunk = x[i - window + 1 : i + 1]
        if np.isfinite(chunk).all():
            out[i] = sum(chunk) / window
    return out


def ref_std(x: np.ndarray, window: int) -> np.ndarray:
    out = np.full(len(x), NAN)
    for i in range(window - 1, len(x)):
        chunk = x[i - window + 1 : i + 1]
        if np.isfinite(chunk).all():
            mean = sum(chunk) / window
            out[i] = (sum((v - mean) ** 2 for v in chunk) / (window - 1)) ** 0.5
    return out


def ref_ema(x: np.ndarray, window: int) -> np.ndarray:
    alpha = 2.0 / (window + 1)
    out = np.full(len(x), NAN)
    seen: list[float] = []
    value = NAN
    for i, v in enumerate(x):
        if not np.isfinite(v):
            continue
        if len(seen) < window:
            seen.append(v)
            if len(seen) == window:
                value = sum(seen) / window
                out[i] = value
        else:
            value = alpha * v + (1 - alpha) * value
            out[i] = value
    return out


def random_walk(n: int, seed: int, level: float = 100.0) -> np.ndarray:
    return level + np.cumsum(np.random.default_rng(seed).normal(size=n))


# --- small exact examples -------------------------------------------------------------------------------


def test_sma_of_1_2_3_4_over_3_is_nan_nan_2_3() -> None:
    assert_close(sma_nb(np.array([1.0, 2.0, 3.0, 4.0]), 3), [NAN, NAN, 2.0, 3.0], rtol=0)


def test_ema_is_seeded_with_the_first_sma_then_alpha_2_over_window_plus_1() -> None:
    # window 3: seed (1+2+3)/3 = 2, alpha 0.5: 2 + 0.5 * (4 - 2) = 3, 3 + 0.5 * (5 - 3) = 4, 4 + 0.5 * (0 - 4)
    got = ema_nb(np.array([1.0, 2.0, 3.0, 4.0, 5.0, 0.0]), 3)
    assert_close(got, [NAN, NAN, 2.0, 3.0, 4.0, 2.0], rtol=0)


def test_ema_with_window_1_is_the_series_itself() -> None:
    x = np.array([3.0, -1.0, 7.5])
    assert_close(ema_nb(x, 1), x, rtol=0)


def test_rolling_std_is_the_sample_std_ddof_1() -> None:
    x = np.array([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0])  # sum of squared deviations from 5 is 32
    got = rolling_std_nb(x, 8)
    assert np.isnan(got[:7]).all()
    assert got[7] == pytest.approx((32 / 7) ** 0.5, rel=1e-15)
    assert_close(rolling_std_nb(np.array([1.0, 2.0, 4.0]), 2), [NAN, 0.5**0.5, 2**0.5], rtol=1e-15)


def test_zscore_is_deviation_from_the_mean_in_sample_stds() -> None:
    # window [1, 2, 3]: mean 2, std 1 -> z(3) = 1; window [2, 3, 7]: mean 4, std sqrt(7) -> z(7) = 3 / sqrt(7)
    got = zscore_nb(np.array([1.0, 2.0, 3.0, 7.0]), 3)
    assert_close(got, [NAN, NAN, 1.0, 3 / 7**0.5], rtol=1e-15)


def test_flat_window_has_exact_mean_zero_std_and_nan_zscore_not_inf() -> None:
    x = np.array([0.1, 0.1, 0.1, 0.1, 0.7, 0.1, 0.1, 0.1])
    assert_close(sma_nb(x, 3)[2:4], [0.1, 0.1], rtol=0)
    mean, std = rolling_mean_std_nb(x, 3)
    assert (mean[2:4] == 0.1).all()
    assert (std[2:4] == 0.0).all()
    assert std[4] > 0
    assert std[7] == 0.0
    z = zscore_nb(x, 3)
    assert np.isnan(z[[2, 3, 7]]).all()
    assert np.isfinite(z[4:7]).all()


def test_bollinger_bands_are_sma_plus_minus_k_sample_stds() -> None:
    x = pd.Series([1.0, 2.0, 3.0, 5.0])
    bands = bollinger(x, window=3, k=2.0)
    assert list(bands.columns) == ["middle", "upper", "lower"]
    assert bands.index.equals(x.index)
    assert_close(bands["middle"], [NAN, NAN, 2.0, 10 / 3], rtol=1e-15)
    assert_close(bands["upper"], [NAN, NAN, 4.0, 10 / 3 + 2 * (7 / 3) ** 0.5], rtol=1e-15)
    assert_close(bands["lower"], [NAN, NAN, 0.0, 10 / 3 - 2 * (7 / 3) ** 0.5], rtol=1e-15, atol=1e-15)


def test_window_longer_than_the_data_gives_all_nan() -> None:
    x = np.arange(5.0)
    for kernel in (sma_nb, ema_nb, rolling_std_nb, zscore_nb):
        assert np.isnan(kernel(x, 6)).all()
    assert sma_nb(np.array([]), 3).shape == (0,)


# --- against independent references on random data -----------------------------------------------------


@pytest.mark.parametrize("window", [1, 2, 3, 10, 57])
def test_sma_and_ema_match_plain_loops_on_random_data(window: int) -> None:
    x = random_walk(600, seed=window)
    assert_close(sma_nb(x, window), ref_sma(x, window))
    assert_close(ema_nb(x, window), ref_ema(x, window))


@pytest.mark.parametrize("window", [2, 3, 10, 57])
def test_rolling_std_and_zscore_match_plain_loops_and_pandas_on_random_data(window: int) -> None:
    x = random_walk(600, seed=window)
    want_std = ref_std(x, window)
    assert_close(rolling_std_nb(x, window), want_std)
    assert_close(zscore_nb(x, window), (x - ref_sma(x, window)) / want_std, atol=1e-12)
    # pandas' own sliding variance drifts by ~1e-9 relative on such data (ours does not), hence 1e-7 here
    assert_close(rolling_std_nb(x, window), pd.Series(x).rolling(window).std().to_numpy(), rtol=1e-7)


def test_ema_matches_pandas_ewm_started_from_the_sma_seed() -> None:
    x = random_walk(2_000, seed=5)
    window = 20
    seeded = pd.Series(np.concatenate([[x[:window].mean()], x[window:]]))
    want = np.concatenate([np.full(window - 1, NAN), seeded.ewm(span=window, adjust=False).mean()])
    assert_close(ema_nb(x, window), want)


finite_or_missing = st.one_of(st.floats(min_value=-1e3, max_value=1e3, allow_nan=False), st.just(NAN), st.just(np.inf))


@settings(max_examples=150, deadline=None)
@given(x=arrays(np.float64, st.integers(0, 60), elements=finite_or_missing), window=st.integers(1, 12))
def test_moving_kernels_match_plain_loops_with_missing_values(x: np.ndarray, window: int) -> None:
    scale = max(1.0, float(np.nanmax(np.abs(np.where(np.isinf(x), NAN, x)), initial=0.0)))
    assert_close(sma_nb(x, window), ref_sma(x, window), atol=1e-9 * scale)
    assert_close(ema_nb(x, window), ref_ema(x, window), atol=1e-9 * scale)
    if window >= 2:
        # a running variance carries an absolute error of a few eps × scale² (a large value that just left
        # the window), so a near-constant window's standard deviation is good to ~sqrt(eps) × scale: e.g.
        # [1.0, 3e-106, 0, 0, 0, 0] then [3e-106, 0, 0, 0, 0] gives 7.5e-9 where 1.5e-106 is exact
        assert_close(rolling_std_nb(x, window), ref_std(x, window), atol=1e-7 * scale)


def test_a_million_prices_match_a_two_pass_reference_to_1e_9() -> None:
    x = random_walk(1_000_000, seed=42, level=1e4)
    window = 30
    views = sliding_window_view(x, window)
    want_mean = np.concatenate([np.full(window - 1, NAN), views.mean(axis=1)])
    want_std = np.full(len(x), NAN)
    for start in range(0, len(views), 250_000):  # chunks keep the temporary arrays small
        chunk = views[start : start + 250_000]
        want_std[window - 1 + start : window - 1 + start + len(chunk)] = chunk.std(axis=1, ddof=1)
    assert_close(sma_nb(x, window), want_mean)
    assert_close(rolling_std_nb(x, window), want_std)
    z = zscore_nb(x, window)
    assert_close(z, (x - want_mean) / want_std, atol=1e-9)
    seeded = pd.Series(np.concatenate([[x[:window].mean()], x[window:]]))
    want_ema = np.concatenate([np.full(window - 1, NAN), seeded.ewm(span=window, adjust=False).mean()])
    assert_close(ema_nb(x, window), want_ema)


def test_kernels_take_about_a_millisecond_per_million_values_when_warm() -> None:
    x = random_walk(1_000_000, seed=1)
    for kernel in (sma_nb, ema_nb, rolling_std_nb, zscore_nb):
        kernel(x[:100], 20)  # compile or load from the cache
        best = min(_timed(kernel, x, 20) for _ in range(3))
        assert best < 0.05, f"{kernel.__name__}: {best * 1e3:.1f} ms"


def _timed(kernel: object, x: np.ndarray, window: int) -> float:
    start = time.perf_counter()
    kernel(x, window)  # type: ignore[operator]
    return time.perf_counter() - start


# --- 2-D, causality, missing values ---------------------------------------------------------------------


@pytest.mark.parametrize("kernel", [sma_nb, ema_nb, rolling_std_nb, zscore_nb])
@pytest.mark.parametrize("order", ["C", "F"])
def test_2d_kernels_work_column_by_column(kernel: object, order: str) -> None:
    data = np.asarray(np.stack([random_walk(300, seed=s) for s in range(4)], axis=1), order=order)
    data[50, 1] = NAN
    got = kernel(data, 7)  # type: ignore[operator]
    assert got.shape == data.shape
    for j in range(4):
        assert_close(got[:, j], kernel(np.ascontiguousarray(data[:, j]), 7), rtol=0)  # type: ignore[operator]


@pytest.mark.parametrize("kernel", [sma_nb, ema_nb, rolling_std_nb, zscore_nb])
def test_value_at_t_does_not_change_when_later_data_changes(kernel: object) -> None:
    x = random_walk(500, seed=3)
    full = kernel(x, 25)  # type: ignore[operator]
    for t in (0, 24, 25, 137, 498):
        altered = x.copy()
        altered[t + 1 :] = np.random.default_rng(t).normal(size=len(x) - t - 1) * 1e6
        np.testing.assert_array_equal(kernel(altered, 25)[: t + 1], full[: t + 1])  # type: ignore[operator]
        np.testing.assert_array_equal(kernel(x[: t + 1], 25), full[: t + 1])  # type: ignore[operator]


@pytest.mark.parametrize("kernel", [sma_nb, rolling_std_nb, zscore_nb])
def test_a_missing_value_blanks_exactly_the_windows_that_contain_it(kernel: object) -> None:
    x = random_walk(100, seed=8)
    x[40] = NAN
    x[70] = np.inf
    got = kernel(x, 5)  # type: ignore[operator]
    blank = np.zeros(100, dtype=bool)
    blank[:4] = blank[40:45] = blank[70:75] = True
    np.testing.assert_array_equal(np.isnan(got), blank)


def test_ema_skips_missing_values_as_if_they_were_dropped() -> None:
    x = pd.Series(random_walk(200, seed=9), index=pd.date_range("2024-01-01", periods=200, tz="UTC"))
    x.iloc[[0, 1, 5, 30, 31, 150]] = NAN
    got = ema(x, 10)
    want = ema(x.dropna(), 10).reindex(x.index)
    pd.testing.assert_series_equal(got, want)
    assert got.notna().sum() == 200 - 6 - 9


# --- wrappers -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("func", [sma, ema, rolling_std, zscore])
def test_series_in_series_out_with_the_same_index_and_name(func: object) -> None:
    index = pd.date_range("2024-01-02", periods=50, freq="1min", tz="UTC", name="ts")
    x = pd.Series(random_walk(50, seed=2), index=index, name="close")
    got = func(x, 5)  # type: ignore[operator]
    assert isinstance(got, pd.Series)
    assert got.index.equals(index)
    assert got.name == "close"
    assert got.dtype == np.float64


@pytest.mark.parametrize("func", [sma, ema, rolling_std, zscore])
def test_dataframe_is_computed_column_by_column(func: object) -> None:
    index = pd.date_range("2024-01-02", periods=80, tz="UTC", name="ts")
    frame = pd.DataFrame({"SPY": random_walk(80, 1), "QQQ": random_walk(80, 2)}, index=index)
    frame.iloc[:10, 1] = NAN  # a symbol listed later
    got = func(frame, 6)  # type: ignore[operator]
    assert isinstance(got, pd.DataFrame)
    assert got.index.equals(index)
    assert list(got.columns) == ["SPY", "QQQ"]
    for name in frame:
        pd.testing.assert_series_equal(got[name], func(frame[name], 6))  # type: ignore[operator]


def test_numpy_array_in_numpy_array_out_and_integers_accepted() -> None:
    got = sma(np.array([1, 2, 3, 4]), 2)
    assert isinstance(got, np.ndarray)
    assert_close(got, [NAN, 1.5, 2.5, 3.5], rtol=0)
    assert_close(sma(pd.Series([1, 2, 3]), np.int64(3)), [NAN, NAN, 2.0], rtol=0)


@pytest.mark.parametrize("window", [0, -3, 2.0, 2.5, True, "3", None])
@pytest.mark.parametrize("func", [sma, ema, rolling_std, zscore])
def test_bad_window_is_refused_with_a_clear_message(func: object, window: object) -> None:
    with pytest.raises(IndicatorError, match="window must be an integer >= "):
        func(pd.Series([1.0, 2.0, 3.0]), window)  # type: ignore[operator]


@pytest.mark.parametrize("func", [rolling_std, zscore, bollinger])
def test_sample_std_needs_a_window_of_at_least_2(func: object) -> None:
    with pytest.raises(IndicatorError, match="window must be an integer >= 2, got 1"):
        func(pd.Series([1.0, 2.0, 3.0]), 1)  # type: ignore[operator]


def test_kernels_refuse_bad_windows_too() -> None:
    with pytest.raises(IndicatorError, match="window must be >= 1"):
        sma_nb(np.ones(3), 0)
    with pytest.raises(IndicatorError, match="window must be >= 2"):
        zscore_nb(np.ones(3), 1)


def test_bollinger_refuses_a_dataframe_and_a_bad_k() -> None:
    with pytest.raises(IndicatorError, match="must be a pandas Series"):
        bollinger(pd.DataFrame({"a": [1.0, 2.0]}), 2)  # type: ignore[arg-type]
    with pytest.raises(IndicatorError, match="k must be a finite number >= 0"):
        bollinger(pd.Series([1.0, 2.0]), 2, k=-1.0)


def test_text_input_is_refused() -> None:
    with pytest.raises(IndicatorError, match="x must hold numbers"):
        sma(pd.Series(["a", "b"]), 1)
    with pytest.raises(IndicatorError, match="x must be a pandas Series, a DataFrame or a numpy array"):
        sma([1.0, 2.0], 1)  # type: ignore[type-var]

"""Rolling Hurst exponent and Lo–MacKinlay variance ratio: references, known regimes, edges."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantdesk.indicators import IndicatorError, hurst, variance_ratio
from quantdesk.indicators.regime import hurst_nb, variance_ratio_nb

NAN = np.nan


def assert_close(got: np.ndarray, want: np.ndarray, rtol: float = 1e-9, atol: float = 0.0) -> None:
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def ref_hurst(x: np.ndarray, window: int, max_lag: int) -> np.ndarray:
    lags = np.arange(1, max_lag + 1)
    out = np.full(len(x), NAN)
    for t in range(window - 1, len(x)):
        w = x[t - window + 1 : t + 1]
        if not np.isfinite(w).all() or np.ptp(w) == 0:
            continue
        m = [np.mean((w[lag:] - w[:-lag]) ** 2) for lag in lags]
        out[t] = np.polyfit(np.log(lags), np.log(m), 1)[0] / 2
    return out


def ref_variance_ratio(x: np.ndarray, window: int, q: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lo and MacKinlay (1988), equations (12)-(14) and (18)-(20), with nq = window - 1."""
    vr, z, zr = (np.full(len(x), NAN) for _ in range(3))
    nq = window - 1
    for t in range(window - 1, len(x)):
        p = x[t - window + 1 : t + 1]
        if not np.isfinite(p).all():
            continue
        mu = (p[-1] - p[0]) / nq
        e = np.diff(p) - mu
        var_a = np.sum(e**2) / (nq - 1)
        m = q * (nq - q + 1) * (1 - q / nq)
        var_c = np.sum((p[q:] - p[:-q] - q * mu) ** 2) / m
        ratio = var_c / var_a
        delta = [nq * np.sum(e[j:] ** 2 * e[:-j] ** 2) / np.sum(e**2) ** 2 for j in range(1, q)]
        theta = sum((2 * (q - j) / q) ** 2 * delta[j - 1] for j in range(1, q))
        vr[t] = ratio
        z[t] = np.sqrt(nq) * (ratio - 1) / np.sqrt(2 * (2 * q - 1) * (q - 1) / (3 * q))
        zr[t] = np.sqrt(nq) * (ratio - 1) / np.sqrt(theta)
    return vr, z, zr


def random_walk(n: int, seed: int) -> np.ndarray:
    return np.cumsum(np.random.default_rng(seed).normal(size=n))


def ar1(n: int, phi: float, seed: int) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(size=n)
    out = np.empty(n)
    out[0] = noise[0]
    for t in range(1, n):
        out[t] = phi * out[t - 1] + noise[t]
    return out


# --- Hurst ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("window", "max_lag"), [(4, 2), (50, 10), (200, 20)])
def test_hurst_matches_a_per_window_log_log_fit(window: int, max_lag: int) -> None:
    x = random_walk(1_200, seed=window) + 1e3
    assert_close(hurst_nb(x, window, max_lag), ref_hurst(x, window, max_lag))


def test_hurst_of_a_random_walk_is_about_one_half() -> None:
    h = hurst_nb(random_walk(20_000, seed=1), 1_000, 20)
    assert 0.45 < np.nanmedian(h) < 0.55
    assert np.nanmin(h) > 0.35
    assert np.nanmax(h) < 0.65


def test_hurst_of_mean_reverting_series_is_below_one_half() -> None:
    stationary = ar1(10_000, phi=-0.5, seed=2)
    assert np.nanmax(hurst_nb(stationary, 500, 20)) < 0.2
    signs = np.where(np.arange(10_000) % 2 == 0, 1.0, -1.0)
    alternating = signs + np.random.default_rng(3).normal(0, 0.3, 10_000)
    assert np.nanmax(hurst_nb(alternating, 500, 20)) < 0.2
    anti_persistent = hurst_nb(np.cumsum(ar1(10_000, phi=-0.5, seed=4)), 500, 20)
    assert np.nanmax(anti_persistent) < 0.5
    assert np.nanmedian(anti_persistent) < 0.4


def test_hurst_of_trending_series_is_above_one_half() -> None:
    persistent_walk = np.cumsum(ar1(10_000, phi=0.7, seed=5))
    assert np.nanmin(hurst_nb(persistent_walk, 500, 20)) > 0.6
    drifting = np.cumsum(0.5 + np.random.default_rng(6).normal(size=10_000))
    assert np.nanmin(hurst_nb(drifting, 500, 20)) > 0.7
    assert np.nanmin(hurst_nb(np.arange(1_000.0), 100, 20)) == pytest.approx(1.0, abs=1e-9)


def test_hurst_nan_until_the_window_is_full_and_where_it_is_missing_or_flat() -> None:
    x = random_walk(300, seed=7)
    x[100] = NAN
    x[200:260] = 3.0
    h = hurst_nb(x, 40, 5)
    blank = np.zeros(300, dtype=bool)
    blank[:39] = blank[100:140] = blank[239:260] = True
    np.testing.assert_array_equal(np.isnan(h), blank)


def test_hurst_value_at_t_does_not_change_when_later_data_changes() -> None:
    x = random_walk(600, seed=8)
    full = hurst_nb(x, 100, 10)
    for t in (99, 100, 199, 598):
        altered = x.copy()
        altered[t + 1 :] = 0.0
        np.testing.assert_array_equal(hurst_nb(altered, 100, 10)[: t + 1], full[: t + 1])


def test_hurst_wrapper_keeps_series_and_dataframe_shape() -> None:
    index = pd.date_range("2024-01-02", periods=300, tz="UTC", name="ts")
    frame = pd.DataFrame({"A": random_walk(300, 9), "B": ar1(300, -0.5, 10)}, index=index)
    got = hurst(frame, 100, 10)
    assert isinstance(got, pd.DataFrame)
    assert got.index.equals(index)
    for name in frame:
        series = hurst(frame[name], 100, 10)
        assert series.name == name
        pd.testing.assert_series_equal(got[name], series)


def test_hurst_refuses_bad_lags_and_windows() -> None:
    x = pd.Series(random_walk(50, 11))
    with pytest.raises(IndicatorError, match="max_lag must be an integer >= 2, got 1"):
        hurst(x, 30, 1)
    with pytest.raises(IndicatorError, match=r"window must be an integer >= 40, got 30 \(.*max_lag being 20"):
        hurst(x, 30, 20)
    with pytest.raises(IndicatorError, match="window must be >= 2 \\* max_lag"):
        hurst_nb(x.to_numpy(), 30, 20)


# --- variance ratio -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("window", "q"), [(5, 2), (60, 4), (250, 10)])
def test_variance_ratio_matches_lo_mackinlay_formulas(window: int, q: int) -> None:
    x = np.log(100) + random_walk(800, seed=q) * 0.01
    for got, want in zip(variance_ratio_nb(x, window, q), ref_variance_ratio(x, window, q), strict=True):
        assert_close(got, want, atol=1e-12)


def test_variance_ratio_by_hand() -> None:
    # changes 1, -1, 1, -1 (mean 0): sigma_a^2 = 4 / 3; 2-step changes are all 0, so VR(2) = 0, and
    # z = (0 - 1) / sqrt(2 (2q - 1)(q - 1) / (3 q nq)) with q = 2, nq = 4
    vr, z, _ = variance_ratio_nb(np.array([0.0, 1.0, 0.0, 1.0, 0.0]), 5, 2)
    assert vr[4] == 0.0
    assert z[4] == pytest.approx(-1 / np.sqrt(2 * 3 * 1 / (3 * 2 * 4)), rel=1e-12)


def test_variance_ratio_tells_random_walks_momentum_and_mean_reversion_apart() -> None:
    window, q = 500, 5
    walk = variance_ratio(pd.Series(random_walk(5_000, seed=12)), window, q).dropna()
    assert 0.9 < walk["vr"].median() < 1.1
    assert walk["z"].abs().median() < 1.5
    reverting = variance_ratio(pd.Series(np.cumsum(ar1(5_000, -0.5, 13))), window, q).dropna()
    assert (reverting["vr"] < 0.6).all()
    assert (reverting["z_robust"] < -3).all()
    trending = variance_ratio(pd.Series(np.cumsum(ar1(5_000, 0.5, 14))), window, q).dropna()
    assert (trending["vr"] > 1.5).all()
    assert (trending["z_robust"] > 3).all()


def test_variance_ratio_nan_where_missing_or_without_variation() -> None:
    x = random_walk(200, seed=15)
    x[50] = NAN
    x[120:150] = np.arange(30.0)  # constant changes: no variance to compare
    vr, z, zr = variance_ratio_nb(x, 11, 2)
    blank = np.zeros(200, dtype=bool)
    blank[:10] = blank[50:61] = blank[130:150] = True
    for values in (vr, z, zr):
        np.testing.assert_array_equal(np.isnan(values), blank)


def test_variance_ratio_value_at_t_does_not_change_when_later_data_changes() -> None:
    x = random_walk(400, seed=16)
    full = variance_ratio_nb(x, 50, 3)
    for t in (49, 50, 300, 398):
        altered = x.copy()
        altered[t + 1 :] *= -2
        for got, want in zip(variance_ratio_nb(altered, 50, 3), full, strict=True):
            np.testing.assert_array_equal(got[: t + 1], want[: t + 1])


def test_variance_ratio_returns_a_frame_on_the_input_index() -> None:
    index = pd.date_range("2024-01-02", periods=100, tz="UTC", name="ts")
    out = variance_ratio(pd.Series(random_walk(100, 17), index=index), 30, 2)
    assert list(out.columns) == ["vr", "z", "z_robust"]
    assert out.index.equals(index)
    assert out.iloc[:29].isna().all().all()
    assert out.iloc[29:].notna().all().all()


def test_variance_ratio_refuses_bad_arguments() -> None:
    x = pd.Series(random_walk(50, 18))
    with pytest.raises(IndicatorError, match="q must be an integer >= 2, got 1"):
        variance_ratio(x, 30, 1)
    with pytest.raises(IndicatorError, match=r"window must be an integer >= 9, got 8 \(.*q being 4\)"):
        variance_ratio(x, 8, 4)
    with pytest.raises(IndicatorError, match="must be a pandas Series"):
        variance_ratio(x.to_frame(), 30, 2)  # type: ignore[arg-type]

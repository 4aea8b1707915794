"""Rolling OLS hedge ratio (beta, alpha, spread) against per-window least squares and exact lines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantdesk.indicators import IndicatorError, rolling_ols
from quantdesk.indicators.regression import rolling_ols_nb

NAN = np.nan


def assert_close(got: np.ndarray, want: np.ndarray, rtol: float = 1e-9, atol: float = 0.0) -> None:
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def ref_ols(y: np.ndarray, x: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    beta, alpha, spread = (np.full(len(y), NAN) for _ in range(3))
    for t in range(window - 1, len(y)):
        ys, xs = y[t - window + 1 : t + 1], x[t - window + 1 : t + 1]
        if not (np.isfinite(ys).all() and np.isfinite(xs).all()) or np.ptp(xs) == 0:
            continue
        design = np.column_stack([np.ones(window), xs])
        (alpha[t], beta[t]), *_ = np.linalg.lstsq(design, ys, rcond=None)
        spread[t] = y[t] - alpha[t] - beta[t] * x[t]
    return beta, alpha, spread


def cointegrated_pair(n: int, seed: int, level: float = 100.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = level + np.cumsum(rng.normal(size=n))
    y = 5.0 + 1.7 * x + rng.normal(scale=0.5, size=n)
    return y, x


def test_an_exact_line_gives_its_slope_intercept_and_zero_spread() -> None:
    x = np.array([1.0, 4.0, 2.0, 8.0, 5.0, 7.0])
    beta, alpha, spread = rolling_ols_nb(3.0 + 2.0 * x, x, 3)
    assert_close(beta, [NAN, NAN, 2, 2, 2, 2], rtol=1e-12)
    assert_close(alpha, [NAN, NAN, 3, 3, 3, 3], rtol=1e-12)
    assert_close(spread, [NAN, NAN, 0, 0, 0, 0], atol=1e-12)


def test_by_hand_window_3() -> None:
    # x = 0, 1, 2 and y = 0, 2, 1: beta = cov / var = 0.5, alpha = 1 - 0.5 * 1 = 0.5,
    # spread at the last bar = 1 - 0.5 - 0.5 * 2 = -0.5
    beta, alpha, spread = rolling_ols_nb(np.array([0.0, 2.0, 1.0]), np.array([0.0, 1.0, 2.0]), 3)
    assert (beta[2], alpha[2], spread[2]) == pytest.approx((0.5, 0.5, -0.5), rel=1e-15)


@pytest.mark.parametrize("window", [2, 3, 20, 120])
def test_rolling_ols_matches_per_window_least_squares(window: int) -> None:
    y, x = cointegrated_pair(1_500, seed=window)
    got = rolling_ols_nb(y, x, window)
    want = ref_ols(y, x, window)
    assert_close(got[0], want[0])
    assert_close(got[1], want[1], atol=1e-9 * np.abs(y).max())
    assert_close(got[2], want[2], atol=1e-9 * np.abs(y).max())


def test_long_high_priced_series_stay_accurate() -> None:
    y, x = cointegrated_pair(50_000, seed=1, level=1e4)
    window = 60
    got = rolling_ols_nb(y, x, window)
    check = np.arange(window - 1, len(y), 997)  # every 997th window
    for t in check:
        (alpha, beta), *_ = np.linalg.lstsq(
            np.column_stack([np.ones(window), x[t - window + 1 : t + 1]]),
            y[t - window + 1 : t + 1],
            rcond=None,
        )
        assert got[0][t] == pytest.approx(beta, rel=1e-9)
        assert got[1][t] == pytest.approx(alpha, rel=1e-9, abs=1e-9 * 1e4)


def test_missing_values_and_flat_x_blank_their_windows() -> None:
    y, x = cointegrated_pair(100, seed=2)
    y[30] = NAN
    x[60] = np.inf
    x[80:86] = 7.0  # x does not move over bars 80..85: no hedge ratio for the window 81..85 (window 5)
    beta, alpha, spread = rolling_ols_nb(y, x, 5)
    blank = np.zeros(100, dtype=bool)
    blank[:4] = blank[30:35] = blank[60:65] = blank[84:86] = True
    for values in (beta, alpha, spread):
        np.testing.assert_array_equal(np.isnan(values), blank)


def test_value_at_t_does_not_change_when_later_data_changes() -> None:
    y, x = cointegrated_pair(400, seed=3)
    full = rolling_ols_nb(y, x, 30)
    for t in (29, 30, 59, 250, 398):
        y2, x2 = y.copy(), x.copy()
        y2[t + 1 :] = -y2[t + 1 :]
        x2[t + 1 :] += 1e3
        for got, want in zip(rolling_ols_nb(y2, x2, 30), full, strict=True):
            np.testing.assert_array_equal(got[: t + 1], want[: t + 1])


def test_rolling_ols_returns_beta_alpha_spread_on_the_input_index() -> None:
    y, x = cointegrated_pair(200, seed=4)
    index = pd.date_range("2024-01-02", periods=200, freq="D", tz="UTC", name="ts")
    out = rolling_ols(pd.Series(y, index=index, name="KO"), pd.Series(x, index=index, name="PEP"), 50)
    assert list(out.columns) == ["beta", "alpha", "spread"]
    assert out.index.equals(index)
    assert out["beta"].iloc[-1] == pytest.approx(1.7, abs=0.1)
    assert_close(out["spread"], y - out["alpha"] - out["beta"] * x, rtol=1e-9, atol=1e-9)


def test_rolling_ols_refuses_bad_arguments() -> None:
    index = pd.date_range("2024-01-02", periods=5, tz="UTC")
    y, x = pd.Series(np.arange(5.0), index=index), pd.Series(np.arange(5.0) ** 2, index=index)
    with pytest.raises(IndicatorError, match="window must be an integer >= 2, got 1"):
        rolling_ols(y, x, 1)
    with pytest.raises(IndicatorError, match="x and y must have the same index"):
        rolling_ols(y, x.shift(1, freq="D"), 3)
    with pytest.raises(IndicatorError, match="x must be a pandas Series"):
        rolling_ols(y, x.to_numpy(), 3)  # type: ignore[arg-type]
    with pytest.raises(IndicatorError, match="window must be >= 2"):
        rolling_ols_nb(y.to_numpy(), x.to_numpy(), 1)

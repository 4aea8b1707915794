"""Wilder's ADX, +DI and −DI against his running-sum recipe, by hand, and at the degenerate edges."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantdesk.indicators import IndicatorError, adx
from quantdesk.indicators.trend import adx_nb

NAN = np.nan


def assert_close(got: np.ndarray, want: np.ndarray, rtol: float = 1e-9, atol: float = 0.0) -> None:
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def random_bars(n: int, seed: int, drift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(drift, 0.01, n)))
    open_ = np.concatenate([[100.0], close[:-1]])
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.005, n)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.005, n)))
    index = pd.date_range("2024-01-02", periods=n, freq="D", tz="UTC", name="ts")
    return pd.DataFrame({"high": high, "low": low, "close": close}, index=index)


def ref_adx(high: np.ndarray, low: np.ndarray, close: np.ndarray, n: int) -> tuple[np.ndarray, ...]:
    """Wilder's worksheet: running sums TR14 = TR14 - TR14 / 14 + TR, the first ADX a plain mean of DX."""
    size = len(close)
    adx_out, plus_out, minus_out = (np.full(size, NAN) for _ in range(3))
    tr_sum = plus_sum = minus_sum = 0.0
    dxs: list[float] = []
    value = NAN
    for t in range(1, size):
        tr = max(high[t] - low[t], abs(high[t] - close[t - 1]), abs(low[t] - close[t - 1]))
        up, down = high[t] - high[t - 1], low[t - 1] - low[t]
        plus_dm = up if up > down and up > 0 else 0.0
        minus_dm = down if down > up and down > 0 else 0.0
        if t <= n:
            tr_sum, plus_sum, minus_sum = tr_sum + tr, plus_sum + plus_dm, minus_sum + minus_dm
            if t < n:
                continue
        else:
            tr_sum = tr_sum - tr_sum / n + tr
            plus_sum = plus_sum - plus_sum / n + plus_dm
            minus_sum = minus_sum - minus_sum / n + minus_dm
        plus_di, minus_di = 100 * plus_sum / tr_sum, 100 * minus_sum / tr_sum
        dx = 100 * abs(plus_di - minus_di) / (plus_di + minus_di)
        plus_out[t], minus_out[t] = plus_di, minus_di
        dxs.append(dx)
        if len(dxs) == n:
            value = sum(dxs) / n
        elif len(dxs) > n:
            value = (value * (n - 1) + dx) / n
        adx_out[t] = value
    return adx_out, plus_out, minus_out


def test_adx_by_hand_window_2() -> None:
    high, low, close = (
        np.array([10.0, 11, 12, 11]),
        np.array([9.0, 10, 10, 9]),
        np.array([9.5, 10.5, 11.5, 9.5]),
    )
    # bar 1: +DM 1, TR max(1, 1.5, 0.5) = 1.5; bar 2: +DM 1 (down 0 is no move), TR 2; bar 3: -DM 1, TR 2.5
    # bar 2: TR_s 1.75, +DM_s 1 -> +DI 100/1.75, -DI 0, DX 100
    # bar 3: TR_s 2.125, +DM_s 0.5, -DM_s 0.5 -> both DI 50/2.125, DX 0; ADX = (100 + 0) / 2
    adx_values, plus_di, minus_di = adx_nb(high, low, close, 2)
    assert_close(plus_di, [NAN, NAN, 100 / 1.75, 50 / 2.125], rtol=1e-15)
    assert_close(minus_di, [NAN, NAN, 0.0, 50 / 2.125], rtol=1e-15)
    assert_close(adx_values, [NAN, NAN, NAN, 50.0], rtol=1e-15)


@pytest.mark.parametrize("window", [2, 14, 30])
def test_adx_matches_wilders_running_sum_worksheet(window: int) -> None:
    bars = random_bars(3_000, seed=window)
    h, lo, c = (bars[k].to_numpy() for k in ("high", "low", "close"))
    for got, want in zip(adx_nb(h, lo, c, window), ref_adx(h, lo, c, window), strict=True):
        assert_close(got, want)


def test_first_di_at_bar_window_and_first_adx_at_bar_2_window_minus_1() -> None:
    bars = random_bars(100, seed=1)
    out = adx(bars["high"], bars["low"], bars["close"], 14)
    assert out["plus_di"].first_valid_index() == bars.index[14]
    assert out["minus_di"].first_valid_index() == bars.index[14]
    assert out["adx"].first_valid_index() == bars.index[27]
    assert out.iloc[27:].notna().all().all()


def test_flat_bars_have_no_direction_and_no_trend() -> None:
    flat = np.full(40, 50.0)
    adx_values, plus_di, minus_di = adx_nb(flat, flat, flat, 5)
    assert (plus_di[5:] == 0).all()
    assert (minus_di[5:] == 0).all()
    assert (adx_values[9:] == 0).all()


def test_a_steady_uptrend_has_high_adx_and_plus_di_above_minus_di() -> None:
    bars = random_bars(400, seed=2, drift=0.01)
    out = adx(bars["high"], bars["low"], bars["close"], 14).iloc[100:]
    assert (out["plus_di"] > out["minus_di"]).mean() > 0.9
    assert out["adx"].median() > 40
    choppy = random_bars(400, seed=2).pipe(lambda b: adx(b["high"], b["low"], b["close"], 14))
    assert choppy["adx"].iloc[100:].median() < out["adx"].median()


def test_bars_with_a_missing_price_are_skipped_as_if_dropped() -> None:
    bars = random_bars(200, seed=3)
    bars.iloc[[0, 30, 31, 150], [0, 1, 2, 0]] = NAN
    got = adx(bars["high"], bars["low"], bars["close"], 7)
    kept = bars.dropna()
    want = adx(kept["high"], kept["low"], kept["close"], 7).reindex(bars.index)
    pd.testing.assert_frame_equal(got, want)


def test_value_at_t_does_not_change_when_later_bars_change() -> None:
    bars = random_bars(300, seed=4)
    h, lo, c = (bars[k].to_numpy() for k in ("high", "low", "close"))
    full = adx_nb(h, lo, c, 14)
    for t in (14, 27, 28, 200, 298):
        h2, lo2, c2 = h.copy(), lo.copy(), c.copy()
        h2[t + 1 :] *= 1.5
        lo2[t + 1 :] *= 0.5
        for got, want in zip(adx_nb(h2, lo2, c2, 14), full, strict=True):
            np.testing.assert_array_equal(got[: t + 1], want[: t + 1])


def test_adx_returns_a_frame_on_the_input_index() -> None:
    bars = random_bars(60, seed=5)
    out = adx(bars["high"], bars["low"], bars["close"])
    assert list(out.columns) == ["adx", "plus_di", "minus_di"]
    assert out.index.equals(bars.index)
    assert (out.dtypes == np.float64).all()


def test_adx_refuses_bad_arguments() -> None:
    bars = random_bars(30, seed=6)
    with pytest.raises(IndicatorError, match="window must be an integer >= 1, got 0"):
        adx(bars["high"], bars["low"], bars["close"], 0)
    with pytest.raises(IndicatorError, match="high must be a pandas Series"):
        adx(bars[["high"]], bars["low"], bars["close"])  # type: ignore[arg-type]
    with pytest.raises(IndicatorError, match="same index"):
        adx(bars["high"], bars["low"], bars["close"].iloc[::-1])

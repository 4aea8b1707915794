"""Equity metrics: by hand, against empyrical, one column of a sweep against the same curve alone, edges."""

from __future__ import annotations

import json
import math
from pathlib import Path

import empyrical as ep
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from quantdesk.model.errors import QuantdeskError
from quantdesk.reporting import (
    EQUITY_METRIC_NAMES,
    METRIC_NAMES,
    TRADE_STAT_NAMES,
    Metrics,
    MetricsError,
    compute_metrics,
    drawdown,
    equity_metrics,
    max_drawdown_stats,
    periods_per_year_from_index,
    time_in_market,
)

BUNDLED_DAILY = Path(__file__).resolve().parents[3] / "data" / "bundled" / "daily_ohlcv.csv.gz"
NAN = float("nan")


def curve_from_returns(returns: np.ndarray, cash: float) -> np.ndarray:
    return cash * np.cumprod(1.0 + returns, axis=0)


def returns_of(equity: np.ndarray, cash: float) -> np.ndarray:
    previous = np.concatenate([np.full((1, *equity.shape[1:]), cash), equity[:-1]])
    return equity / previous - 1.0


def assert_same(got: object, want: object) -> None:
    """Bit-for-bit equality, NaN equal to NaN."""
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want), strict=False)
    assert np.asarray(got).tobytes() == np.asarray(want, dtype=np.asarray(got).dtype).tobytes()


def daily_index(periods: int) -> pd.DatetimeIndex:
    return pd.date_range("2024-01-01", periods=periods, freq="D", tz="UTC")


# --- by hand -------------------------------------------------------------------------------------------


def test_hand_example_gives_total_return_drawdown_and_duration() -> None:
    equity = pd.Series([100.0, 110.0, 99.0, 120.0], index=daily_index(4))
    m = compute_metrics(equity, 100.0, 252.0)
    assert m.total_return == pytest.approx(0.2, rel=1e-15)
    assert m.final_equity == 120.0
    assert m.max_drawdown == pytest.approx(-0.1, rel=1e-15)
    assert m.max_drawdown_duration == 1
    assert m.max_drawdown_span == pd.Timedelta(days=2)  # peak at bar 1, recovered at bar 3
    assert m.cagr == pytest.approx(1.2 ** (252 / 4) - 1.0, rel=1e-12)
    assert m.calmar == pytest.approx(m.cagr / 0.1, rel=1e-12)
    r = np.array([0.0, 0.1, -0.1, 120 / 99 - 1])
    assert m.sharpe == pytest.approx(r.mean() / r.std(ddof=1) * math.sqrt(252), rel=1e-12)
    assert m.sortino == pytest.approx(r.mean() * 252 / (math.sqrt(0.01 / 4) * math.sqrt(252)), rel=1e-12)


def test_drawdown_series_counts_initial_cash_as_the_first_peak() -> None:
    equity = pd.Series([90.0, 95.0, 100.0, 101.0, 80.8], name="equity")
    dd = drawdown(equity, 100.0)
    assert isinstance(dd, pd.Series)
    np.testing.assert_allclose(dd.to_numpy(), [-0.1, -0.05, 0.0, 0.0, -0.2], rtol=1e-15, atol=1e-16)
    deepest, longest, start = max_drawdown_stats(equity.to_numpy(), 100.0)
    assert (float(deepest), int(longest), int(start)) == (pytest.approx(-0.2), 2, 0)


def test_drawdown_of_a_frame_keeps_its_labels_and_works_by_column() -> None:
    frame = pd.DataFrame({"a": [100.0, 50.0, 100.0], "b": [120.0, 90.0, 60.0]}, index=daily_index(3))
    dd = drawdown(frame, 100.0)
    assert list(dd.columns) == ["a", "b"]
    assert dd.index.equals(frame.index)
    np.testing.assert_allclose(dd.to_numpy(), [[0.0, 0.0], [-0.5, -0.25], [0.0, -0.5]])


def test_run_from_bar_zero_is_timed_from_the_first_bar() -> None:
    equity = pd.Series([90.0, 95.0, 100.0, 101.0], index=daily_index(4))
    m = compute_metrics(equity, 100.0, 252.0)
    assert m.max_drawdown_duration == 2
    assert m.max_drawdown_span == pd.Timedelta(days=2)


def test_unrecovered_drawdown_is_timed_to_the_last_bar() -> None:
    equity = pd.Series([100.0, 105.0, 90.0, 80.0, 85.0], index=daily_index(5))
    m = compute_metrics(equity, 100.0, 252.0)
    assert m.max_drawdown_duration == 3
    assert m.max_drawdown_span == pd.Timedelta(days=3)  # from the peak at bar 1 to the last bar
    assert m.max_drawdown == pytest.approx(80 / 105 - 1, rel=1e-15)


def test_longest_run_wins_over_the_deepest_and_ties_keep_the_first() -> None:
    equity = np.array([100.0, 50.0, 100.0, 99.0, 99.0, 99.0, 100.0, 98.0, 98.0, 98.0, 100.0])
    deepest, longest, start = max_drawdown_stats(equity, 100.0)
    assert float(deepest) == -0.5
    assert (int(longest), int(start)) == (3, 3)


def test_span_is_none_without_a_datetime_index() -> None:
    assert compute_metrics(pd.Series([100.0, 90.0, 95.0]), 100.0, 252.0).max_drawdown_span is None


# --- against empyrical ---------------------------------------------------------------------------------


def empyrical_metrics(r: np.ndarray, ppy: float) -> dict[str, float]:
    return {
        "sharpe": ep.sharpe_ratio(r, period="daily", annualization=ppy),
        "sortino": ep.sortino_ratio(r, period="daily", annualization=ppy),
        "max_drawdown": ep.max_drawdown(r),
        "annual_volatility": ep.annual_volatility(r, period="daily", annualization=ppy),
        "cagr": ep.cagr(r, period="daily", annualization=ppy),
        "calmar": ep.calmar_ratio(r, period="daily", annualization=ppy),
    }


@pytest.mark.parametrize(("seed", "bars", "ppy"), [(1, 250, 252.0), (2, 1500, 251.37), (3, 5000, 8760.0)])
def test_single_curve_matches_empyrical(seed: int, bars: int, ppy: float) -> None:
    rng = np.random.default_rng(seed)
    r = rng.normal(4e-4, 0.015, bars)
    equity = curve_from_returns(r, 25_000.0)
    m = compute_metrics(pd.Series(equity), 25_000.0, ppy)
    want = empyrical_metrics(returns_of(equity, 25_000.0), ppy)
    for name, value in want.items():
        assert getattr(m, name) == pytest.approx(value, rel=1e-9), name
    assert m.total_return == pytest.approx(ep.cum_returns_final(r), rel=1e-9)


def test_every_column_matches_empyrical() -> None:
    rng = np.random.default_rng(7)
    r = rng.normal(rng.uniform(-1e-3, 1e-3, 6), rng.uniform(0.005, 0.03, 6), (3000, 6))
    equity = curve_from_returns(r, 1e6)
    got = equity_metrics(equity, 1e6, 252.0)
    for j in range(6):
        want = empyrical_metrics(returns_of(equity, 1e6)[:, j], 252.0)
        for name, value in want.items():
            assert got[name][j] == pytest.approx(value, rel=1e-9), (name, j)


def test_empyrical_infinities_are_nan_here() -> None:
    gains = np.array([0.01, 0.02, 0.01, 0.03])
    assert math.isinf(ep.sortino_ratio(gains, annualization=252))
    assert math.isnan(compute_metrics(pd.Series(curve_from_returns(gains, 100.0)), 100.0, 252.0).sortino)
    halves = np.array([150.0, 225.0, 337.5, 506.25])  # returns of exactly 0.5
    assert math.isinf(ep.sharpe_ratio(returns_of(halves, 100.0), annualization=252))
    m = compute_metrics(pd.Series(halves), 100.0, 252.0)
    assert math.isnan(m.sharpe)
    assert m.annual_volatility == 0.0


def test_rounding_noise_of_steady_returns_is_no_dispersion() -> None:
    equity = curve_from_returns(np.full(50, 0.01), 100.0)
    r = returns_of(equity, 100.0)
    assert 0.0 < r.std(ddof=1) < 1e-15  # 1.01 is not a binary fraction
    assert ep.sharpe_ratio(r, annualization=252) > 1e14
    m = compute_metrics(pd.Series(equity), 100.0, 252.0)
    assert math.isnan(m.sharpe)
    assert m.annual_volatility == 0.0
    assert m.cagr == pytest.approx(1.01**252 - 1, rel=1e-12)


# --- a sweep column is the curve alone -----------------------------------------------------------------


def test_sweep_columns_equal_single_curves_bit_for_bit() -> None:
    rng = np.random.default_rng(11)
    equity = curve_from_returns(rng.normal(2e-4, 0.01, (1300, 9)), 1e5)  # > 2 kernel blocks of rows
    positions = (rng.random(equity.shape) < 0.4).astype(float)
    sweep = equity_metrics(equity, 1e5, 252.0, positions=positions)
    fortran = equity_metrics(np.asfortranarray(equity), 1e5, 252.0, positions=np.asfortranarray(positions))
    strided = equity_metrics(equity[:, ::2], 1e5, 252.0)
    assert set(sweep) == set(EQUITY_METRIC_NAMES)
    for j in range(equity.shape[1]):
        alone = equity_metrics(equity[:, j], 1e5, 252.0, positions=positions[:, j])
        m = compute_metrics(pd.Series(equity[:, j]), 1e5, 252.0, positions=positions[:, j])
        for name in EQUITY_METRIC_NAMES:
            assert_same(alone[name], sweep[name][j])
            assert_same(fortran[name][j], sweep[name][j])
            assert_same(getattr(m, name), sweep[name][j])
            if j % 2 == 0 and name != "time_in_market":
                assert_same(strided[name][j // 2], sweep[name][j])


@settings(max_examples=60, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(1, 40), st.integers(1, 5)),
        elements=st.floats(-0.6, 0.6, allow_nan=False, allow_subnormal=False),
    )
)
def test_any_column_gives_what_it_gives_alone(returns: np.ndarray) -> None:
    equity = curve_from_returns(returns, 1000.0)
    sweep = equity_metrics(equity, 1000.0, 52.0)
    for j in range(equity.shape[1]):
        alone = equity_metrics(np.ascontiguousarray(equity[:, j]), 1000.0, 52.0)
        for name in EQUITY_METRIC_NAMES:
            assert_same(alone[name], sweep[name][j])


def test_one_dimensional_input_gives_zero_dimensional_results() -> None:
    got = equity_metrics(np.array([100.0, 101.0, 99.0]), 100.0, 252.0)
    assert all(value.shape == () for value in got.values())
    assert got["max_drawdown_duration"].dtype == np.int64


# --- edges ---------------------------------------------------------------------------------------------


def test_flat_equity_has_no_ratios() -> None:
    m = compute_metrics(pd.Series(np.full(10, 500.0), index=daily_index(10)), 500.0, 252.0)
    assert (m.total_return, m.cagr, m.annual_volatility, m.max_drawdown) == (0.0, 0.0, 0.0, 0.0)
    assert (m.max_drawdown_duration, m.max_drawdown_span) == (0, pd.Timedelta(0))
    assert math.isnan(m.sharpe)
    assert math.isnan(m.sortino)
    assert math.isnan(m.calmar)
    zeros = np.zeros(10)
    assert math.isnan(ep.sharpe_ratio(zeros))
    assert math.isnan(ep.sortino_ratio(zeros))


def test_one_bar_has_growth_and_drawdown_but_no_dispersion() -> None:
    m = compute_metrics(pd.Series([95.0]), 100.0, 252.0)
    assert m.total_return == pytest.approx(-0.05)
    assert m.cagr == pytest.approx(0.95**252 - 1, rel=1e-12)
    assert m.max_drawdown == pytest.approx(-0.05)
    assert m.max_drawdown_duration == 1
    assert math.isnan(m.annual_volatility)
    assert math.isnan(m.sharpe)
    assert math.isnan(m.sortino)
    assert m.calmar == pytest.approx(m.cagr / 0.05, rel=1e-12)


def test_ruined_curve_keeps_drawdown_but_loses_its_ratios() -> None:
    equity = np.array([[100.0, 100.0], [50.0, 110.0], [0.0, 120.0], [-10.0, 115.0]])
    got = equity_metrics(equity, 100.0, 252.0)
    assert got["max_drawdown"][0] == -1.1
    assert got["total_return"][0] == -1.1
    for name in ("cagr", "annual_volatility", "sharpe", "sortino", "calmar"):
        assert math.isnan(got[name][0]), name
        assert math.isfinite(got[name][1]), name


def test_time_in_market_counts_bars_with_a_position() -> None:
    assert float(time_in_market(np.array([0.0, 1.0, -2.0, 0.0]))) == 0.5
    np.testing.assert_array_equal(time_in_market(np.array([[0.0, 1.0], [0.0, 1.0], [3.0, 0.0]])), [1 / 3, 2 / 3])
    equity = pd.Series([100.0, 101.0, 102.0, 103.0], index=daily_index(4))
    held = pd.DataFrame({"A": [0.0, 1.0, 0.0, 0.0], "B": [0.0, -1.0, -1.0, 0.0]}, index=equity.index)
    assert compute_metrics(equity, 100.0, 252.0, positions=held).time_in_market == 0.5
    assert math.isnan(compute_metrics(equity, 100.0, 252.0).time_in_market)


def test_sweep_may_pass_time_in_market_it_counted_itself() -> None:
    equity = np.array([[100.0, 100.0], [101.0, 99.0], [102.0, 98.0], [103.0, 97.0]])
    positions = np.array([[0.0, 1.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]])
    counted = np.array([1.0, 3.0]) / 4
    by_count = equity_metrics(equity, 100.0, 252.0, time_in_market=counted)
    by_positions = equity_metrics(equity, 100.0, 252.0, positions=positions)
    assert_same(by_count["time_in_market"], by_positions["time_in_market"])
    with pytest.raises(MetricsError, match="not both"):
        equity_metrics(equity, 100.0, 252.0, positions=positions, time_in_market=counted)
    with pytest.raises(MetricsError, match=r"2 fraction\(s\)"):
        equity_metrics(equity, 100.0, 252.0, time_in_market=np.array([0.5, 1.5]))


@pytest.mark.parametrize(
    ("equity", "cash", "ppy", "message"),
    [
        (pd.Series([], dtype=float), 100.0, 252.0, "empty"),
        (pd.Series([100.0, NAN]), 100.0, 252.0, "NaN or infinite"),
        (pd.Series([100.0, np.inf]), 100.0, 252.0, "NaN or infinite"),
        (pd.Series(["a", "b"]), 100.0, 252.0, "must hold numbers"),
        (pd.Series([100.0]), 0.0, 252.0, "initial_cash"),
        (pd.Series([100.0]), True, 252.0, "initial_cash"),
        (pd.Series([100.0]), 100.0, -1.0, "periods_per_year"),
        (pd.Series([100.0]), 100.0, NAN, "periods_per_year"),
        ([100.0, 101.0], 100.0, 252.0, "pandas Series"),
    ],
)
def test_bad_input_is_refused_with_a_message(equity: object, cash: object, ppy: object, message: str) -> None:
    with pytest.raises(MetricsError, match=message):
        compute_metrics(equity, cash, ppy)  # type: ignore[arg-type]


def test_misaligned_positions_are_refused() -> None:
    equity = pd.Series([100.0, 101.0, 102.0], index=daily_index(3))
    with pytest.raises(MetricsError, match="same index"):
        compute_metrics(equity, 100.0, 252.0, positions=pd.Series([0.0, 1.0, 1.0]))
    with pytest.raises(MetricsError, match="2 bars"):
        compute_metrics(equity, 100.0, 252.0, positions=np.array([0.0, 1.0]))
    with pytest.raises(MetricsError, match="shape"):
        equity_metrics(np.ones((3, 2)), 1.0, 252.0, positions=np.ones((3, 3)))
    assert issubclass(MetricsError, QuantdeskError)


# --- the Metrics record --------------------------------------------------------------------------------


def test_to_dict_is_json_safe() -> None:
    m = compute_metrics(
        pd.Series(np.full(3, 100.0), index=daily_index(3)), 100.0, 252.0, trade_pnl=np.array([5.0, 1.0])
    )
    data = m.to_dict()
    assert data["sharpe"] is None
    assert data["profit_factor"] is None  # +inf: profit and no loss
    assert data["max_drawdown_days"] == 0.0
    assert data["trades"] == 2
    json.dumps(data, allow_nan=False)


def test_metric_names_are_the_sweep_columns() -> None:
    field_names = list(Metrics.__dataclass_fields__)
    assert list(METRIC_NAMES) == field_names[: len(METRIC_NAMES)]
    assert set(METRIC_NAMES) == set(EQUITY_METRIC_NAMES) | set(TRADE_STAT_NAMES)


def test_metrics_are_frozen() -> None:
    m = compute_metrics(pd.Series([100.0, 101.0]), 100.0, 252.0)
    with pytest.raises(AttributeError):
        m.sharpe = 1.0  # type: ignore[misc]


# --- annualisation -------------------------------------------------------------------------------------


def test_bundled_daily_bars_give_about_252_periods_per_year() -> None:
    bars = pd.read_csv(BUNDLED_DAILY, usecols=["ticker", "date"])
    dates = pd.DatetimeIndex(pd.to_datetime(bars.loc[bars["ticker"] == "AAPL", "date"]))
    assert 251.0 <= periods_per_year_from_index(dates) <= 253.0


def test_periods_per_year_is_bars_per_365_25_days() -> None:
    index = pd.DatetimeIndex(["2020-01-01", "2020-07-02", "2020-12-31 06:00"])
    assert periods_per_year_from_index(index) == pytest.approx(2.0, rel=1e-15)
    hourly = pd.date_range("2021-01-01", periods=24 * 365 + 1, freq="h")
    assert periods_per_year_from_index(hourly) == pytest.approx(8766.0, rel=1e-12)


@pytest.mark.parametrize(
    "index",
    [
        pd.DatetimeIndex(["2020-01-01"]),
        pd.DatetimeIndex([]),
        pd.DatetimeIndex(["2020-01-02", "2020-01-01"]),
        pd.RangeIndex(10),
    ],
)
def test_periods_per_year_needs_two_increasing_timestamps(index: pd.Index) -> None:
    with pytest.raises(MetricsError):
        periods_per_year_from_index(index)  # type: ignore[arg-type]

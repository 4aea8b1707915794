"""Trade statistics: by hand, edge cases, and the single-backtest path against the sweep accumulators."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from quantdesk.reporting import (
    TRADE_STAT_NAMES,
    MetricsError,
    TradeStats,
    compute_metrics,
    trade_stats,
    trade_stats_from_sums,
    trade_sums,
)


def test_hand_example() -> None:
    stats = trade_stats(np.array([10.0, -5.0, 20.0]), np.array([0.05, -0.02, 0.1]))
    assert stats == TradeStats(
        trades=3,
        win_rate=pytest.approx(2 / 3, rel=1e-15),
        profit_factor=6.0,
        expectancy=pytest.approx(25 / 3, rel=1e-15),
        avg_win=15.0,
        avg_loss=-5.0,
        best_trade_return=0.1,
        worst_trade_return=-0.02,
    )


def test_expectancy_splits_into_wins_and_non_wins() -> None:
    pnl = np.array([3.0, 0.0, -1.5, 7.25, -2.0, 0.0])
    s = trade_stats(pnl)
    assert s.avg_loss == pytest.approx(-3.5 / 4)  # break-even trades count as non-winning
    assert s.expectancy == pytest.approx(s.win_rate * s.avg_win + (1 - s.win_rate) * s.avg_loss, rel=1e-14)


def test_no_trades_gives_nan_statistics() -> None:
    s = trade_stats(np.array([]))
    assert s.trades == 0
    for name in ("win_rate", "profit_factor", "expectancy", "avg_win", "avg_loss", "best_trade_return"):
        assert math.isnan(getattr(s, name)), name


def test_profit_without_loss_is_an_infinite_profit_factor() -> None:
    s = trade_stats(np.array([1.0, 2.0]))
    assert s.profit_factor == math.inf
    assert s.win_rate == 1.0
    assert math.isnan(s.avg_loss)


def test_only_break_even_trades_have_no_profit_factor() -> None:
    s = trade_stats(np.array([0.0, 0.0]))
    assert math.isnan(s.profit_factor)
    assert (s.win_rate, s.expectancy, s.avg_loss) == (0.0, 0.0, 0.0)


def test_only_losses_have_a_zero_profit_factor() -> None:
    s = trade_stats(np.array([-1.0, -3.0]))
    assert (s.profit_factor, s.win_rate, s.avg_loss) == (0.0, 0.0, -2.0)
    assert math.isnan(s.avg_win)


def test_sums_are_count_wins_gross_profit_gross_loss_and_total() -> None:
    assert trade_sums(pd.Series([10.0, -5.0, 20.0, 0.0])) == (4, 3 - 1, 30.0, -5.0, 25.0)


def test_sweep_accumulators_agree_with_the_trade_list() -> None:
    rng = np.random.default_rng(5)
    lists = [rng.normal(0.5, 10.0, n).round(2) for n in (0, 1, 2, 17, 250, 3)]
    lists.append(np.array([4.0, 0.0]))
    sums = np.array([trade_sums(pnl) for pnl in lists])
    sweep = trade_stats_from_sums(*sums.T)
    assert set(sweep) == set(TRADE_STAT_NAMES)
    assert sweep["trades"].dtype == np.int64
    for j, pnl in enumerate(lists):
        single = trade_stats(pnl)
        for name in TRADE_STAT_NAMES:
            got, want = sweep[name][j], getattr(single, name)
            assert (math.isnan(got) and math.isnan(want)) or got == want, (name, j)


def test_gross_loss_may_be_given_as_a_magnitude() -> None:
    negative = trade_stats_from_sums(3, 2, 30.0, -5.0, 25.0)
    positive = trade_stats_from_sums(3, 2, 30.0, 5.0, 25.0)
    for name in TRADE_STAT_NAMES:
        np.testing.assert_array_equal(negative[name], positive[name])
    assert float(negative["profit_factor"]) == 6.0


def test_metrics_carry_the_trade_statistics() -> None:
    equity = pd.Series([100.0, 110.0, 105.0, 125.0])
    m = compute_metrics(equity, 100.0, 252.0, trade_pnl=[10.0, -5.0, 20.0], trade_returns=[0.1, -0.05, 0.2])
    assert (m.trades, m.profit_factor, m.avg_win, m.avg_loss) == (3, 6.0, 15.0, -5.0)
    assert (m.best_trade_return, m.worst_trade_return) == (0.2, -0.05)
    none = compute_metrics(equity, 100.0, 252.0)
    assert none.trades == 0
    assert math.isnan(none.win_rate)


@pytest.mark.parametrize(
    ("pnl", "returns", "message"),
    [
        (np.array([1.0, np.nan]), None, "NaN or infinite"),
        (np.ones((2, 2)), None, "dimension"),
        (np.array([1.0, 2.0]), np.array([0.1]), "1 values but trade_pnl has 2"),
        ("10", None, "must be an array"),
    ],
)
def test_bad_trade_lists_are_refused(pnl: object, returns: object, message: str) -> None:
    with pytest.raises(MetricsError, match=message):
        trade_stats(pnl, returns)  # type: ignore[arg-type]


def test_inconsistent_accumulators_are_refused() -> None:
    with pytest.raises(MetricsError, match="wins <= count"):
        trade_stats_from_sums(np.array([2]), np.array([3]), 1.0, 0.0, 1.0)

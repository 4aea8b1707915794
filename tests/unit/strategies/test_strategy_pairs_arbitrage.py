"""Pairs arbitrage on a hand-made pair: entry, exit, stop, flat after a stop, and the hedge weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantdesk.data.panel import panel
from strategies.pairs_arbitrage import PairsArbitrage

NAN = np.nan
N_BARS = 106

# log x swings smoothly; log y = 1 + 1.5 log x + a small wiggle + these dislocations of the spread
DISLOCATIONS = {
    55: -0.003, 56: -0.0025, 57: -0.002, 58: -0.001,  # y cheap, then converging back
    65: 0.003, 66: 0.0025, 67: 0.002, 68: 0.001,  # y rich, then converging back
    75: 0.005, 76: 0.03, 77: 0.03, 78: 0.03,  # y rich, then the pair breaks apart for three bars
    103: -0.004, 104: -0.003,  # y cheap again, long after the break
}  # fmt: skip

# hedge_window=30, z_window=20 (warmup 50), entry=2, exit=0.5, stop=4, gross=1.
# Every bar where the target is set (NaN on all others), with the spread z-score there:
#   bar   z        state set
EXPECTED = [
    (49, -0.545, 0),  # first bar after the warmup: flat
    (55, -3.576, +1),  # z < -entry: long the spread (buy y, sell x)
    (58, 0.209, 0),  # |z| < exit: close; bars 56, 57 (z -2.37, -1.81) just hold
    (65, 2.733, -1),  # z > +entry: short the spread
    (68, 0.366, 0),  # |z| < exit: close
    (75, 2.673, -1),  # short the spread again...
    (76, 4.127, 0),  # ...|z| > stop: the pair diverged, out at once
    # bars 77 and 78 (z 2.869, 2.063) are beyond the entry, but after a stop nothing opens until
    # |z| < exit, first at bar 83 (z -0.444): no position change, so no row
    (103, -2.377, +1),  # a new entry is allowed again
]
HELD = {56: -2.372, 57: -1.810, 77: 2.869, 78: 2.063, 83: -0.444}


def pair_bars() -> pd.DataFrame:
    i = np.arange(N_BARS)
    log_x = 4.0 + 0.1 * np.sin(0.7 * i)
    spread = 0.0005 * np.sin(2.3 * i)
    for bar, shift in DISLOCATIONS.items():
        spread[bar] += shift
    log_y = 1.0 + 1.5 * log_x + spread
    index = pd.date_range("2024-01-01", periods=N_BARS, freq="D", tz="UTC", name="ts")

    def frame(log_price: np.ndarray) -> pd.DataFrame:
        c = np.exp(log_price)
        return pd.DataFrame({"open": c, "high": c, "low": c, "close": c, "volume": 1e6}, index=index)

    return panel({"YYY": frame(log_y), "XXX": frame(log_x)})


def reference_hedge(bars: pd.DataFrame, hedge_window: int, z_window: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-window least squares fit (np.polyfit) and a pandas rolling z-score: beta and z per bar."""
    y, x = np.log(bars["close"]["YYY"].to_numpy()), np.log(bars["close"]["XXX"].to_numpy())
    beta, spread = np.full(len(y), NAN), np.full(len(y), NAN)
    for t in range(hedge_window - 1, len(y)):
        window = slice(t - hedge_window + 1, t + 1)
        beta[t], alpha = np.polyfit(x[window], y[window], 1)
        spread[t] = y[t] - alpha - beta[t] * x[t]
    s = pd.Series(spread)
    z = (s - s.rolling(z_window).mean()) / s.rolling(z_window).std()
    return beta, z.to_numpy()


@pytest.fixture
def strategy() -> PairsArbitrage:
    return PairsArbitrage(hedge_window=30, z_window=20, symbols=["YYY", "XXX"])


def test_spread_zscore_is_the_z_score_of_the_rolling_hedge_residual(strategy: PairsArbitrage) -> None:
    bars = pair_bars()
    _, z = reference_hedge(bars, 30, 20)
    got = strategy.spread_zscore(bars)
    assert got.index.equals(bars.index)
    np.testing.assert_allclose(got.to_numpy(), z, rtol=1e-6, atol=1e-8)
    table = dict([(bar, value) for bar, value, _ in EXPECTED] + list(HELD.items()))
    np.testing.assert_allclose(got.to_numpy()[list(table)], list(table.values()), atol=5e-4)


def test_targets_are_set_only_where_the_position_changes(strategy: PairsArbitrage) -> None:
    target = strategy.target(pair_bars())
    assert list(target.columns) == ["YYY", "XXX"]
    assert strategy.warmup == 50
    set_rows = np.flatnonzero(target.notna().all(axis=1).to_numpy())
    assert set_rows.tolist() == [bar for bar, _, _ in EXPECTED]
    assert target.isna().all(axis=1).sum() == N_BARS - len(EXPECTED)  # no row is half set


def test_entry_exit_stop_and_flat_after_stop(strategy: PairsArbitrage) -> None:
    target = strategy.target(pair_bars())
    states = [int(np.sign(target["YYY"].iloc[bar])) for bar, _, _ in EXPECTED]
    assert states == [state for _, _, state in EXPECTED]


def test_weights_use_the_hedge_ratio_of_the_bar_and_the_gross_exposure() -> None:
    bars = pair_bars()
    beta, _ = reference_hedge(bars, 30, 20)
    target = PairsArbitrage(hedge_window=30, z_window=20, gross=1.5, symbols=["YYY", "XXX"]).target(bars)
    for bar, _, state in EXPECTED:
        w_y = state * 1.5 / (1 + abs(beta[bar]))
        assert target["YYY"].iloc[bar] == pytest.approx(w_y, rel=1e-9, abs=0.0)
        assert target["XXX"].iloc[bar] == pytest.approx(-w_y * beta[bar], rel=1e-9, abs=0.0)
    long_row = target.iloc[55]
    assert long_row["YYY"] > 0 > long_row["XXX"]  # beta ~1.5: buy y, sell 1.5 times as much x per unit
    assert abs(long_row["YYY"]) + abs(long_row["XXX"]) == pytest.approx(1.5)


def test_nothing_is_set_before_the_warmup(strategy: PairsArbitrage) -> None:
    target = strategy.target(pair_bars())
    assert target.iloc[:49].isna().all().all()
    assert strategy.target(pair_bars().iloc[:50]).notna().all(axis=1).tolist() == [False] * 49 + [True]

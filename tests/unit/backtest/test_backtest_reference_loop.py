"""The compiled engine against an independent, straightforward loop: same trades, same equity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantdesk.backtest import backtest
from quantdesk.data.panel import load_panel, single
from quantdesk.data.synthetic import synthetic_bars
from quantdesk.execution.costs import Costs
from strategies.trend_following import TrendFollowing


def reference_trend_following(
    bars: pd.DataFrame, fast: int, slow: int, fee: float, slip: float, cash: float
) -> tuple[list[tuple[int, str, float, float]], float]:
    """All-in long when SMA(fast) > SMA(slow), flat otherwise; decide at close t, fill at open t+1."""
    close, open_ = bars["close"].to_numpy(), bars["open"].to_numpy()
    fast_ma = pd.Series(close).rolling(fast).mean().to_numpy()
    slow_ma = pd.Series(close).rolling(slow).mean().to_numpy()
    shares, fills, last_signal = 0.0, [], None
    for t in range(len(close) - 1):
        if np.isnan(slow_ma[t]):
            continue
        signal = 1.0 if fast_ma[t] > slow_ma[t] else 0.0
        if signal == last_signal:
            continue
        last_signal = signal
        equity_at_close = cash + shares * close[t]
        wanted = signal * equity_at_close / close[t] - shares
        if wanted > 0:
            price = open_[t + 1] * (1 + slip)
            qty = min(wanted, cash / (price * (1 + fee)))
            cash -= qty * price * (1 + fee)
            shares += qty
            fills.append((t + 1, "buy", qty, price))
        elif wanted < 0:
            price = open_[t + 1] * (1 - slip)
            cash += -wanted * price * (1 - fee)
            shares += wanted
            fills.append((t + 1, "sell", -wanted, price))
    return fills, cash + shares * close[-1]


def assert_same_run(bars: pd.DataFrame, symbol: str, fast: int, slow: int, fee: float, slip: float) -> None:
    strategy = TrendFollowing(fast=fast, slow=slow, symbols=[symbol])
    result = backtest(strategy, single(bars, symbol), costs=Costs.of(fees=fee, slippage=slip), cash=10_000.0)
    expected_fills, expected_equity = reference_trend_following(bars, fast, slow, fee, slip, 10_000.0)
    got = result.fills
    assert len(got) == len(expected_fills) > 10
    positions = {ts: i for i, ts in enumerate(bars.index)}
    for (bar, side, qty, price), row in zip(expected_fills, got.itertuples(), strict=True):
        assert (positions[row.ts], row.side) == (bar, side)
        assert row.quantity == pytest.approx(qty, rel=1e-9)
        assert row.price == pytest.approx(price, rel=1e-12)
    assert result.final_equity == pytest.approx(expected_equity, rel=1e-9)


@pytest.mark.parametrize(("fast", "slow"), [(10, 30), (20, 100)])
def test_trend_following_matches_the_reference_loop_on_bundled_msft(bundled_catalog, fast: int, slow: int) -> None:
    bars = load_panel(bundled_catalog, ["MSFT"], "1d", adjustment="adjusted")
    frame = pd.DataFrame({f: bars[f]["MSFT"] for f in ("open", "high", "low", "close", "volume")})
    assert_same_run(frame, "MSFT", fast, slow, fee=0.001, slip=0.0005)


def test_trend_following_matches_the_reference_loop_on_synthetic_minutes() -> None:
    bars = synthetic_bars(50_000, seed=11, symbol="SYNTH")
    assert_same_run(bars, "SYNTH", 10, 30, fee=0.001, slip=0.0)

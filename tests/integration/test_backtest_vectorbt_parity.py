"""The compiled engine and vectorbt's ``from_orders`` give the same fills and equity for every strategy."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from quantdesk.backtest import backtest
from quantdesk.backtest.vbt import vectorbt_portfolio
from quantdesk.data.panel import load_panel, single
from quantdesk.data.synthetic import synthetic_bars
from quantdesk.execution.costs import Costs
from quantdesk.strategy import get_strategy

CASES: list[tuple[str, tuple[str, ...], dict[str, Any]]] = [
    ("buy_and_hold", ("AAPL",), {}),
    ("trend_following", ("MSFT",), {}),
    ("trend_following", ("AAPL",), {"fast": 5, "slow": 50, "kind": "ema", "allow_short": True}),
    ("mean_reversion", ("IBM",), {}),
    ("mean_reversion", ("MSFT",), {"window": 10, "entry": 1.5, "exit": 0.2, "allow_short": True}),
    ("pairs_arbitrage", ("MSFT", "IBM"), {}),
    ("pairs_arbitrage", ("AAPL", "GOOG"), {"entry": 1.5, "gross": 1.5}),
    ("regime_selector", ("MSFT",), {}),
    ("regime_selector", ("GOOG",), {"allow_short": True}),
]


def assert_parity(result, portfolio) -> None:
    records = portfolio.orders.records
    fills = result.fills
    assert len(fills) == len(records) > 0
    bars = {ts: i for i, ts in enumerate(result.equity.index)}
    np.testing.assert_array_equal(fills["ts"].map(bars).to_numpy(), records["idx"])
    np.testing.assert_array_equal(
        fills["symbol"].map({s: i for i, s in enumerate(result.symbols)}).to_numpy(), records["col"]
    )
    np.testing.assert_array_equal(np.where(fills["side"] == "buy", 0, 1), records["side"])
    np.testing.assert_allclose(fills["quantity"].to_numpy(), records["size"], rtol=1e-9, atol=0)
    np.testing.assert_allclose(fills["price"].to_numpy(), records["price"], rtol=1e-9, atol=0)
    np.testing.assert_allclose(fills["fee"].to_numpy(), records["fees"], rtol=1e-9, atol=1e-12)
    value = np.asarray(portfolio.value()).reshape(len(result.equity), -1)[:, 0]
    np.testing.assert_allclose(result.equity.to_numpy(), value, rtol=1e-9, atol=0)


@pytest.mark.parametrize(("name", "symbols", "params"), CASES, ids=[f"{c[0]}-{'-'.join(c[1])}" for c in CASES])
def test_every_strategy_matches_vectorbt_on_bundled_data(
    bundled_catalog, name: str, symbols: tuple[str, ...], params: dict[str, Any]
) -> None:
    strategy = get_strategy(name)(symbols=symbols, **params)
    bars = load_panel(bundled_catalog, symbols, "1d", adjustment="adjusted")
    costs = Costs.of(fees=0.001, slippage=0.0005, fixed_fee=1.0)
    result = backtest(strategy, bars, costs=costs, cash=100_000.0, benchmark=False)
    portfolio = vectorbt_portfolio(bars, result.target, costs=costs, cash=100_000.0)
    assert_parity(result, portfolio)


@pytest.mark.parametrize("allow_short", [False, True])
def test_trend_following_matches_vectorbt_on_synthetic_minutes(allow_short: bool) -> None:
    strategy = get_strategy("trend_following")(fast=10, slow=30, allow_short=True, symbols=["SYNTH"])
    bars = single(synthetic_bars(20_000, seed=3, symbol="SYNTH"), "SYNTH")
    costs = Costs.of(fees=0.001)
    result = backtest(strategy, bars, costs=costs, allow_short=allow_short, benchmark=False)
    portfolio = vectorbt_portfolio(bars, result.target, costs=costs, cash=100_000.0, allow_short=allow_short)
    assert_parity(result, portfolio)
    assert bool(result.positions.to_numpy().min() < 0) is allow_short


def test_to_vectorbt_gives_the_same_final_value(bundled_catalog) -> None:
    strategy = get_strategy("trend_following")(symbols=["MSFT"])
    bars = load_panel(bundled_catalog, ["MSFT"], "1d", adjustment="adjusted")
    result = backtest(strategy, bars, costs=Costs.of(fees=0.001))
    assert result.to_vectorbt().final_value() == pytest.approx(result.final_equity, rel=1e-9)

"""Research-to-live parity: the replay through the live components fills exactly as the backtest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from quantdesk.data.panel import load_panel
from quantdesk.execution.costs import Costs
from quantdesk.runtime.parity import check_parity
from quantdesk.strategy import get_strategy

CASES: list[tuple[str, tuple[str, ...], dict[str, Any], str]] = [
    ("buy_and_hold", ("AAPL",), {}, "2010-01-01"),
    ("trend_following", ("MSFT",), {}, "2009-01-01"),
    ("trend_following", ("AAPL",), {"kind": "ema", "allow_short": True}, "2009-01-01"),
    ("mean_reversion", ("IBM",), {"allow_short": True}, "2009-01-01"),
    ("pairs_arbitrage", ("MSFT", "IBM"), {}, "2009-01-01"),
    ("regime_selector", ("MSFT",), {}, "2008-01-01"),
]


@pytest.mark.parametrize(("name", "symbols", "params", "start"), CASES, ids=[f"{c[0]}-{'-'.join(c[1])}" for c in CASES])
def test_every_strategy_replays_to_the_backtests_fills(
    bundled_catalog, name: str, symbols: tuple[str, ...], params: dict[str, Any], start: str
) -> None:
    bars = load_panel(bundled_catalog, symbols, "1d", start, adjustment="adjusted")
    strategy = get_strategy(name)(symbols=symbols, **params)
    report = check_parity(strategy, bars, costs=Costs.of(fees=0.001, slippage=0.0005, fixed_fee=1.0))
    assert report.differences == []
    assert len(report.replay_fills) == len(report.backtest_fills) > 0
    assert report.replay_equity == pytest.approx(report.backtest_equity, rel=1e-9)


def test_a_strategy_that_peeks_fails_parity_with_the_first_difference_named(bundled_catalog, peeking_strategy) -> None:
    bars = load_panel(bundled_catalog, ["MSFT"], "1d", "2012-06-01", adjustment="adjusted")
    report = check_parity(peeking_strategy(symbols=["MSFT"]), bars, costs=Costs.of(fees=0.001))
    assert not report.ok
    assert report.differences[0].startswith(("fill count", "fill 0: backtest 2012-06-0"))
    assert report.backtest_equity > report.replay_equity  # knowing tomorrow pays, in the backtest only


def test_parity_cli_exits_zero_and_prints_json(data_dir: Path) -> None:
    env = {**os.environ, "QUANTDESK_DATA_DIR": str(data_dir)}
    command = [sys.executable, "-m", "quantdesk.runtime.cli.main", "parity", "trend_following"]
    out = subprocess.run(
        [*command, "--start", "2010-01-01", "--json"], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["ok"] is True
    assert report["fills"]["backtest"] == report["fills"]["replay"] > 0

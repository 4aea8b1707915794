"""Sweeps: one row per valid combination, each equal to the single backtest of that combination."""

from __future__ import annotations

import numpy as np
import pytest

from quantdesk.backtest import backtest
from quantdesk.backtest.sweep import best_params, expand_grid, parse_grid, sweep
from quantdesk.data.panel import load_panel, single
from quantdesk.data.synthetic import synthetic_bars
from quantdesk.execution.costs import Costs
from quantdesk.reporting import METRIC_NAMES
from quantdesk.strategy import InvalidParams, get_strategy

COSTS = Costs.of(fees=0.001, slippage=0.0002)


def assert_rows_equal_single_backtests(strategy, bars, table, rows) -> None:
    for k in rows:
        combo = {name: table.iloc[k][name] for name in table.columns if name not in METRIC_NAMES}
        combo = {n: (int(v) if isinstance(v, float | np.floating) and float(v).is_integer() and n != "entry" else v)
                 for n, v in combo.items()}  # fmt: skip
        single_run = backtest(strategy.with_params(**combo), bars, costs=COSTS, benchmark=False)
        expected = single_run.metrics.to_dict()
        for name in METRIC_NAMES:
            got, want = table.iloc[k][name], expected[name]
            if want is None:
                assert np.isnan(got) or np.isinf(got), (combo, name)
            else:
                assert got == pytest.approx(want, rel=1e-12, abs=1e-12), (combo, name)


@pytest.mark.parametrize("kind", ["sma", "ema"])
def test_fused_crossover_sweep_rows_equal_single_backtests(kind: str) -> None:
    bars = single(synthetic_bars(5_000, seed=5, symbol="SYNTH"), "SYNTH")
    strategy = get_strategy("trend_following")(symbols=["SYNTH"], kind=kind, allow_short=True)
    table = sweep(strategy, bars, {"fast": range(5, 30, 5), "slow": range(10, 60, 10)}, costs=COSTS, progress=False)
    assert list(table.columns[:2]) == ["fast", "slow"]
    assert len(table) == 19  # 25 combinations, 6 with slow <= fast
    assert table.attrs["skipped"] == 6
    assert_rows_equal_single_backtests(strategy, bars, table, range(len(table)))


def test_general_sweep_rows_equal_single_backtests_and_use_worker_processes(bundled_catalog) -> None:
    bars = load_panel(bundled_catalog, ["IBM"], "1d", adjustment="adjusted")
    strategy = get_strategy("mean_reversion")(symbols=["IBM"])
    grid = {"window": [10, 20, 40], "entry": [1.5, 2.0], "exit": [0.0, 0.5]}
    table = sweep(strategy, bars, grid, costs=COSTS, progress=False, workers=2)
    assert len(table) == 12
    assert table[["window", "entry", "exit"]].to_dict("records")[:3] == [
        {"window": 10, "entry": 1.5, "exit": 0.0},
        {"window": 10, "entry": 1.5, "exit": 0.5},
        {"window": 10, "entry": 2.0, "exit": 0.0},
    ]
    assert_rows_equal_single_backtests(strategy, bars, table, [0, 5, 11])


def test_grid_parsing() -> None:
    assert parse_grid(["fast=5:20:5", "kind=sma,ema", "entry=1:2:0.25", "allow_short=true,false"]) == {
        "fast": [5, 10, 15],
        "kind": ["sma", "ema"],
        "entry": [1.0, 1.25, 1.5, 1.75],
        "allow_short": [True, False],
    }
    assert expand_grid({"a": [1, 2], "b": ["x"]}) == [{"a": 1, "b": "x"}, {"a": 2, "b": "x"}]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("fast", "is not NAME=start:stop:step"),
        ("fast=5:5", "is empty"),
        ("fast=a:b", "range bounds must be numbers"),
        ("fast=1:2:3:4", "a range is start:stop or start:stop:step"),
    ],
)
def test_bad_grid_specs_are_clear_errors(spec: str, message: str) -> None:
    with pytest.raises(InvalidParams, match=message):
        parse_grid([spec])


def test_unknown_grid_parameter_and_all_invalid_combinations_are_refused() -> None:
    bars = single(synthetic_bars(500, seed=1, symbol="SYNTH"), "SYNTH")
    strategy = get_strategy("trend_following")(symbols=["SYNTH"])
    with pytest.raises(InvalidParams, match="unknown grid parameter 'speed'"):
        sweep(strategy, bars, {"speed": [1]}, progress=False)
    with pytest.raises(InvalidParams, match="no valid parameter combination"):
        sweep(strategy, bars, {"fast": [50], "slow": [20]}, progress=False)


def test_best_params_are_plain_python_values_of_the_top_row() -> None:
    bars = single(synthetic_bars(3_000, seed=2, symbol="SYNTH"), "SYNTH")
    strategy = get_strategy("trend_following")(symbols=["SYNTH"])
    table = sweep(strategy, bars, {"fast": [5, 10], "slow": [20, 40], "kind": ["sma", "ema"]}, progress=False)
    best = best_params(table, "sharpe")
    top = table.sort_values("sharpe", ascending=False).iloc[0]
    assert best == {"fast": int(top["fast"]), "slow": int(top["slow"]), "kind": top["kind"]}
    assert all(type(v) in (int, str) for v in best.values())
    assert backtest(strategy.with_params(**best), bars, benchmark=False).metrics.sharpe == pytest.approx(
        top["sharpe"], rel=1e-12
    )

"""Parameter sweeps: one row of metrics per combination, ready for a heatmap.

Moving-average crossovers take the fused compiled path (each distinct average computed once, all pairs
simulated in parallel threads straight from them). Any other strategy takes the general path: its
``target`` per combination, simulated by the same kernel, spread over worker processes. Both give, for
each combination, exactly the metrics ``backtest()`` reports for it.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from quantdesk.backtest.fused import (
    A_BARS_IN_MARKET,
    A_DEEPEST,
    A_DOWNSIDE,
    A_FINAL,
    A_GROSS_LOSS,
    A_GROSS_PROFIT,
    A_LONGEST,
    A_MEAN,
    A_RUINED,
    A_SQUARES,
    A_SUM_PNL,
    A_TRADES,
    A_WINS,
    N_ACC,
    ma_crossover_sweep_nb,
)
from quantdesk.backtest.orders import BacktestError
from quantdesk.backtest.vectorized import _as_panel, simulate
from quantdesk.execution.costs import Costs
from quantdesk.reporting import METRIC_NAMES, periods_per_year_from_index, trade_stats_from_sums
from quantdesk.reporting.metrics import metrics_from_moments
from quantdesk.strategy.base import Strategy
from quantdesk.strategy.errors import InvalidParams


def expand_grid(grid: Mapping[str, Iterable[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, in order (the last parameter varies fastest)."""
    names = list(grid)
    values = [list(v) for v in grid.values()]
    for name, options in zip(names, values, strict=True):
        if not options:
            raise BacktestError(f"grid parameter {name!r} has no values")
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*values)]


def sweep(
    strategy: Strategy[Any],
    bars: pd.DataFrame,
    grid: Mapping[str, Iterable[Any]],
    *,
    costs: Costs | None = None,
    cash: float = 100_000.0,
    allow_short: bool = True,
    leverage: float = 1.0,
    progress: bool = True,
    workers: int | None = None,
) -> pd.DataFrame:
    """Backtest every valid combination of ``grid`` over ``bars``; one row per combination.

    Combinations the strategy rejects (say slow ≤ fast) are skipped and counted in
    ``result.attrs["skipped"]``; the rows keep the grid's order.
    """
    bars = _as_panel(strategy, bars)
    costs = costs or Costs()
    unknown = sorted(set(grid) - set(strategy.params_model.model_fields))
    if unknown:
        valid = ", ".join(strategy.params_model.model_fields)
        raise InvalidParams(f"unknown grid parameter {unknown[0]!r} for {strategy.name} (valid: {valid})")
    combos, skipped = [], 0
    for combo in expand_grid(grid):
        try:
            strategy.with_params(**combo)
        except InvalidParams:
            skipped += 1
            continue
        combos.append(combo)
    if not combos:
        raise InvalidParams(f"no valid parameter combination in the grid ({skipped} rejected by {strategy.name})")
    strategy.with_params(**combos[0]).check_history(bars)
    run = _Run(strategy, bars, costs, cash, allow_short, leverage)
    if getattr(strategy, "sweep_kernel", None) == "ma_crossover":
        metrics = _fused_crossover(run, combos, progress)
    else:
        metrics = _general(run, combos, progress, workers)
    table = pd.concat([pd.DataFrame(combos), pd.DataFrame(metrics)], axis=1)
    table.attrs = {"strategy": strategy.name, "skipped": skipped, "symbols": list(strategy.symbols)}
    return table


def _progress(total: int, enabled: bool, desc: str) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not enabled or total < 20, desc=desc, unit="combo")


@dataclass(frozen=True)
class _Run:
    """What every combination of one sweep shares."""

    strategy: Strategy[Any]
    bars: pd.DataFrame
    costs: Costs
    cash: float
    allow_short: bool
    leverage: float


def _fused_crossover(run: _Run, combos: list[dict[str, Any]], progress: bool) -> dict[str, np.ndarray]:
    strategy, bars, costs, cash = run.strategy, run.bars, run.costs, run.cash
    symbol = strategy.symbols[0]
    open_ = np.ascontiguousarray(bars["open"][symbol].to_numpy(np.float64))
    close = np.ascontiguousarray(bars["close"][symbol].to_numpy(np.float64))
    ppy = periods_per_year_from_index(bars.index)
    out: dict[str, np.ndarray] = {name: np.empty(len(combos)) for name in METRIC_NAMES}
    # combinations sharing the non-window parameters share one matrix of averages
    groups: dict[tuple[Any, ...], list[int]] = {}
    for k, combo in enumerate(combos):
        variant = strategy.with_params(**combo)
        key = tuple(v for n, v in variant.params.model_dump().items() if n not in ("fast", "slow"))
        groups.setdefault(key, []).append(k)
    chunk = 256  # combinations per kernel call: enough to keep both cores busy, often enough to show progress
    with _progress(len(combos), progress, f"sweep {strategy.name}") as bar:
        for members in groups.values():
            variant = strategy.with_params(**combos[members[0]])
            windows = sorted({combos[k].get(n, getattr(variant.params, n)) for k in members for n in ("fast", "slow")})
            row_of = {w: r for r, w in enumerate(windows)}
            averages = np.ascontiguousarray(np.stack([variant.moving_average(close, w) for w in windows]))
            long_w, other_w = variant.crossover_weights(allow_short=run.allow_short, leverage=run.leverage)
            for start in range(0, len(members), chunk):
                ids = members[start : start + chunk]
                fast = np.array([row_of[combos[k].get("fast", variant.params.fast)] for k in ids], dtype=np.int64)
                slow = np.array([row_of[combos[k].get("slow", variant.params.slow)] for k in ids], dtype=np.int64)
                acc = np.empty((len(ids), N_ACC))
                ma_crossover_sweep_nb(
                    open_, close, averages, fast, slow, long_w, other_w, float(cash),
                    costs.fees.rate, costs.fees.fixed, costs.slippage.rate, acc,
                )  # fmt: skip
                for name, values in _chunk_metrics(acc, len(close), cash, ppy).items():
                    out[name][ids] = values
                bar.update(len(ids))
    return out


def _chunk_metrics(acc: np.ndarray, n_bars: int, cash: float, ppy: float) -> dict[str, np.ndarray]:
    moments = tuple(acc[:, c].copy() for c in (A_MEAN, A_SQUARES, A_DOWNSIDE, A_RUINED, A_DEEPEST, A_LONGEST))
    in_market = acc[:, A_BARS_IN_MARKET] / n_bars
    metrics = metrics_from_moments(n_bars, acc[:, A_FINAL].copy(), moments, cash, ppy, in_market)
    stats = trade_stats_from_sums(
        acc[:, A_TRADES], acc[:, A_WINS], acc[:, A_GROSS_PROFIT], acc[:, A_GROSS_LOSS], acc[:, A_SUM_PNL]
    )
    return {**metrics, **stats}


def _run_general(args: tuple[_Run, list[dict[str, Any]]]) -> list[dict[str, float]]:
    run, combos = args
    rows = []
    for combo in combos:
        variant = run.strategy.with_params(**combo)
        result = simulate(
            variant.name, combo, run.bars, variant.target(run.bars), run.costs, run.cash, run.allow_short, run.leverage
        )
        rows.append({name: getattr(result.metrics, name) for name in METRIC_NAMES})
    return rows


def _general(run: _Run, combos: list[dict[str, Any]], progress: bool, workers: int | None) -> dict[str, np.ndarray]:
    strategy = run.strategy
    workers = workers or min(os.cpu_count() or 1, 8)
    size = max(1, min(16, len(combos) // (workers * 4) or 1))
    batches = [combos[i : i + size] for i in range(0, len(combos), size)]
    jobs = [(run, batch) for batch in batches]
    rows: list[dict[str, float]] = []
    with _progress(len(combos), progress, f"sweep {strategy.name}") as bar:
        if workers == 1 or len(batches) == 1:
            results: Iterable[list[dict[str, float]]] = map(_run_general, jobs)
            for batch_rows in results:
                rows.extend(batch_rows)
                bar.update(len(batch_rows))
        else:
            import multiprocessing
            import threading

            # fork is fastest, but forking a process that runs other threads (a Jupyter kernel) is unsafe
            method = "fork" if threading.active_count() == 1 else "forkserver"
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method)) as pool:
                for batch_rows in pool.map(_run_general, jobs):
                    rows.extend(batch_rows)
                    bar.update(len(batch_rows))
    return {name: np.array([row[name] for row in rows], dtype=np.float64) for name in METRIC_NAMES}


def best_params(table: pd.DataFrame, metric: str = "sharpe", *, highest: bool = True) -> dict[str, Any]:
    """The parameters of the best row of a sweep by ``metric``, as plain Python values."""
    if metric not in table.columns:
        raise BacktestError(f"unknown metric {metric!r}: choose one of {', '.join(METRIC_NAMES)}")
    ranked = table[metric].astype(float)
    if ranked.isna().all():
        raise BacktestError(f"no combination has a {metric}")
    best = ranked.idxmax() if highest else ranked.idxmin()
    values = {name: table.at[best, name] for name in table.columns if name not in METRIC_NAMES}
    return {name: value.item() if hasattr(value, "item") else value for name, value in values.items()}


def parse_grid(specs: Sequence[str]) -> dict[str, list[Any]]:
    """``["fast=5:55:5", "kind=sma,ema"]`` → ``{"fast": [5, 10, ..., 50], "kind": ["sma", "ema"]}``.

    ``start:stop:step`` is a range with stop excluded (integers stay integers); commas list values.
    """
    grid: dict[str, list[Any]] = {}
    for spec in specs:
        name, sep, text = spec.partition("=")
        if not sep or not name.strip() or not text.strip():
            raise InvalidParams(f"grid entry {spec!r} is not NAME=start:stop:step or NAME=a,b,c")
        grid[name.strip()] = _grid_values(name.strip(), text.strip())
    return grid


def _grid_values(name: str, text: str) -> list[Any]:
    if ":" in text:
        parts = text.split(":")
        if len(parts) not in (2, 3):
            raise InvalidParams(f"grid {name}={text}: a range is start:stop or start:stop:step")
        try:
            numbers = [int(p) for p in parts]
            start, stop, step = (*numbers, 1) if len(numbers) == 2 else numbers
            values: list[Any] = list(range(start, stop, step))
        except ValueError:
            try:
                floats = [float(p) for p in parts]
            except ValueError:
                raise InvalidParams(f"grid {name}={text}: range bounds must be numbers") from None
            start_f, stop_f, step_f = (*floats, 1.0) if len(floats) == 2 else floats
            if step_f <= 0:
                raise InvalidParams(f"grid {name}={text}: the step must be positive") from None
            values = [round(v, 12) for v in np.arange(start_f, stop_f, step_f)]
        if not values:
            raise InvalidParams(f"grid {name}={text} is empty (stop is excluded)")
        return values
    return [_scalar(v.strip()) for v in text.split(",") if v.strip()]


def _scalar(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    lowered = text.lower()
    return {"true": True, "false": False}.get(lowered, text)

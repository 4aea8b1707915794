"""Research engine speed against vectorbt, on seeded synthetic one-minute bars (issue 3 targets).

    python benchmarks/bench_backtest.py                 # everything, vectorbt included
    python benchmarks/bench_backtest.py --skip-vbt-sweep   # leave out vectorbt's 1,225-column sweep (~25 s, ~7 GiB)

1. one backtest: trend_following SMA(10, 30), long only, all in, 0.1% fees, 1,000,000 bars (≤ 30 ms warm);
   vectorbt ``Portfolio.from_signals`` on the same signals for comparison;
2. a sweep of all 1,225 fast < slow pairs from windows 5..54 on 100,000 bars (≤ 1 s, ≤ 1 GiB peak);
   vectorbt: the same with ``vbt.MA.run_combs`` + ``from_signals`` over all columns;
3. ``quantdesk backtest trend_following --symbols MSFT --json`` from a fresh process (≤ 1.5 s wall).

Each measurement that reports memory runs in its own subprocess so peak RSS is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _child(kind: str, bars: int, repeat: int) -> dict[str, float]:
    import numpy as np

    from quantdesk.data.panel import single
    from quantdesk.data.synthetic import synthetic_bars

    frame = synthetic_bars(bars, seed=42, symbol="SYNTH")
    panel = single(frame, "SYNTH")
    times: list[float] = []
    extra: dict[str, float] = {}
    if kind == "backtest":
        # ours and vectorbt's, alternated in one process so both see the same machine at the same moments
        import vectorbt as vbt

        from quantdesk.backtest import backtest
        from quantdesk.execution.costs import Costs
        from strategies.trend_following import TrendFollowing

        strategy = TrendFollowing(fast=10, slow=30, symbols=["SYNTH"])
        costs = Costs.of(fees=0.001)
        close_a, open_a = frame["close"].to_numpy(), frame["open"].to_numpy()

        def ours() -> float:
            return backtest(strategy, panel, costs=costs, benchmark=False).final_equity

        def vbt_signals(fast: np.ndarray, slow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            above = np.nan_to_num(fast) > np.nan_to_num(slow)  # decided at the close, acted on at the next open
            entries = np.r_[False, above[:-1] & ~np.isnan(slow[:-1])]
            exits = np.r_[False, ~above[:-1] & ~np.isnan(slow[:-1])]
            return entries, exits

        fast_ma, slow_ma = vbt.MA.run(close_a, 10).ma.to_numpy(), vbt.MA.run(close_a, 30).ma.to_numpy()
        entries, exits = vbt_signals(fast_ma, slow_ma)

        def vbt_from_signals() -> float:
            # vectorbt's fastest path: plain arrays, signals computed beforehand, only the final value asked
            pf = vbt.Portfolio.from_signals(close_a, entries, exits, price=open_a, fees=0.001, init_cash=100_000.0)
            return float(np.asarray(pf.final_value()).ravel()[0])

        def vbt_same_job() -> float:
            # the same job as ours: averages, signals, simulation and the metrics a backtest reports
            f, s = vbt.MA.run(close_a, 10).ma.to_numpy(), vbt.MA.run(close_a, 30).ma.to_numpy()
            e, x = vbt_signals(f, s)
            pf = vbt.Portfolio.from_signals(close_a, e, x, price=open_a, fees=0.001, init_cash=100_000.0, freq="1min")
            pf.total_return(), pf.sharpe_ratio(), pf.sortino_ratio(), pf.max_drawdown(), pf.trades.win_rate()
            return float(np.asarray(pf.final_value()).ravel()[0])

        runs = {"ours": ours, "vbt_from_signals": vbt_from_signals, "vbt_same_job": vbt_same_job}
        samples: dict[str, list[float]] = {name: [] for name in runs}
        for name, run in runs.items():
            extra[f"final_equity_{name}"] = run()  # warm: numba caches loaded, lazy imports done
        for _ in range(repeat):
            for name, run in runs.items():
                started = time.perf_counter()
                run()
                samples[name].append(time.perf_counter() - started)
        for name, values in samples.items():
            extra[f"{name}_median_s"] = statistics.median(values)
            extra[f"{name}_best_s"] = min(values)
        times = samples["ours"]
    elif kind == "ours-sweep":
        from quantdesk.backtest.sweep import sweep
        from quantdesk.execution.costs import Costs
        from strategies.trend_following import TrendFollowing

        strategy = TrendFollowing(symbols=["SYNTH"])
        grid = {"fast": range(5, 55), "slow": range(5, 55)}
        sweep(strategy, panel.iloc[:1000], grid, costs=Costs.of(fees=0.001), progress=False)  # compile / load
        for _ in range(repeat):
            started = time.perf_counter()
            table = sweep(strategy, panel, grid, costs=Costs.of(fees=0.001), progress=False)
            times.append(time.perf_counter() - started)
        extra = {"combinations": len(table), "best_sharpe": float(np.nanmax(table["sharpe"]))}
    elif kind == "vbt-sweep":
        import vectorbt as vbt

        close = frame["close"]
        started = time.perf_counter()
        fast, slow = vbt.MA.run_combs(close, window=list(range(5, 55)), r=2, short_names=["fast", "slow"])
        entries, exits = fast.ma_crossed_above(slow), fast.ma_crossed_below(slow)
        pf = vbt.Portfolio.from_signals(close, entries, exits, fees=0.001, init_cash=100_000.0)
        sharpe = pf.sharpe_ratio()
        times.append(time.perf_counter() - started)
        extra = {"combinations": len(sharpe)}
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"median_s": statistics.median(times), "best_s": min(times), "peak_mib": peak, **extra}


def _run(kind: str, bars: int, repeat: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--bars", str(bars), "--repeat", str(repeat)],
        capture_output=True, text=True, check=True, cwd=REPO,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def _cli_wall(repeat: int) -> list[float]:
    env = {**os.environ, "NUMBA_CACHE_DIR": os.environ.get("NUMBA_CACHE_DIR", str(REPO / ".cache" / "numba"))}
    command = [
        str(Path(sys.executable).parent / "quantdesk"),
        "backtest",
        "trend_following",
        "--symbols",
        "MSFT",
        "--json",
    ]
    subprocess.run(command, capture_output=True, check=True, env=env)  # warm the numba cache and the catalog
    walls = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True, env=env)
        walls.append(time.perf_counter() - started)
    return walls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--skip-vbt-sweep", action="store_true", help="skip vectorbt's slow, memory-hungry sweep")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child, args.bars, args.repeat)))
        return

    bt = _run("backtest", 1_000_000, args.repeat)
    ours = bt["ours_median_s"]
    print(f"backtest 1,000,000 bars, SMA(10,30), warm, alternated in one process: quantdesk median "
          f"{ours * 1e3:.1f} ms (best {bt['ours_best_s'] * 1e3:.1f})")  # fmt: skip
    for name, what in (("vbt_from_signals", "from_signals on precomputed signals"),
                       ("vbt_same_job", "the same job (averages, signals, from_signals, metrics)")):  # fmt: skip
        print(f"  vectorbt {what}: median {bt[name + '_median_s'] * 1e3:.0f} ms "
              f"(best {bt[name + '_best_s'] * 1e3:.0f}) → {bt[name + '_median_s'] / ours:.1f}x")  # fmt: skip
    sw = _run("ours-sweep", 100_000, 3)
    print(f"sweep 1,225 pairs (5..54) on 100,000 bars: quantdesk median {sw['median_s']:.2f} s, "
          f"peak {sw['peak_mib']:.0f} MiB ({sw['combinations']} rows)")  # fmt: skip
    if not args.skip_vbt_sweep:
        vs = _run("vbt-sweep", 100_000, 1)
        print(f"  vectorbt run_combs + from_signals: {vs['median_s']:.1f} s, peak {vs['peak_mib']:.0f} MiB "
              f"→ {vs['median_s'] / sw['median_s']:.0f}x slower")  # fmt: skip
    walls = _cli_wall(5)
    print(f"`quantdesk backtest trend_following --symbols MSFT --json`, fresh process: median "
          f"{statistics.median(walls):.2f} s wall (best {min(walls):.2f})")  # fmt: skip


if __name__ == "__main__":
    main()

"""Trading-engine throughput (issue 4 targets), measured on the live components.

    python benchmarks/bench_replay.py [--bars 1000000]

1. replay through the live components (batch row checks and the causality-checked target, then the node
   stepped on every eventful bar: rules → risk → order manager → simulated broker → ledger) of
   trend_following SMA(10, 30) on seeded synthetic minute bars, in bars per second (target ≥ 150,000);
   the same orders and fills as stepping every bar (tests/integration/test_fast_replay.py);
2. framework cost per bar with a strategy that never trades (target ≤ 3 µs);
3. stepping every bar with the strategy asked on its trailing window (what paper and live trading do);
4. paper mode: bar close → order accepted by the broker, p50/p99 (target p99 ≤ 2 ms), in memory and in a
   deployment with durable writes.
"""

from __future__ import annotations

import argparse
import statistics
import time
from decimal import Decimal

import pandas as pd

from quantdesk.data.feeds import ReplayFeed
from quantdesk.data.panel import single
from quantdesk.data.synthetic import synthetic_bars
from quantdesk.execution.costs import Costs
from quantdesk.execution.simulated import SimBrokerState, SimulatedBroker
from quantdesk.risk import RiskEngine
from quantdesk.runtime.clock import SimulatedClock
from quantdesk.runtime.node import TradingNode, permissive_profile
from quantdesk.runtime.replay import plan_replay, run_replay
from quantdesk.strategy import Params, Strategy
from strategies.trend_following import TrendFollowing


class NeverTrades(Strategy[Params]):
    name = "never_trades"
    params_model = Params

    @property
    def warmup(self) -> int:
        return 1

    def target(self, bars: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(float("nan"), index=bars.index, columns=list(self.symbols))


def node_for(strategy: Strategy, window: int | None) -> TradingNode:
    cash = Decimal(100_000)
    return TradingNode(
        deployment_id="bench",
        strategy=strategy,
        broker=SimulatedBroker(Costs.of(fees=0.001), SimBrokerState(cash=cash)),
        clock=SimulatedClock(),
        cash=cash,
        risk=RiskEngine(permissive_profile()),
        window=window,
    )


def durable_paper_latency(bars_count: int = 400) -> tuple[float, float, int]:
    """p50/p99 (ms) from a bar's arrival to its orders accepted by the broker in a real deployment run:
    SQLite file, every order committed before it is sent, the venue's state saved after each change."""
    import tempfile
    from datetime import UTC, datetime
    from pathlib import Path

    from quantdesk.data.bundle import ensure_bundled
    from quantdesk.data.catalog import Catalog
    from quantdesk.persistence import create_engine_for, session_factory, transaction, upgrade
    from quantdesk.runtime.deployment import DeploymentRunner, create_deployment

    repo = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        catalog = Catalog(Path(tmp) / "catalog")
        ensure_bundled(catalog, repo / "data" / "bundled", Path(tmp) / "quarantine")
        url = f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        with transaction(session_factory(create_engine_for(url))) as uow:
            uow.strategies.create(
                "fast", "strategies.trend_following:TrendFollowing",
                params={"fast": 2, "slow": 3, "symbols": ["MSFT"]}, code_hash="bench",
                data_range_start=datetime(2011, 6, 1, tzinfo=UTC), data_range_end=datetime(2013, 3, 1, tzinfo=UTC),
            )  # fmt: skip
        runner = DeploymentRunner(url, str(create_deployment(url, "fast").id), catalog)
        latencies: list[float] = []
        original_run = runner.run

        def timed_run(max_bars: int | None = None) -> object:
            node_cls = __import__("quantdesk.runtime.node", fromlist=["TradingNode"]).TradingNode
            plain = node_cls.on_bars

            def on_bars(self: object, bars: list) -> None:
                before = self.stats.orders  # type: ignore[attr-defined]
                started = time.perf_counter()
                plain(self, bars)
                if self.stats.orders > before:  # type: ignore[attr-defined]
                    latencies.append(time.perf_counter() - started)

            node_cls.on_bars = on_bars
            try:
                return original_run(max_bars)
            finally:
                node_cls.on_bars = plain

        timed_run(bars_count)
    latencies.sort()
    return statistics.median(latencies) * 1e3, latencies[int(0.99 * (len(latencies) - 1))] * 1e3, len(latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument("--stepped-bars", type=int, default=20_000, help="bars for the every-bar stepping figure")
    args = parser.parse_args()
    bars = single(synthetic_bars(args.bars, seed=42, symbol="SYNTH"), "SYNTH")

    strategy = TrendFollowing(fast=10, slow=30, symbols=["SYNTH"])
    node = node_for(strategy, window=None)
    started = time.perf_counter()
    plan = plan_replay(strategy, bars, "1m")
    planned = time.perf_counter()
    run_replay(node, plan, "1m")
    elapsed = time.perf_counter() - started
    print(f"replay trend_following SMA(10,30), {args.bars:,} bars: {args.bars / elapsed:,.0f} bars/s "
          f"(checks and target {planned - started:.2f} s, stepping {elapsed - (planned - started):.2f} s; "
          f"{node.stats.fills:,} fills; target >= 150,000 bars/s)")  # fmt: skip

    idle = node_for(NeverTrades(symbols=["SYNTH"]), window=None)
    started = time.perf_counter()
    run_replay(idle, plan_replay(idle.strategy, bars, "1m"), "1m")
    per_bar = (time.perf_counter() - started) / args.bars
    print(f"framework cost, strategy that never trades: {per_bar * 1e6:,.2f} µs per bar (target <= 3 µs)")

    feed = list(ReplayFeed(bars.iloc[: args.stepped_bars], "1m"))
    stepped = node_for(TrendFollowing(fast=10, slow=30, symbols=["SYNTH"]), window=60)
    started = time.perf_counter()
    stepped.run(feed)
    elapsed = time.perf_counter() - started
    print(f"every bar stepped, strategy asked on its 60-bar window (paper/live path), {len(feed):,} bars: "
          f"{len(feed) / elapsed:,.0f} bars/s")  # fmt: skip

    paper = node_for(TrendFollowing(fast=2, slow=3, symbols=["SYNTH"]), window=10)
    latencies = []
    for bars_now in feed[: min(len(feed), 5_000)]:
        before = paper.stats.orders
        started = time.perf_counter()
        paper.on_bars(bars_now)
        if paper.stats.orders > before:
            latencies.append(time.perf_counter() - started)
    latencies.sort()
    p50 = statistics.median(latencies) * 1e3
    p99 = latencies[int(0.99 * (len(latencies) - 1))] * 1e3
    print(f"bar close -> order at the simulated broker (in memory, {len(latencies)} orders): "
          f"p50 {p50:.2f} ms, p99 {p99:.2f} ms (target p99 <= 2 ms)")  # fmt: skip
    p50, p99, count = durable_paper_latency()
    print(f"bar close -> order at the broker in a deployment (SQLite, durable, {count} bars with orders): "
          f"p50 {p50:.2f} ms, p99 {p99:.2f} ms")  # fmt: skip


if __name__ == "__main__":
    main()

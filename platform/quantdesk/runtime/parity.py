"""Research-to-live parity: replay history through the live components and compare with the backtest.

The replay runs the trading node (processor → strategy on the growing window → rules → risk → order
manager → simulated broker → ledger) bar by bar; the vectorized backtest computes the same strategy in one
pass. They must give the same fills (time, symbol, side, quantity, price to 1e-9 relative) and the same
final equity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd

from quantdesk.backtest import backtest
from quantdesk.data.feeds import ReplayFeed
from quantdesk.execution.costs import Costs
from quantdesk.execution.simulated import SimBrokerState, SimulatedBroker
from quantdesk.model import Symbol
from quantdesk.risk import RiskEngine
from quantdesk.runtime.clock import SimulatedClock
from quantdesk.runtime.node import TradingNode, permissive_profile
from quantdesk.strategy.base import Strategy

TOLERANCE = 1e-9


@dataclass(frozen=True)
class ParityReport:
    """The two runs' fills side by side and where they first differ."""

    strategy: str
    backtest_fills: pd.DataFrame
    replay_fills: pd.DataFrame
    backtest_equity: float
    replay_equity: float
    differences: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences

    def to_json(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "ok": self.ok,
            "fills": {"backtest": len(self.backtest_fills), "replay": len(self.replay_fills)},
            "final_equity": {"backtest": self.backtest_equity, "replay": self.replay_equity},
            "differences": self.differences[:20],
        }


def replay(
    strategy: Strategy[Any], bars: pd.DataFrame, *, costs: Costs, cash: float, timeframe: str,
    allow_short: bool = True, leverage: float = 1.0,
) -> TradingNode:  # fmt: skip
    """Run ``strategy`` over ``bars`` through the live components with a simulated broker, as fast as possible."""
    broker = SimulatedBroker(costs, SimBrokerState(cash=Decimal(repr(float(cash)))), account_id="replay")
    node = TradingNode(
        deployment_id="replay",
        strategy=strategy,
        broker=broker,
        clock=SimulatedClock(),
        cash=Decimal(repr(float(cash))),
        risk=RiskEngine(permissive_profile()),
        allow_short=allow_short,
        leverage=leverage,
        window=len(bars),  # the whole history, as the backtest sees it
    )
    node.run(ReplayFeed(bars, timeframe))
    return node


def check_parity(
    strategy: Strategy[Any], bars: pd.DataFrame, *, costs: Costs, cash: float = 100_000.0, timeframe: str = "1d",
    allow_short: bool = True, leverage: float = 1.0,
) -> ParityReport:  # fmt: skip
    """Backtest and replay ``strategy`` on ``bars`` and compare fills and final equity."""
    result = backtest(
        strategy, bars, costs=costs, cash=cash, allow_short=allow_short, leverage=leverage, benchmark=False
    )
    node = replay(
        strategy, bars, costs=costs, cash=cash, timeframe=timeframe, allow_short=allow_short, leverage=leverage
    )
    expected = result.fills[["ts", "symbol", "side", "quantity", "price", "fee"]].astype({"symbol": str, "side": str})
    got = pd.DataFrame(
        [
            {
                "ts": pd.Timestamp(f.ts),
                "symbol": str(f.symbol),
                "side": str(f.side),
                "quantity": float(f.quantity),
                "price": float(f.price),
                "fee": float(f.fee),
            }
            for f in node.ledger.fills
        ],
        columns=["ts", "symbol", "side", "quantity", "price", "fee"],
    )
    closes = {s: bars["close"][s].iloc[-1] for s in strategy.symbols}
    final = float(node.ledger.equity({Symbol(s): Decimal(repr(float(c))) for s, c in closes.items()}))
    differences = _compare(expected, got)
    if not _close(result.final_equity, final):
        differences.append(f"final equity: backtest {result.final_equity:.10f}, replay {final:.10f}")
    return ParityReport(strategy.name, expected, got, result.final_equity, final, differences)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= TOLERANCE * max(abs(a), abs(b), 1e-300)


def _compare(expected: pd.DataFrame, got: pd.DataFrame) -> list[str]:
    out = []
    if len(expected) != len(got):
        out.append(f"fill count: backtest {len(expected)}, replay {len(got)}")
    for k, (a, b) in enumerate(zip(expected.itertuples(index=False), got.itertuples(index=False), strict=False)):
        same = (
            a.ts == b.ts and a.symbol == b.symbol and a.side == b.side
            and _close(a.quantity, b.quantity) and _close(a.price, b.price)
        )  # fmt: skip
        if not same:
            out.append(
                f"fill {k}: backtest {a.ts:%Y-%m-%d %H:%M} {a.symbol} {a.side} {a.quantity:.10g} @ {a.price:.10g}; "
                f"replay {b.ts:%Y-%m-%d %H:%M} {b.symbol} {b.side} {b.quantity:.10g} @ {b.price:.10g}"
            )
        if len(out) >= 20:
            break
    return out

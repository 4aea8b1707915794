"""Replay at full speed through the live components: the strategy asked once, only eventful bars stepped.

A replay knows its whole feed in advance, so two things a live node must do bar by bar are done once:

* the data layer's row rules (:func:`quantdesk.data.validation.validate`) run over each symbol's history;
  a bar they flag goes through the node's own processor, which quarantines it with its reasons;
* the strategy's ``target()`` runs once over the history without the flagged bars, as the research engine
  runs it, after :func:`quantdesk.strategy.check_causality` has shown that no row depends on later bars —
  so row t is what ``target()`` on the bars up to t would answer. A strategy that fails the check is
  refused (:class:`LookaheadError`): replaying it fast would hand it the future.

Then the node (:class:`~quantdesk.runtime.node.TradingNode`, unchanged) is stepped, with row t given, on
every bar where something can happen: a flagged bar, a bar whose target row makes the engine's rules act,
a bar while an order is working at the venue, and every bar when risk limits or position protections must
watch each close. The bars in between change nothing in any component — no order, no fill, no decision —
and are skipped; the equity curve over every bar is rebuilt at the end from the fills
(:func:`equity_curve`). A deployment's state after a fast replay is the same as after stepping each bar,
except the processor's trailing window, which :meth:`TradingNode.warm_up` rebuilds before live trading.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from quantdesk.backtest.kernel import N_FILL_FIELDS, paths_nb
from quantdesk.backtest.orders import order_weights
from quantdesk.data.frames import OHLCV, field_values
from quantdesk.data.validation import validate
from quantdesk.model import Bar, Symbol, Timeframe
from quantdesk.model.errors import QuantdeskError
from quantdesk.runtime.node import NodeStats, TradingNode
from quantdesk.strategy import check_causality
from quantdesk.strategy.base import Strategy

CAUSALITY_SAMPLES = 8
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class LookaheadError(QuantdeskError):
    """The strategy's target at some bar changes when later bars are added: it cannot be replayed fast."""


@dataclass(frozen=True, eq=False)
class ReplayPlan:
    """What a fast replay steps: bar values, flagged bars, the target rows and the bars to step."""

    index: pd.DatetimeIndex
    symbols: tuple[str, ...]
    values: np.ndarray  # (T, N, 5): open, high, low, close, volume per bar and symbol
    flagged: np.ndarray  # (T,) bool: a symbol's bar breaks a row rule
    target: np.ndarray  # (T, N): the strategy's rows (NaN on flagged bars and before the warmup)
    acts: np.ndarray  # (T,) bool: the engine's rules act on this bar's row

    def bars_at(self, i: int, timeframe: Timeframe) -> list[Bar]:
        ts = _EPOCH + timedelta(microseconds=int(self.nanos[i]) // 1000)
        row = self.values[i].tolist()
        return [Bar(symbol, timeframe, ts, *row[j]) for j, symbol in enumerate(self.instruments)]

    @cached_property
    def nanos(self) -> np.ndarray:
        return self.index.asi8 if self.index.tz is not None else self.index.tz_localize("UTC").asi8

    @cached_property
    def instruments(self) -> tuple[Symbol, ...]:
        return tuple(Symbol(s) for s in self.symbols)

    def row_at(self, i: int) -> dict[str, float]:
        return dict(zip(self.symbols, self.target[i].tolist(), strict=True))


def plan_replay(
    strategy: Strategy[Any],
    bars: pd.DataFrame,
    timeframe: Timeframe | str,
    *,
    allow_short: bool = True,
    leverage: float = 1.0,
    causality_samples: int = CAUSALITY_SAMPLES,
) -> ReplayPlan:
    """Check the bars and the strategy and compute what :func:`run_replay` steps through."""
    frame = Timeframe.parse(timeframe) if isinstance(timeframe, str) else timeframe
    symbols = tuple(strategy.symbols)
    flagged = np.zeros(len(bars), dtype=bool)
    for symbol in symbols:
        one = pd.DataFrame({f: bars[(f, symbol)] for f in OHLCV}, index=bars.index)
        report = validate(one, freq=frame.pandas_freq, calendar=None)
        flagged[report.quarantine["row"].to_numpy(np.int64)] = True
    clean = bars[~flagged] if flagged.any() else bars
    if causality_samples and len(clean) > strategy.warmup:
        check = check_causality(strategy, clean, samples=causality_samples)
        if not check.ok:
            raise LookaheadError(f"{strategy.name} is not causal, it cannot be replayed: {check.summary()}")
    target = np.full((len(bars), len(symbols)), np.nan)
    if len(clean) >= strategy.warmup:
        rows = strategy.target(clean)[list(symbols)].to_numpy(np.float64, copy=True)
        rows[: max(strategy.warmup - 1, 0)] = np.nan  # the node decides once the window holds the warmup
        target[~flagged] = rows
    # the rules act where a row differs from the last weight acted on: order_weights shifts each decision
    # to the next bar's row, so a NaN row is added to see the last bar's decision too
    decided = order_weights(np.vstack([target, np.full((1, len(symbols)), np.nan)]), allow_short=allow_short,
                            leverage=leverage)[1:]  # fmt: skip
    values = np.stack([field_values(bars, f, symbols) for f in OHLCV], axis=-1)
    acts = ~np.isnan(decided).all(axis=1)
    return ReplayPlan(bars.index, symbols, values, flagged, target, acts)


def run_replay(node: TradingNode, plan: ReplayPlan, timeframe: Timeframe | str) -> NodeStats:
    """Step ``node`` through ``plan`` (see the module docstring); the node's stats count every bar."""
    frame = Timeframe.parse(timeframe) if isinstance(timeframe, str) else timeframe
    every_bar = node.watches_every_bar
    flagged, acts = plan.flagged, plan.acts
    working = node.orders.has_open_orders
    node.keep_snapshots = False  # the curve comes from the fills: equity_curve()
    stepped = 0
    for i in range(len(plan.index)):
        if every_bar or acts[i] or flagged[i] or working():
            node.on_bars(plan.bars_at(i, frame), row=plan.row_at(i), checked=not flagged[i])
            stepped += 1
    node.stats.bars += len(plan.index) - stepped
    return node.stats


def equity_curve(node: TradingNode, plan: ReplayPlan) -> pd.Series:
    """The account's value at every bar's close of a replay, from the node's fills and the closes (float)."""
    fills = np.empty((len(node.ledger.fills), N_FILL_FIELDS))
    column = {s: j for j, s in enumerate(plan.symbols)}
    positions = dict.fromkeys(plan.symbols, 0.0)
    cash = float(node.cash)
    bar_of = plan.index.get_indexer(pd.DatetimeIndex([pd.Timestamp(f.ts) for f in node.ledger.fills]))
    for k, fill in enumerate(node.ledger.fills):
        symbol, signed = str(fill.symbol), float(fill.signed_quantity)
        positions[symbol] += signed
        cash += float(-fill.signed_quantity * fill.price - fill.fee)
        fills[k] = (bar_of[k], column[symbol], signed, float(fill.price), float(fill.fee), positions[symbol], cash)
    held, cash_path = paths_nb(fills, len(plan.index), len(plan.symbols), float(node.cash))
    closes = plan.values[:, :, 3]
    marked = cash_path + np.where(held != 0.0, held * closes, 0.0).sum(axis=1)
    return pd.Series(marked, index=plan.index, name="equity")


def replay_value(node: TradingNode, plan: ReplayPlan) -> Decimal:
    """The final account value at the last closes, from the node's ledger (exact)."""
    last = plan.values[-1, :, 3]
    return node.ledger.equity({Symbol(s): Decimal(repr(float(last[j]))) for j, s in enumerate(plan.symbols)})

"""The trading node: one deployment's live cycle, the same in replay, paper and live trading.

On each set of bars closing together:

1. the data processor checks each bar; a bad bar is quarantined, and neither the venue nor the strategy
   sees it;
2. the broker works our open orders against the good bars (the simulated one fills market orders at their
   open), and the fills reach the order book, the ledger and the position protections;
3. the account is valued at the closes, the risk engine updates its state (daily loss, drawdown) and the
   protections (stop-loss, take-profit, trailing stop) decide their exits;
4. the strategy's target on the trailing window (last row) becomes order intents by the engine's rules;
5. each order passes the risk engine or is denied with a recorded reason, then goes to the order manager;
6. events are published, and the equity snapshot is taken.

Only the clock, the feed and the broker differ between modes; they are chosen by the composition root.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from quantdesk.data.processor import BarProcessor, QuarantinedBar
from quantdesk.execution.broker import BrokerPort
from quantdesk.execution.ids import client_order_id
from quantdesk.execution.order_manager import OrderManager
from quantdesk.model import (
    Bar,
    DeploymentId,
    Fill,
    OrderFilled,
    OrderSide,
    OrderType,
    SubmitOrder,
    Symbol,
    TimeInForce,
)
from quantdesk.portfolio import AccountType, EquitySnapshot, Ledger
from quantdesk.risk import ProtectionTracker, RiskContext, RiskEngine, RiskEvent, RiskProfile
from quantdesk.runtime.clock import SimulatedClock, WallClock
from quantdesk.runtime.intents import TargetRules, size_orders
from quantdesk.strategy.base import Strategy

Publish = Callable[[str, Any], None]


def permissive_profile() -> RiskProfile:
    """Limits wide enough for any research strategy (replays and parity checks)."""
    return RiskProfile(
        max_weight_per_symbol=Decimal(4),
        max_gross_exposure=Decimal(4),
        max_orders_per_minute=100_000,
        allow_short=True,
        price_collar_pct=None,
    )


@dataclass
class NodeStats:
    """Counters of one run, for the health check and reports."""

    bars: int = 0
    decisions: int = 0
    orders: int = 0
    fills: int = 0
    denied: int = 0
    quarantined: int = 0


@dataclass
class TradingNode:
    """Wires processor → strategy → rules → risk → order manager → broker → ledger for one deployment."""

    deployment_id: str
    strategy: Strategy[Any]
    broker: BrokerPort
    clock: SimulatedClock | WallClock
    cash: Decimal
    risk: RiskEngine
    allow_short: bool = True
    leverage: float = 1.0
    window: int | None = None  # bars the strategy sees; None keeps them all (replay: full-history parity)
    publish: Publish | None = None
    #: called with each order command before it is sent: make it durable there
    before_submit: Callable[[SubmitOrder], None] | None = None
    stats: NodeStats = field(default_factory=NodeStats)
    snapshots: list[EquitySnapshot] = field(default_factory=list)
    #: an equity snapshot per close (a fast replay leaves them out and rebuilds the curve from the fills)
    keep_snapshots: bool = True
    #: enforce the ledger's account type (deployments): a cash account cannot short; a margin account's
    #: buying power is checked before each order and its maintenance requirement at each close. Research
    #: replays leave it off, as the backtest does (shared cash, shorting and leverage set by parameters).
    account_rules: bool = False
    account_type: AccountType = AccountType.CASH

    def __post_init__(self) -> None:
        self.symbols = tuple(self.strategy.symbols)
        self._instrument = {s: Symbol(s) for s in self.symbols}  # made once: ids are checked when made
        self._deployment = DeploymentId(self.deployment_id)
        capacity = self.window or 10_000_000
        self.processor = BarProcessor(self.symbols, capacity=min(capacity, 10_000_000))
        self.rules = TargetRules(self.symbols, allow_short=self.allow_short, leverage=self.leverage)
        self.orders = OrderManager(self._deployment, self.broker, self.clock)
        self.ledger = Ledger(self.cash, self.account_type)
        self.denials: list[RiskEvent] = []
        self.protections = ProtectionTracker(self.risk.profile)

    # ------------------------------------------------------------------------------------------------------
    def run(self, feed: Iterable[list[Bar]]) -> NodeStats:
        for bars in feed:
            self.on_bars(bars)
        return self.stats

    def on_bars(self, bars: list[Bar], row: Mapping[str, float] | None = None, *, checked: bool = False) -> None:
        """One close: the bars of every symbol at one timestamp.

        ``row`` is the strategy's target row for this close when it is already known — a replay's target
        computed once over the history (see :mod:`quantdesk.runtime.replay`); None asks the strategy on
        the trailing window, as paper and live trading do. ``checked`` says the bars already passed the data
        layer's row rules (a replay checks its whole history at once), so the processor is not asked again.
        """
        ts = bars[0].ts
        if isinstance(self.clock, SimulatedClock):
            self.clock.advance_to(ts)
        self.stats.bars += 1
        if checked:
            good, refused = bars, []
        else:
            verdicts = [(bar, self.processor.accept(bar)) for bar in bars]
            good = [bar for bar, refusal in verdicts if refusal is None]
            refused = [refusal for _, refusal in verdicts if refusal is not None]
        if good:  # a bad bar reaches neither the venue nor the strategy
            self.broker.on_bars(good)  # type: ignore[attr-defined]  # the venue's events go to its outbox
            self._settle(self.broker.drain_events())  # type: ignore[attr-defined]
        if refused:
            self._quarantined(refused)
            return
        closes = {bar.symbol.value: bar.close for bar in bars}
        marks = {bar.symbol: Decimal(repr(bar.close)) for bar in bars}
        equity = self.ledger.equity(marks)
        for event in self.risk.on_equity(ts, equity):
            self._emit("risk", event)
        if self.account_rules and self.ledger.account_type is AccountType.MARGIN:
            for event in self.risk.on_margin(ts, equity, self.ledger.maintenance_requirement(marks)):
                self._emit("risk", event)
        if self.keep_snapshots:
            self.snapshots.append(self.ledger.snapshot(ts, marks))
        exits = self._protect(bars) if self.protections.enabled else {}
        if row is None and self.processor.count(self.symbols[0]) >= self.strategy.warmup:
            last = self.strategy.target(self.processor.window()).iloc[-1]
            row = {s: float(last[s]) for s in self.symbols}
        if row is not None:
            self._decide(ts, row, closes, marks, equity, exits)
        elif exits:
            self._decide(ts, {}, closes, marks, equity, exits)

    @property
    def watches_every_bar(self) -> bool:
        """Whether risk limits or position protections must see every close (daily loss, drawdown, stops):
        then a replay cannot skip the bars where nothing else happens."""
        p = self.risk.profile
        return self.protections.enabled or p.max_daily_loss is not None or p.max_drawdown is not None

    # ------------------------------------------------------------------------------------------------------
    def _settle(self, events: list[Any]) -> None:
        report = self.orders.on_events(events)
        for event in report.applied:
            if isinstance(event, OrderFilled):
                self._book(event.fill)
            self._emit("order", event)

    def _book(self, fill: Fill) -> None:
        if self.ledger.apply(fill):
            if self.protections.enabled:
                self.protections.on_fill(fill)
            self.stats.fills += 1
            self._emit("fill", fill)

    def _quarantined(self, refused: list[QuarantinedBar]) -> None:
        self.stats.quarantined += len(refused)
        for item in refused:
            self._emit("quarantine", item)

    def _protect(self, bars: list[Bar]) -> dict[str, tuple[OrderSide, Decimal, str]]:
        """Stop-loss / take-profit / trailing exits decided on this close (one per symbol, none while one of
        the symbol's orders is still working)."""
        working = {str(o.symbol) for o in self.orders.open_orders()}
        exits = {}
        for bar in bars:
            if str(bar.symbol) in working:
                continue
            for exit_ in self.protections.on_bar(bar.symbol, bar.ts, bar.high, bar.low, bar.close):
                self._emit("risk", exit_.event())
                intent = {"stop_loss": "stop", "take_profit": "take", "trailing_stop": "trail"}[str(exit_.reason)]
                exits[str(bar.symbol)] = (exit_.side, exit_.quantity, intent)
        return exits

    def _decide(
        self,
        ts: Any,
        row: Mapping[str, float],
        closes: dict[str, float],
        marks: dict[Symbol, Decimal],
        equity: Decimal,
        exits: dict[str, tuple[OrderSide, Decimal, str]],
    ) -> None:
        self.stats.decisions += 1 if row else 0
        acted = self.rules.decide(row) if row else {}
        orders = [(side, quantity, symbol, intent) for symbol, (side, quantity, intent) in exits.items()]
        if acted:
            positions = {s: float(self.ledger.position(self._instrument[s]).quantity) for s in self.symbols}
            for order in size_orders(acted, positions, closes, float(self.ledger.cash), self.symbols):
                if order.symbol not in exits:  # a protective exit of this symbol goes first, alone
                    side = OrderSide.BUY if order.is_buy else OrderSide.SELL
                    orders.append((side, Decimal(repr(abs(order.quantity))), order.symbol, "target"))
        if not orders:
            return
        margin = self.account_rules and self.ledger.account_type is AccountType.MARGIN
        ctx = RiskContext(
            ts=ts,
            equity=equity,
            positions={i: self.ledger.position(i).quantity for i in self._instrument.values()},
            last_prices=marks,
            reference_prices=marks,
            buying_power=self.ledger.buying_power(marks) if margin else None,
            can_short=self.ledger.can_short or not self.account_rules,
        )
        for side, quantity, symbol, intent in orders:
            self._send(
                SubmitOrder(
                    client_order_id=client_order_id(self._deployment, ts, self._instrument[symbol], intent),
                    symbol=self._instrument[symbol],
                    side=side,
                    order_type=OrderType.MARKET,
                    quantity=quantity,
                    ts=ts,
                    time_in_force=TimeInForce.GTC,
                    deployment_id=self._deployment,
                ),
                ctx,
            )

    def _send(self, command: SubmitOrder, ctx: RiskContext) -> None:
        decision = self.risk.evaluate(command, ctx)
        if not decision.approved:
            self.stats.denied += 1
            if decision.event is not None:
                self.denials.append(decision.event)
                self._emit("risk", decision.event)
            return
        self.stats.orders += 1
        if self.before_submit is not None:
            self.before_submit(command)
        self.orders.submit(command)
        self._settle(self.broker.drain_events())  # type: ignore[attr-defined]

    def warm_up(self, history: list[list[Bar]]) -> None:
        """Rebuild the in-memory state of bars already acted on (after a restart): the window, the position
        protections (from the ledger's fills and the closes since), and the rules' memory of the last weight
        set per symbol, from the strategy's causal target over that history."""
        fills = sorted(self.ledger.fills, key=lambda f: f.ts)
        k = 0
        for bars in history:
            while k < len(fills) and fills[k].ts <= bars[0].ts:
                self.protections.on_fill(fills[k])
                k += 1
            for bar in bars:
                self.processor.accept(bar)
                self.protections.on_bar(bar.symbol, bar.ts, bar.high, bar.low, bar.close)
        if history and self.processor.count(self.symbols[0]) >= self.strategy.warmup:
            target = self.strategy.target(self.processor.window())
            for _, row in target.iloc[self.strategy.warmup - 1 :].iterrows():
                self.rules.decide({s: float(row[s]) for s in self.symbols})

    def adopt(self, fills: Iterable[Fill]) -> None:
        """Book fills that happened while the node was down (found by reconciliation)."""
        for fill in fills:
            self._book(fill)

    def sync_venue(self) -> None:
        """Apply what the venue has reported since the last look (after a cancel, say)."""
        self._settle(self.broker.drain_events())  # type: ignore[attr-defined]

    def _emit(self, topic: str, event: Any) -> None:
        if self.publish is not None:
            self.publish(topic, event)

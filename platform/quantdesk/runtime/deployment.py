"""Deployments: a promoted strategy version running in paper mode, durable across crashes.

``create_deployment`` records a deployment of a registry version. ``DeploymentRunner`` runs it: it rebuilds
the state of an earlier run from the database (orders from their event logs, fills, the broker's saved
state), reconciles the orders with the broker (fills and endings that happened while it was down; an
order recorded but never sent is sent now, once), and only then trades on. Every order is committed
before it is sent and every bar's fills, positions, equity and progress are committed before the next
bar; the simulated venue saves its own state whenever it changes, like an outside venue would.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from quantdesk.bus import Bus
from quantdesk.bus.codec import Event
from quantdesk.data.catalog import Catalog
from quantdesk.data.feeds import ReplayFeed
from quantdesk.data.panel import load_panel
from quantdesk.execution.costs import Costs, PercentFee, PercentSlippage
from quantdesk.execution.ids import client_order_id
from quantdesk.execution.simulated import SimBrokerState, SimulatedBroker, VenueChanges
from quantdesk.model import (
    Bar,
    DeploymentId,
    Order,
    OrderSide,
    OrderType,
    SubmitOrder,
    Symbol,
    TimeInForce,
    TradingState,
    UserId,
)
from quantdesk.persistence import (
    Deployment,
    PersistenceError,
    create_engine_for,
    session_factory,
    transaction,
    upgrade,
)
from quantdesk.portfolio import AccountType, Ledger
from quantdesk.risk import RiskContext, RiskEngine, RiskEvent, RiskProfile
from quantdesk.runtime.clock import SimulatedClock
from quantdesk.runtime.node import TradingNode
from quantdesk.runtime.outbox import OutboxRelay, stage_events
from quantdesk.runtime.research import resolve_adjustment
from quantdesk.strategy.errors import StrategyError
from quantdesk.strategy.registry import get_strategy


class TradingHalted(StrategyError):  # noqa: N818 - what the user is told happened
    """Trading stopped because its records could not be written."""


def _sessions(url: str) -> Any:
    if url.startswith("sqlite"):
        upgrade(url)
    return session_factory(create_engine_for(url))


def create_deployment(
    url: str,
    name: str,
    *,
    version: int | None = None,
    mode: str = "paper",
    feed: str = "replay",
    speed: float | None = None,
    cash: float = 100_000.0,
    user_id: str = "local",
    account: str = "cash",
) -> Deployment:
    """Record a deployment of registry version ``name`` (the latest unless ``version``) on a ``cash`` account
    (no borrowing, no shorts) or a Reg-T ``margin`` account (2× buying power, maintenance requirement)."""
    if account not in ("cash", "margin"):
        raise StrategyError(f"account {account!r} is not one of: cash, margin")
    if mode != "paper":
        raise StrategyError(f"mode {mode!r} is not available yet: deployments run in paper mode (simulated broker)")
    if feed != "replay":
        raise StrategyError(f"feed {feed!r} is not available yet: use --feed replay")
    with transaction(_sessions(url)) as uow:
        found = uow.strategies.get_version(name, version)
        if found is None:
            known = sorted({v.name for v in uow.strategies.all()})
            which = f"{name} v{version}" if version else name
            raise StrategyError(
                f"no promoted strategy {which} in the registry (promoted: {', '.join(known) or 'none'}); "
                "run `quantdesk promote` first"
            )
        symbols = [Symbol(s) for s in found.params.get("symbols", [])]
        return uow.deployments.create(
            found.id, UserId(user_id), mode, symbols, Decimal(repr(float(cash))), feed=feed, speed=speed,
            account_type=AccountType(account),
        )  # fmt: skip


@dataclass
class RunSummary:
    deployment_id: str
    bars: int
    orders: int
    fills: int
    resumed_from: datetime | None
    status: str


@dataclass(frozen=True)
class ManualOrderOutcome:
    """What became of a manual order: sent (``client_order_id``) or denied by the risk engine (``reason``)."""

    client_order_id: str | None
    rule: str | None = None
    reason: str | None = None

    @property
    def approved(self) -> bool:
        return self.client_order_id is not None


class DeploymentRunner:
    """Runs one deployment to the end of its data (or until stopped), resuming where it left off.

    While it runs, :meth:`submit_manual` sends a user's market order through the node's risk engine (the
    strategy's orders pass the same one) and :meth:`halt` pulls the kill switch at once; both take the lock
    the trading loop holds while it works a bar, so they act between bars.
    """

    def __init__(
        self,
        url: str,
        deployment_id: str,
        catalog: Catalog,
        *,
        sleep: Callable[[float], None] = time.sleep,
        bus: Bus | None = None,
    ) -> None:
        self.url, self.deployment_id, self.catalog, self._sleep = url, deployment_id, catalog, sleep
        self._sessions = _sessions(url)
        self._saved_events: dict[str, int] = {}
        self._saved_fills = 0
        self._risk_events: list[RiskEvent] = []
        self._events: list[Event] = []  # the bar's events, staged in the outbox with its records
        self.relay = None if bus is None else OutboxRelay(self._sessions, bus)
        self.node: TradingNode | None = None
        self._lock = threading.RLock()
        self._last_bars: list[Bar] = []
        self._trading = False  # between the first bar and the end of the run: manual orders are taken
        self._halted = False
        self._manual_ids: dict[str, int] = {}  # the last manual-<n> given per bar (denied orders included)

    def run(self, max_bars: int | None = None) -> RunSummary:
        dep_id = DeploymentId(self.deployment_id)
        with transaction(self._sessions) as uow:
            deployment = uow.deployments.get(dep_id)
            if deployment is None:
                raise StrategyError(f"no deployment {self.deployment_id}: see `quantdesk deploy`")
            version = uow.strategies.get(deployment.strategy_version_id)
            orders = uow.orders.for_deployment(dep_id)
            fills = uow.fills.for_deployment(dep_id)
            saved_state = uow.sim_broker.load(self.deployment_id)
            found = uow.risk.find_profile(deployment.user_id)
            uow.deployments.set_status(dep_id, "running")
        if deployment.trading_state == TradingState.HALTED.value:
            raise StrategyError(f"deployment {self.deployment_id} is halted by its kill switch; it does not trade")
        params = {k: v for k, v in version.params.items() if k != "symbols"}
        strategy = get_strategy(version.strategy_path)(symbols=list(version.params["symbols"]), **params)
        adjustment = resolve_adjustment(self.catalog, strategy, None, "1d")
        bars = load_panel(self.catalog, strategy.symbols, "1d", version.data_range_start, version.data_range_end,
                          adjustment=adjustment)  # fmt: skip
        costs = _costs(version.metrics.get("costs"))
        account = AccountType(deployment.account_type)
        state = (
            SimBrokerState.from_dict(saved_state)
            if saved_state
            else SimBrokerState(cash=deployment.cash, account_type=account.value)
        )
        self.broker = SimulatedBroker(costs, state, account_id=self.deployment_id)
        if saved_state:  # what was loaded is saved: only later changes are written
            self.broker.changes_saved(self.broker.venue_changes())
        node = TradingNode(
            deployment_id=self.deployment_id,
            strategy=strategy,
            broker=self.broker,
            clock=SimulatedClock(),
            cash=deployment.cash,
            risk=RiskEngine(RiskProfile.from_dict(found[1]) if found else RiskProfile()),
            window=len(bars),
            before_submit=self._record_order,
            publish=self._collect,
            account_rules=True,
            account_type=account,
        )
        self.node = node
        # rebuild: fills → ledger, orders → book, then the bars already acted on → window and rules
        node.ledger = Ledger.from_fills(deployment.cash, fills, account)
        self._saved_fills = len(node.ledger.fills)
        node.orders.restore(orders)
        self._saved_events = {str(o.client_order_id): len(o.events) for o in orders}
        feed = list(ReplayFeed(bars, "1d"))
        done = 0 if deployment.last_bar_ts is None else int((bars.index <= deployment.last_bar_ts).sum())
        if done:
            node.clock.advance_to(feed[done - 1][0].ts)
            node.warm_up(feed[:done])
        # reconcile with the venue before trading again
        node.orders.reconcile()
        node.adopt(node.orders.fills)  # the ledger books each trade id once: only fills found now are new
        self._flush(None)
        count = 0
        pause = None if deployment.speed is None else 86_400 / deployment.speed
        for bars_now in feed[done:]:
            if max_bars is not None and count >= max_bars:
                break
            if pause and count:
                self._sleep(pause)
            try:
                with self._lock:
                    if self._halted:  # the kill switch was pulled between bars: it cancelled and recorded all
                        self._trading = False
                        return RunSummary(self.deployment_id, count, len(node.orders.orders),
                                          len(node.ledger.fills), deployment.last_bar_ts, "halted")  # fmt: skip
                    node.on_bars(bars_now)
                    status = self._flush(bars_now[0].ts)
                    self._last_bars, self._trading = bars_now, status == "running"
            except PersistenceError as exc:
                # never trade unrecorded: an order is written before it is sent, so none left unwritten
                node.risk.kill(f"database unavailable: {exc}", bars_now[0].ts)
                raise TradingHalted(
                    f"trading halted at {bars_now[0].ts:%Y-%m-%d %H:%M}: the database is unavailable ({exc}); "
                    "nothing was sent unrecorded; run again when the database is back"
                ) from None
            count += 1
            if status in ("stopped", "halted"):
                if status == "halted":
                    with self._lock:
                        self._halt(node)
                return RunSummary(self.deployment_id, count, len(node.orders.orders), len(node.ledger.fills),
                                  deployment.last_bar_ts, status)  # fmt: skip
        # no runner is left: the deployment is stopped, at the end of its data ("finished") or part-way
        # ("paused", after --max-bars); `quantdesk run` resumes it
        with self._lock:
            self._trading = False
        outcome = "finished" if done + count >= len(feed) else "paused"
        with transaction(self._sessions) as uow:
            current = uow.deployments.get(dep_id)
            if current is not None and current.status == "running":
                uow.deployments.set_status(dep_id, "stopped")
        return RunSummary(self.deployment_id, count, len(node.orders.orders), len(node.ledger.fills),
                          deployment.last_bar_ts, outcome)  # fmt: skip

    def submit_manual(self, symbol: str, side: OrderSide, quantity: Decimal) -> ManualOrderOutcome:
        """A user's market order, decided at the last bar's close: it passes the node's risk engine as the
        strategy's orders do (a denial is recorded and published as a risk event), then is recorded and sent
        with the client order id ``<deployment>:<bar>:<symbol>:manual-<n>``; the venue fills it at the next
        bar's open. :class:`StrategyError` when the runner is not trading (not started, between runs, done)."""
        with self._lock:
            node = self.node
            if node is None or not self._trading or not self._last_bars:
                raise StrategyError(f"deployment {self.deployment_id} is not trading: start it first")
            instrument = Symbol(symbol)
            if instrument.value not in node.symbols:
                raise StrategyError(f"{instrument} is not traded by deployment {self.deployment_id} "
                                    f"(it trades {', '.join(node.symbols)})")  # fmt: skip
            ts = self._last_bars[0].ts
            stamp = str(client_order_id(self.deployment_id, ts, instrument, "manual-1")).rsplit(":", 2)[0]
            sent = sum(1 for cid in node.orders.orders if str(cid).startswith(f"{stamp}:") and ":manual-" in str(cid))
            taken = self._manual_ids[stamp] = max(sent, self._manual_ids.get(stamp, 0)) + 1  # denied ones count too
            command = SubmitOrder(
                client_order_id=client_order_id(self.deployment_id, ts, instrument, f"manual-{taken}"),
                symbol=instrument,
                side=side,
                order_type=OrderType.MARKET,
                quantity=quantity,
                ts=ts,
                time_in_force=TimeInForce.GTC,
                deployment_id=DeploymentId(self.deployment_id),
            )
            marks = {bar.symbol: Decimal(repr(bar.close)) for bar in self._last_bars}
            margin = node.ledger.account_type is AccountType.MARGIN
            ctx = RiskContext(
                ts=ts,
                equity=node.ledger.equity(marks),
                positions={Symbol(s): node.ledger.position(Symbol(s)).quantity for s in node.symbols},
                last_prices=marks,
                reference_prices=marks,
                buying_power=node.ledger.buying_power(marks) if margin else None,
                can_short=node.ledger.can_short,
            )
            denials = len(node.denials)
            node._send(command, ctx)  # the strategy's own path: risk engine, record, order manager, venue
            self._flush(None)
            if len(node.denials) > denials:
                event = node.denials[-1]
                return ManualOrderOutcome(None, event.rule, event.reason)
            return ManualOrderOutcome(str(command.client_order_id))

    def halt(self) -> bool:
        """The kill switch while running: HALTED now, open orders cancelled and recorded, the run ends before
        its next bar. False when there is nothing running to halt (set the trading state in the database)."""
        with self._lock:
            if self.node is None or not self._trading:
                return False
            self._halt(self.node)
            self._halted, self._trading = True, False
            return True

    # ----------------------------------------------------------------------------------------------------
    def _record_order(self, command: SubmitOrder) -> None:
        """Commit the order before it is sent — with the venue as it is now (this bar seen, the order not yet
        received), so that after a crash the venue neither forgets this bar nor works the order on it."""
        cid = str(command.client_order_id)
        if cid in self._saved_events:
            return  # decided again after a restart: the order exists (and the broker recognises its id)
        order = Order.from_command(command)
        changes = self.broker.venue_changes()
        with transaction(self._sessions) as uow:
            intent = "manual" if ":manual-" in cid else "target"
            uow.orders.add(order, DeploymentId(self.deployment_id), intent)
            self._write_venue(uow, changes)
        self.broker.changes_saved(changes)
        self._saved_events[cid] = 0

    def _collect(self, topic: str, event: Any) -> None:
        if topic == "risk":
            self._risk_events.append(event)
        if topic in ("order", "fill", "risk"):  # quarantined bars are recorded by the data layer, not published
            self._events.append(event)

    def _write_venue(self, uow: Any, changes: VenueChanges) -> None:
        lists = {"orders": changes.orders, "fills": changes.fills}
        uow.sim_broker.save_changes(self.deployment_id, changes.account, lists)

    def _flush(self, bar_ts: datetime | None) -> str:
        """Commit the bar: order events, fills, positions, risk events, equity, progress and the venue's state,
        together (a crash before it replays the bar; the venue, saved with it, works it the same way)."""
        node, dep_id = self.node, DeploymentId(self.deployment_id)
        changes = self.broker.venue_changes()
        with transaction(self._sessions) as uow:
            self._write_venue(uow, changes)
            for cid, order in node.orders.orders.items():
                key = str(cid)  # every order was recorded before it was sent (or restored from the database)
                for event in order.events[self._saved_events[key] :]:
                    uow.orders.append_event(event)
                self._saved_events[key] = len(order.events)
            for fill in node.ledger.fills[self._saved_fills :]:
                uow.fills.add(fill, dep_id)
            self._saved_fills = len(node.ledger.fills)
            for symbol in node.symbols:
                uow.positions.save(dep_id, node.ledger.position(Symbol(symbol)))
            for event in self._risk_events:
                uow.risk.record_event(
                    dep_id, event.ts, str(event.kind), rule=event.rule, reason=event.reason, details=event.details
                )
            if bar_ts is not None and node.snapshots:
                snap = node.snapshots[-1]
                uow.equity.snapshot(dep_id, snap.ts, snap.cash, snap.equity)
                uow.deployments.set_last_bar(dep_id, bar_ts)
                self._events.append(snap)
            stage_events(uow, self._events, scope=self.deployment_id)
            current = uow.deployments.get(dep_id)
        self.broker.changes_saved(changes)
        self._risk_events.clear()
        self._events.clear()
        if self.relay is not None:
            self.relay.relay()
        if current is None:
            raise PersistenceError(f"deployment {self.deployment_id} disappeared from the database")
        return "halted" if current.trading_state == TradingState.HALTED.value else current.status

    def _halt(self, node: TradingNode) -> None:
        self._risk_events.append(node.risk.kill("kill switch", node.clock.now()))
        node.orders.cancel_all()
        node.sync_venue()
        self._flush(None)
        with transaction(self._sessions) as uow:
            uow.deployments.set_status(DeploymentId(self.deployment_id), "halted")


def _costs(saved: dict[str, Any] | None) -> Costs:
    if not saved:
        return Costs.of(fees=0.001)
    return Costs(PercentFee(**saved.get("fees", {})), PercentSlippage(**saved.get("slippage", {})))


class DeploymentHandle:
    """A deployment running in a background thread, so a notebook's kernel (and its event loop) stays free.

    >>> handle = start_deployment(url, "dep-...", catalog)   # doctest: +SKIP
    >>> handle.running, handle.stop(), handle.wait()         # doctest: +SKIP
    """

    def __init__(self, runner: DeploymentRunner, max_bars: int | None) -> None:
        import threading

        self.runner = runner
        self.summary: RunSummary | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(max_bars,), name=f"quantdesk-{runner.deployment_id}")
        self._thread.daemon = True
        self._thread.start()

    def _run(self, max_bars: int | None) -> None:
        try:
            self.summary = self.runner.run(max_bars=max_bars)
        except BaseException as exc:  # kept for the caller: a background thread has nobody else to tell
            self.error = exc

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @property
    def bars(self) -> int:
        """Bars traded so far in this run."""
        node = self.runner.node
        return 0 if node is None else node.stats.bars

    def stop(self) -> None:
        """Ask the runner to stop after its current bar (as ``quantdesk stop`` does)."""
        with transaction(self.runner._sessions) as uow:
            uow.deployments.set_status(DeploymentId(self.runner.deployment_id), "stopped")

    def wait(self, timeout: float | None = None) -> RunSummary:
        """Block until the run ends; re-raises what stopped it, if it failed."""
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError(f"deployment {self.runner.deployment_id} is still running")
        if self.error is not None:
            raise self.error
        assert self.summary is not None
        return self.summary


def start_deployment(
    url: str,
    deployment_id: str,
    catalog: Catalog,
    *,
    max_bars: int | None = None,
    bus: Bus | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> DeploymentHandle:
    """Run a deployment without blocking the caller (a notebook): returns a handle to watch and stop it.
    With ``bus``, its events are published there after each bar; ``sleep`` waits between paced bars (one a
    caller can interrupt lets a stop take effect without waiting out the pause)."""
    return DeploymentHandle(DeploymentRunner(url, deployment_id, catalog, bus=bus, sleep=sleep), max_bars)

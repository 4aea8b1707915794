"""The order manager against the real simulated broker, and against brokers that time out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from quantdesk.execution import (
    BrokerOrder,
    BrokerRejected,
    BrokerTimeout,
    Costs,
    OrderManager,
    OrderManagerError,
    SimBrokerState,
    SimulatedBroker,
    client_order_id,
)
from quantdesk.model import (
    Bar,
    ClientOrderId,
    DeploymentId,
    Order,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderPendingCancel,
    OrderRejected,
    OrderSide,
    OrderStatus,
    OrderSubmitted,
    OrderType,
    SubmitOrder,
    Symbol,
    Timeframe,
    TimeInForce,
    TradeId,
    VenueOrderId,
)

D = Decimal
SYM = Symbol("AAPL")
DEPLOYMENT = DeploymentId("trend-1")
T0 = datetime(2024, 3, 4, tzinfo=UTC)


@dataclass
class FixedClock:
    ts: datetime = T0

    def now(self) -> datetime:
        return self.ts


def command(intent: str = "target", side: str = "buy", quantity: str = "10", **kw) -> SubmitOrder:
    return SubmitOrder(
        client_order_id=client_order_id(DEPLOYMENT, T0, SYM, intent),
        symbol=SYM,
        side=OrderSide(side),
        order_type=kw.pop("order_type", OrderType.MARKET),
        quantity=D(quantity),
        ts=T0,
        time_in_force=TimeInForce.GTC,
        **kw,
    )


def bar(day: int, price: float = 100.0) -> Bar:
    return Bar(SYM, Timeframe.parse("1d"), T0 + timedelta(days=day), price, price + 1, price - 1, price, 1e6)


def sim(cash: str = "10000") -> SimulatedBroker:
    return SimulatedBroker(Costs.of(0.001), SimBrokerState(cash=D(cash)))


@dataclass
class FlakyBroker:
    """A real simulated broker behind a link that loses the answer to the next submit, before or after the
    venue got it."""

    venue: SimulatedBroker
    lose: str | None = None  # "before" or "after" the venue accepts the next submit
    submits: list[SubmitOrder] = field(default_factory=list)

    def submit(self, cmd: SubmitOrder) -> BrokerOrder:
        self.submits.append(cmd)
        lose, self.lose = self.lose, None
        if lose == "before":
            raise BrokerTimeout("no answer from the broker")
        answer = self.venue.submit(cmd)
        if lose == "after":
            raise BrokerTimeout("no answer from the broker")
        return answer

    def __getattr__(self, name: str):  # cancel, order, fills, ... go straight through
        return getattr(self.venue, name)


def test_submit_creates_the_order_sends_it_and_applies_the_acceptance() -> None:
    broker = sim()
    manager = OrderManager(DEPLOYMENT, broker, FixedClock())
    order = manager.submit(command())
    assert order.status is OrderStatus.ACCEPTED
    assert order.deployment_id == DEPLOYMENT
    assert [type(e) for e in order.events] == [OrderSubmitted, OrderAccepted]
    assert order.venue_order_id == broker.order(order.client_order_id).venue_order_id
    assert manager.open_orders() == [order]


def test_broker_events_fill_the_order_and_repeats_are_ignored() -> None:
    broker = sim()
    manager = OrderManager(DEPLOYMENT, broker, FixedClock())
    order = manager.submit(command())
    broker.on_bar(bar(0))
    events = broker.drain_events()  # the acceptance (already applied from submit's answer) and the fill
    report = manager.on_events(events)
    assert [type(e) for e in report.applied] == [OrderFilled]
    assert [type(e) for e in report.duplicates] == [OrderAccepted]
    assert order.status is OrderStatus.FILLED
    assert manager.fills == order.fills
    again = manager.on_events(events)
    assert again.applied == ()
    assert len(again.duplicates) == 2  # the same fill (trade id) is not applied twice
    assert len(manager.fills) == 1


def test_events_of_unknown_orders_and_refused_transitions_are_reported_not_raised() -> None:
    manager = OrderManager(DEPLOYMENT, sim(), FixedClock())
    order = manager.submit(command())
    stranger = OrderCanceled(ClientOrderId("someone-else"), T0)
    late_ack = OrderAccepted(order.client_order_id, T0, venue_order_id=VenueOrderId("other"))
    report = manager.on_events([stranger, late_ack])
    assert [s.event for s in report.skipped] == [stranger, late_ack]
    assert "unknown order someone-else" in report.skipped[0].reason
    assert "not allowed" in report.skipped[1].reason
    assert order.status is OrderStatus.ACCEPTED


def test_a_resubmission_returns_the_order_without_sending_it_again() -> None:
    broker = FlakyBroker(sim())
    manager = OrderManager(DEPLOYMENT, broker, FixedClock())
    first = manager.submit(command())
    assert manager.submit(command()) is first
    assert len(broker.submits) == 1
    with pytest.raises(OrderManagerError, match="already used by a different order"):
        manager.submit(command(quantity="11"))


def test_a_rejection_by_the_broker_rejects_the_order() -> None:
    manager = OrderManager(DEPLOYMENT, sim("0"), FixedClock())
    order = manager.submit(command())
    assert order.status is OrderStatus.REJECTED
    assert "insufficient cash" in order.events[-1].reason


def test_timeout_after_the_broker_accepted_is_resolved_by_adopting_its_order_without_resending() -> None:
    broker = FlakyBroker(sim(), lose="after")
    manager = OrderManager(DEPLOYMENT, broker, FixedClock())
    order = manager.submit(command())
    assert order.status is OrderStatus.SUBMITTED
    assert manager.unknown == {order.client_order_id}
    broker.on_bar(bar(0))  # meanwhile the venue fills it
    assert manager.resolve_unknown() == [order]
    assert order.status is OrderStatus.FILLED
    assert [type(e) for e in order.events] == [OrderSubmitted, OrderAccepted, OrderFilled]
    assert manager.unknown == frozenset()
    assert manager.submit(command()) is order
    assert len(broker.submits) == 1
    assert len(broker.venue.state.orders) == 1


def test_timeout_before_the_broker_got_it_rejects_locally_and_allows_one_retry_under_the_same_id() -> None:
    broker = FlakyBroker(sim(), lose="before")
    manager = OrderManager(DEPLOYMENT, broker, FixedClock())
    lost = manager.submit(command())
    assert manager.unknown == {lost.client_order_id}
    manager.resolve_unknown()
    assert lost.status is OrderStatus.REJECTED
    assert lost.events[-1] == OrderRejected(lost.client_order_id, T0, "the broker never received the order")
    retried = manager.submit(command())
    assert retried is not lost
    assert retried.status is OrderStatus.ACCEPTED
    assert retried.client_order_id == lost.client_order_id
    assert manager.submit(command()) is retried  # only once
    assert len(broker.submits) == 2


def test_an_unanswered_question_leaves_the_order_unknown() -> None:
    broker = FlakyBroker(sim(), lose="before")
    manager = OrderManager(DEPLOYMENT, broker, FixedClock())
    order = manager.submit(command())

    def no_answer(cid: ClientOrderId) -> None:
        raise BrokerTimeout("still no answer")

    broker.order = no_answer  # type: ignore[method-assign]
    assert manager.resolve_unknown() == []
    assert order.status is OrderStatus.SUBMITTED
    assert manager.unknown == {order.client_order_id}


def test_cancel_a_working_order() -> None:
    broker = sim()
    manager = OrderManager(DEPLOYMENT, broker, FixedClock())
    order = manager.submit(command(order_type=OrderType.LIMIT, limit_price=D("50")))
    manager.cancel(order.client_order_id)
    assert order.status is OrderStatus.CANCELED
    assert [type(e) for e in order.events][-2:] == [OrderPendingCancel, OrderCanceled]
    assert manager.on_events(broker.drain_events()).skipped == ()  # the broker's own copies are repeats
    with pytest.raises(OrderManagerError, match="already canceled"):
        manager.cancel(order.client_order_id)
    with pytest.raises(OrderManagerError, match="unknown order"):
        manager.cancel(ClientOrderId("nope"))


def test_cancel_of_an_order_that_filled_meanwhile_applies_the_fill_and_reraises() -> None:
    broker = sim()
    manager = OrderManager(DEPLOYMENT, broker, FixedClock())
    order = manager.submit(command())
    broker.on_bar(bar(0))  # filled at the venue; we have not seen the event yet
    with pytest.raises(BrokerRejected, match="already filled"):
        manager.cancel(order.client_order_id)
    assert order.status is OrderStatus.FILLED
    assert [f.trade_id for f in manager.fills] == [TradeId("sim-1")]


def test_cancel_all_is_the_kill_switch() -> None:
    broker = FlakyBroker(sim())
    manager = OrderManager(DEPLOYMENT, broker, FixedClock())
    limits = [
        manager.submit(command(intent, order_type=OrderType.LIMIT, limit_price=D("50")))
        for intent in ("manual-1", "manual-2")
    ]
    broker.lose = "before"
    lost = manager.submit(command("manual-3", order_type=OrderType.LIMIT, limit_price=D("50")))
    assert manager.cancel_all() == []
    assert [o.status for o in limits] == [OrderStatus.CANCELED, OrderStatus.CANCELED]
    assert lost.status is OrderStatus.REJECTED
    assert broker.venue.open_orders() == []


def test_submit_refuses_another_deployments_order() -> None:
    manager = OrderManager(DEPLOYMENT, sim(), FixedClock())
    cmd = SubmitOrder(
        client_order_id=ClientOrderId("x"),
        symbol=SYM,
        side=OrderSide.BUY,
        order_type=OrderType.MARKET,
        quantity=D(1),
        ts=T0,
        deployment_id=DeploymentId("other"),
    )
    with pytest.raises(OrderManagerError, match="deployment other"):
        manager.submit(cmd)


def test_fills_of_a_partially_filled_order_are_adopted_in_full() -> None:
    venue = SimulatedBroker(Costs(), SimBrokerState(cash=D("10000")), max_volume_pct=0.1)
    broker = FlakyBroker(venue, lose="after")
    manager = OrderManager(DEPLOYMENT, broker, FixedClock())
    order = manager.submit(command(quantity="25"))
    for day in range(2):
        venue.on_bar(Bar(SYM, Timeframe.parse("1d"), T0 + timedelta(days=day), 10.0, 10.0, 10.0, 10.0, 100.0))
    manager.resolve_unknown()
    assert (order.status, order.filled_quantity) == (OrderStatus.PARTIALLY_FILLED, D("20"))
    report = manager.on_events(venue.drain_events())
    assert report.applied == ()
    assert report.skipped == ()
    assert [fill.quantity for fill in manager.fills] == [D("10.0"), D("10.0")]


def rebuilt(order: Order) -> Order:
    """The order as a restart rebuilds it from its stored events."""
    copy = Order.from_command(command(quantity=str(order.quantity)))
    for event in order.events:
        copy.apply(event)
    return copy


def test_restart_adopts_fills_that_happened_while_the_manager_was_down() -> None:
    venue = sim()
    first = OrderManager(DEPLOYMENT, venue, FixedClock())
    placed = first.submit(command())
    venue.on_bar(bar(1))  # the fill happens; the manager that sent the order is gone before hearing of it
    restarted = OrderManager(DEPLOYMENT, venue, FixedClock(T0 + timedelta(days=2)))
    restarted.restore([rebuilt(placed)])
    changed = restarted.reconcile()
    (order,) = changed
    assert order.status is OrderStatus.FILLED
    assert [f.trade_id for f in restarted.fills] == [f.trade_id for f in venue.fills()]
    assert restarted.reconcile() == []  # nothing more to learn


def test_restart_sends_once_an_order_that_was_recorded_but_never_sent() -> None:
    venue = sim()
    recorded = Order.from_command(command())  # committed, then the process died before sending it
    manager = OrderManager(DEPLOYMENT, venue, FixedClock())
    manager.restore([recorded])
    (order,) = manager.reconcile()
    assert order.status is OrderStatus.ACCEPTED
    assert len(venue.open_orders()) == 1
    assert manager.submit(command()) is order  # deciding again after the restart does not send it twice
    assert len(venue.open_orders()) == 1


def test_restart_recognises_an_order_the_venue_got_before_the_crash() -> None:
    venue = sim()
    venue.submit(command())  # the venue has it; our record never got past INITIALIZED
    manager = OrderManager(DEPLOYMENT, venue, FixedClock())
    manager.restore([Order.from_command(command())])
    (order,) = manager.reconcile()
    assert order.status is OrderStatus.ACCEPTED
    assert len(venue.open_orders()) == 1

"""Orders are stored with their event log and rebuilt from it; fills are stored once per trade id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from quantdesk.model import (
    ClientOrderId,
    DeploymentId,
    Fill,
    InvalidOrderTransition,
    LiquiditySide,
    Order,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderFilled,
    OrderPendingCancel,
    OrderRejected,
    OrderSide,
    OrderStatus,
    OrderSubmitted,
    OrderType,
    Symbol,
    TimeInForce,
    TradeId,
    UserId,
    VenueOrderId,
)
from quantdesk.persistence import PersistenceError, create_engine_for, session_factory, transaction, upgrade
from quantdesk.persistence.tables import OrderEventRow, OrderRow

T0 = datetime(2024, 3, 4, 14, 30, tzinfo=UTC)


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    url = f"sqlite:///{tmp_path / 'quantdesk.db'}"
    upgrade(url)
    engine = create_engine_for(url)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def deployment(sessions: sessionmaker[Session]) -> DeploymentId:
    with transaction(sessions) as uow:
        version = uow.strategies.create("sma", "strategies.sma:SmaCross", params={}, code_hash="h")
        return uow.deployments.create(version.id, UserId("u1"), "paper", [Symbol("SPY")], Decimal(100_000)).id


def make_order(name: str = "o1", *, minutes: int = 0, **changes: object) -> Order:
    fields: dict[str, object] = {
        "client_order_id": ClientOrderId(name),
        "symbol": Symbol("SPY"),
        "side": OrderSide.BUY,
        "order_type": OrderType.LIMIT,
        "quantity": Decimal("3"),
        "limit_price": Decimal("101.25"),
        "time_in_force": TimeInForce.GTC,
        "ts_init": T0 + timedelta(minutes=minutes),
    }
    return Order(**{**fields, **changes})  # type: ignore[arg-type]


def make_fill(order: str, trade: str, quantity: str, price: str, minutes: int = 1, **changes: object) -> Fill:
    fields: dict[str, object] = {
        "trade_id": TradeId(trade),
        "client_order_id": ClientOrderId(order),
        "symbol": Symbol("SPY"),
        "side": OrderSide.BUY,
        "quantity": Decimal(quantity),
        "price": Decimal(price),
        "fee": Decimal("0.35"),
        "ts": T0 + timedelta(minutes=minutes),
        "liquidity_side": LiquiditySide.MAKER,
    }
    return Fill(**{**fields, **changes})  # type: ignore[arg-type]


def life_of_an_order() -> list:
    """Submitted, accepted, a cancel refused, two fills (the average does not terminate), filled."""
    order = ClientOrderId("o1")
    return [
        OrderSubmitted(order, T0 + timedelta(seconds=1)),
        OrderAccepted(order, T0 + timedelta(seconds=2), VenueOrderId("v-77")),
        OrderFilled(make_fill("o1", "t1", "1", "100", minutes=1)),
        OrderPendingCancel(order, T0 + timedelta(minutes=2)),
        OrderCancelRejected(order, T0 + timedelta(minutes=3), "too late to cancel"),
        OrderFilled(make_fill("o1", "t2", "2", "100.5", minutes=4)),
    ]


def test_an_order_rebuilt_from_its_events_equals_the_original(
    sessions: sessionmaker[Session], deployment: DeploymentId
) -> None:
    original = make_order()
    with transaction(sessions) as uow:
        uow.orders.add(make_order(), deployment, "target")
    for event in life_of_an_order():
        original.apply(event)
        with transaction(sessions) as uow:
            uow.orders.append_event(event)
    with transaction(sessions) as uow:
        rebuilt = uow.orders.get(ClientOrderId("o1"))
    assert rebuilt is not None
    assert rebuilt.status is original.status is OrderStatus.FILLED
    assert rebuilt.filled_quantity == original.filled_quantity == Decimal(3)
    assert rebuilt.avg_fill_price == original.avg_fill_price == Decimal("100.3333333333333333333333333")
    assert rebuilt.venue_order_id == original.venue_order_id == VenueOrderId("v-77")
    assert rebuilt.events == original.events
    assert rebuilt.fills == original.fills
    assert [e.ts for e in rebuilt.events] == [e.ts for e in original.events]
    assert (rebuilt.symbol, rebuilt.side, rebuilt.order_type, rebuilt.time_in_force) == (
        original.symbol,
        original.side,
        original.order_type,
        original.time_in_force,
    )
    assert (rebuilt.quantity, rebuilt.limit_price, rebuilt.stop_price) == (Decimal(3), Decimal("101.25"), None)
    assert rebuilt.ts_init == original.ts_init
    assert rebuilt.deployment_id == deployment


def test_the_order_row_caches_status_fill_progress_and_venue_id(
    sessions: sessionmaker[Session], deployment: DeploymentId
) -> None:
    with transaction(sessions) as uow:
        uow.orders.add(make_order(), deployment, "target")
        for event in life_of_an_order()[:3]:
            returned = uow.orders.append_event(event)
    assert returned.status is OrderStatus.PARTIALLY_FILLED
    with sessions() as session:
        row = session.get(OrderRow, "o1")
        assert row is not None
        assert (row.status, row.filled_quantity, row.avg_fill_price) == ("partially_filled", Decimal(1), Decimal(100))
        assert (row.venue_order_id, row.intent, row.deployment_id) == ("v-77", "target", deployment.value)
        assert row.updated_at == T0 + timedelta(minutes=1)
        kinds = session.scalars(select(OrderEventRow.kind).order_by(OrderEventRow.id)).all()
        assert kinds == ["submitted", "accepted", "filled"]


def test_every_event_kind_round_trips(sessions: sessionmaker[Session], deployment: DeploymentId) -> None:
    rejected, canceled = make_order("r1"), make_order("c1", order_type=OrderType.MARKET, limit_price=None)
    rejected.apply(OrderRejected(ClientOrderId("r1"), T0, "max_order_notional exceeded"))
    with transaction(sessions) as uow:
        uow.orders.add(rejected, deployment, "target")  # a pre-trade rejection, stored with the order
        uow.orders.add(canceled, deployment, "flat")
        uow.orders.append_event(OrderSubmitted(ClientOrderId("c1"), T0))
        uow.orders.append_event(OrderCanceled(ClientOrderId("c1"), T0 + timedelta(seconds=5)))
    with transaction(sessions) as uow:
        stored_rejected, stored_canceled = uow.orders.get("r1"), uow.orders.get("c1")
        assert uow.orders.intent("c1") == "flat"
    assert stored_rejected is not None
    assert stored_canceled is not None
    assert stored_rejected.events == rejected.events
    assert stored_rejected.status is OrderStatus.REJECTED
    assert stored_canceled.status is OrderStatus.CANCELED
    assert stored_canceled.limit_price is None


def test_an_event_the_order_cannot_apply_is_refused_and_not_stored(
    sessions: sessionmaker[Session], deployment: DeploymentId
) -> None:
    with transaction(sessions) as uow:
        uow.orders.add(make_order(), deployment, "target")
    with pytest.raises(InvalidOrderTransition, match="that transition is not allowed"), transaction(sessions) as uow:
        uow.orders.append_event(OrderFilled(make_fill("o1", "t1", "1", "100")))
    with transaction(sessions) as uow:
        order = uow.orders.get("o1")
        assert uow.session.scalar(select(func.count()).select_from(OrderEventRow)) == 0
    assert order is not None
    assert order.status is OrderStatus.INITIALIZED


def test_an_event_for_an_unknown_order_is_an_error(sessions: sessionmaker[Session]) -> None:
    with (
        pytest.raises(PersistenceError, match="no order nope to apply OrderSubmitted to"),
        transaction(sessions) as uow,
    ):
        uow.orders.append_event(OrderSubmitted(ClientOrderId("nope"), T0))


def test_client_order_ids_are_never_reused(sessions: sessionmaker[Session], deployment: DeploymentId) -> None:
    with transaction(sessions) as uow:
        uow.orders.add(make_order(), deployment, "target")
    with pytest.raises(PersistenceError, match="o1 exists already"), transaction(sessions) as uow:
        uow.orders.add(make_order(), deployment, "target")


def test_an_order_of_another_deployment_is_refused(sessions: sessionmaker[Session], deployment: DeploymentId) -> None:
    order = make_order(deployment_id=DeploymentId("dep-other"))
    with pytest.raises(PersistenceError, match="belongs to deployment dep-other"), transaction(sessions) as uow:
        uow.orders.add(order, deployment, "target")


def test_open_orders_are_the_unfinished_ones_oldest_first(
    sessions: sessionmaker[Session], deployment: DeploymentId
) -> None:
    with transaction(sessions) as uow:
        for minutes, name in enumerate(["done", "working", "created"]):
            uow.orders.add(make_order(name, minutes=minutes), deployment, "target")
        for name in ("done", "working"):
            uow.orders.append_event(OrderSubmitted(ClientOrderId(name), T0 + timedelta(minutes=5)))
        uow.orders.append_event(OrderFilled(make_fill("done", "t1", "3", "100", minutes=6)))
    with transaction(sessions) as uow:
        open_orders = uow.orders.open_orders(deployment)
        every = uow.orders.for_deployment(deployment)
        other = uow.orders.open_orders(DeploymentId("dep-other"))
    assert [o.client_order_id.value for o in open_orders] == ["working", "created"]
    assert [o.status for o in open_orders] == [OrderStatus.SUBMITTED, OrderStatus.INITIALIZED]
    assert [o.client_order_id.value for o in every] == ["done", "working", "created"]
    assert every[0].status is OrderStatus.FILLED
    assert other == []


def test_a_fill_is_stored_once_per_trade_id(sessions: sessionmaker[Session], deployment: DeploymentId) -> None:
    fill = make_fill("o1", "t1", "1.5", "100.125")
    with transaction(sessions) as uow:
        uow.orders.add(make_order(), deployment, "target")
        assert uow.fills.add(fill, deployment) is True
        assert uow.fills.add(fill, deployment) is False
    with transaction(sessions) as uow:
        assert uow.fills.add(fill, deployment) is False
        assert uow.fills.for_deployment(deployment) == [fill]
        assert uow.fills.for_order("o1") == [fill]


def test_a_trade_id_reported_again_with_other_data_is_an_error(
    sessions: sessionmaker[Session], deployment: DeploymentId
) -> None:
    with transaction(sessions) as uow:
        uow.orders.add(make_order(), deployment, "target")
        uow.fills.add(make_fill("o1", "t1", "1", "100"), deployment)
    other_data = r"trade t1 of deployment dep-\w+ is stored already with other data"
    with pytest.raises(PersistenceError, match=other_data), transaction(sessions) as uow:
        uow.fills.add(make_fill("o1", "t1", "2", "100"), deployment)


def test_fills_round_trip_in_time_order_and_since(sessions: sessionmaker[Session], deployment: DeploymentId) -> None:
    fills = [
        make_fill("o1", "t3", "0.5", "99.875", minutes=3, liquidity_side=None),
        make_fill("o1", "t1", "1", "100", minutes=1),
        make_fill("o1", "t2", "1.5", "100.0000000001", minutes=2, fee=Decimal(0)),
    ]
    with transaction(sessions) as uow:
        uow.orders.add(make_order(), deployment, "target")
        assert [uow.fills.add(fill, deployment) for fill in fills] == [True, True, True]
    with transaction(sessions) as uow:
        stored = uow.fills.for_deployment(deployment)
        recent = uow.fills.for_deployment(deployment, since=T0 + timedelta(minutes=2))
    assert stored == [fills[1], fills[2], fills[0]]
    assert all(fill.ts.tzinfo is UTC for fill in stored)
    assert recent == [fills[2], fills[0]]

"""The persistence round-trips against a real PostgreSQL server, each test in its own schema.

Set QUANTDESK_TEST_POSTGRES_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test); without it these
tests skip, except under CI=true where they fail.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from conftest import server_url
from sqlalchemy.orm import Session, sessionmaker

from quantdesk.model import (
    ClientOrderId,
    DeploymentId,
    Fill,
    Order,
    OrderAccepted,
    OrderFilled,
    OrderSide,
    OrderStatus,
    OrderSubmitted,
    OrderType,
    Position,
    Symbol,
    TradeId,
    TradingState,
    UserId,
    VenueOrderId,
)
from quantdesk.persistence import (
    PersistenceError,
    check,
    create_engine_for,
    current,
    downgrade,
    session_factory,
    transaction,
    upgrade,
)
from quantdesk.persistence.tables import Base

pytestmark = pytest.mark.postgres

T0 = datetime(2024, 3, 4, 14, 30, tzinfo=UTC)
EXACT = [
    Decimal("95.23809523809524"),
    Decimal("100.3333333333333333333333333"),
    Decimal("123456789012345.1234567891"),
    Decimal("0.000000000000000001"),
    Decimal("1234567890.123456789012345678901234567890"),
]
PROFILE: dict[str, Any] = {
    "max_weight_per_symbol": 0.25,
    "max_gross_exposure": 1.0,
    "max_order_notional": Decimal("25000.50"),
    "max_orders_per_minute": 30,
    "price_collar_pct": 0.05,
    "duplicate_window_seconds": 2.0,
    "max_daily_loss": 0.03,
    "max_drawdown": 0.1,
    "allowed_symbols": ["SPY"],
    "allow_short": True,
    "stop_loss_pct": None,
    "take_profit_pct": 0.1,
    "trailing_stop_pct": None,
}


@pytest.fixture
def url() -> Iterator[str]:
    """A migrated database in a schema of its own (the `test` database is shared), dropped afterwards. The
    session time zone is Tokyo, so timestamps that come back in UTC were converted, not assumed."""
    server = server_url("postgres")
    schema = f"qd_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    options = f"-csearch_path={schema} -ctimezone=Asia/Tokyo"
    scoped = sa.make_url(server).update_query_dict({"options": options}).render_as_string(hide_password=False)
    try:
        upgrade(scoped)
        yield scoped
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def sessions(url: str) -> Iterator[sessionmaker[Session]]:
    engine = create_engine_for(url)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def deployment(sessions: sessionmaker[Session]) -> DeploymentId:
    with transaction(sessions) as uow:
        version = uow.strategies.create("sma", "strategies.sma:SmaCross", params={"fast": 10}, code_hash="h")
        return uow.deployments.create(version.id, UserId("u1"), "paper", [Symbol("SPY")], Decimal(100_000)).id


def make_fill(trade: str, quantity: str, price: str, minutes: int = 1) -> Fill:
    return Fill(
        trade_id=TradeId(trade),
        client_order_id=ClientOrderId("o1"),
        symbol=Symbol("SPY"),
        side=OrderSide.BUY,
        quantity=Decimal(quantity),
        price=Decimal(price),
        fee=Decimal("0.35"),
        ts=T0 + timedelta(minutes=minutes),
    )


def make_order() -> Order:
    return Order(
        client_order_id=ClientOrderId("o1"),
        symbol=Symbol("SPY"),
        side=OrderSide.BUY,
        order_type=OrderType.MARKET,
        quantity=Decimal(3),
        ts_init=T0,
    )


def test_the_migration_matches_the_models_and_check_follows_the_revision(url: str) -> None:
    engine = create_engine_for(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        types = connection.exec_driver_sql(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = 'fills' AND column_name IN ('price', 'ts')"
        )
        assert dict(types.all()) == {"price": "numeric", "ts": "timestamp with time zone"}
    engine.dispose()
    assert current(url) == "0004"
    check(url)
    assert upgrade(url) == "0004"
    assert downgrade(url, "base") is None
    with pytest.raises(PersistenceError, match=r"is not migrated: run `quantdesk db upgrade`"):
        check(url)
    assert upgrade(url) == "0004"


def test_decimals_and_timestamps_round_trip_exactly(sessions: sessionmaker[Session], deployment: DeploymentId) -> None:
    tokyo = timezone(timedelta(hours=9))
    with transaction(sessions) as uow:
        for minutes, value in enumerate(EXACT):
            uow.equity.snapshot(deployment, (T0 + timedelta(minutes=minutes)).astimezone(tokyo), value, -value)
    with transaction(sessions) as uow:
        curve = uow.equity.curve(deployment)
    assert [cash for _, cash, _ in curve] == EXACT
    assert [equity for _, _, equity in curve] == [-value for value in EXACT]
    assert [ts for ts, _, _ in curve] == [T0 + timedelta(minutes=m) for m in range(len(EXACT))]
    assert all(ts.tzinfo is UTC for ts, _, _ in curve)


def test_an_order_rebuilt_from_its_events_equals_the_original(
    sessions: sessionmaker[Session], deployment: DeploymentId
) -> None:
    original = make_order()
    events = [
        OrderSubmitted(ClientOrderId("o1"), T0 + timedelta(seconds=1)),
        OrderAccepted(ClientOrderId("o1"), T0 + timedelta(seconds=2), VenueOrderId("v-1")),
        OrderFilled(make_fill("t1", "1", "100", minutes=1)),
        OrderFilled(make_fill("t2", "2", "100.5", minutes=2)),
    ]
    with transaction(sessions) as uow:
        uow.orders.add(make_order(), deployment, "target")
    for event in events:
        original.apply(event)
        with transaction(sessions) as uow:
            uow.orders.append_event(event)
    with transaction(sessions) as uow:
        rebuilt = uow.orders.get("o1")
        open_orders = uow.orders.open_orders(deployment)
    assert rebuilt is not None
    assert (rebuilt.status, rebuilt.filled_quantity) == (OrderStatus.FILLED, Decimal(3))
    assert rebuilt.avg_fill_price == original.avg_fill_price == Decimal("100.3333333333333333333333333")
    assert rebuilt.events == original.events
    assert open_orders == []


def test_fills_are_idempotent_on_trade_id(sessions: sessionmaker[Session], deployment: DeploymentId) -> None:
    fills = [make_fill("t2", "2", "100.5", minutes=2), make_fill("t1", "1.25", "100.0000000001")]
    with transaction(sessions) as uow:
        uow.orders.add(make_order(), deployment, "target")
        assert [uow.fills.add(f, deployment) for f in fills] == [True, True]
    with transaction(sessions) as uow:
        assert uow.fills.add(fills[0], deployment) is False
        assert uow.fills.for_deployment(deployment) == [fills[1], fills[0]]
    with pytest.raises(PersistenceError, match="stored already with other data"), transaction(sessions) as uow:
        uow.fills.add(make_fill("t1", "9", "100"), deployment)


def test_positions_risk_deployments_and_broker_state_round_trip(
    sessions: sessionmaker[Session], deployment: DeploymentId
) -> None:
    spy = Position.from_fills(Symbol("SPY"), [make_fill("t1", "95.23809523809524", "101.37")])
    state = {"cash": "99000.125", "orders": [], "seq": 7}
    with transaction(sessions) as uow:
        uow.positions.save(deployment, Position(Symbol("SPY")))
        uow.positions.save(deployment, spy)
        profile_id = uow.risk.save_profile(UserId("u1"), "default", PROFILE)
        uow.risk.record_event(deployment, T0, "kill_switch", reason="operator", details={"by": "u1"})
        uow.deployments.set_trading_state(deployment, TradingState.HALTED)
        uow.deployments.set_last_bar(deployment, T0)
        uow.sim_broker.save("paper-1", state)
    with transaction(sessions) as uow:
        assert uow.positions.all(deployment) == {Symbol("SPY"): spy}
        assert uow.risk.get_profile(profile_id) == PROFILE
        (event,) = uow.risk.events(deployment)
        stored = uow.deployments.get(deployment)
        assert uow.sim_broker.load("paper-1") == state
    assert (event.kind, event.ts, event.reason, event.details) == ("kill_switch", T0, "operator", {"by": "u1"})
    assert stored is not None
    assert (stored.trading_state, stored.last_bar_ts, stored.cash) == (TradingState.HALTED, T0, Decimal(100_000))


def test_an_error_rolls_back_the_whole_transaction(sessions: sessionmaker[Session], deployment: DeploymentId) -> None:
    stray = Fill(
        trade_id=TradeId("t1"),
        client_order_id=ClientOrderId("not-an-order"),
        symbol=Symbol("SPY"),
        side=OrderSide.BUY,
        quantity=Decimal(1),
        price=Decimal(1),
        fee=Decimal(0),
        ts=T0,
    )

    def write_order_then_a_fill_of_no_order() -> None:
        with transaction(sessions) as uow:
            uow.orders.add(make_order(), deployment, "target")
            uow.fills.add(stray, deployment)

    with pytest.raises(PersistenceError, match="violates foreign key constraint"):
        write_order_then_a_fill_of_no_order()
    with transaction(sessions) as uow:
        assert uow.orders.for_deployment(deployment) == []


def test_a_deployment_runs_and_resumes_on_postgresql_as_it_does_on_sqlite(
    url: str, tmp_path: Path, bundled_catalog: Any
) -> None:
    from quantdesk.runtime.deployment import DeploymentRunner, create_deployment

    def trade(database: str, steps: list[int | None]) -> tuple[list[tuple[Any, ...]], dict[str, Any], list[str]]:
        upgrade(database)
        with transaction(session_factory(create_engine_for(database))) as uow:
            uow.strategies.create(
                "mr", "strategies.mean_reversion:MeanReversion",
                params={"window": 10, "entry": 1.5, "exit": 0.2, "allow_short": True, "symbols": ["IBM"]},
                code_hash="test", data_range_start=datetime(2012, 1, 1, tzinfo=UTC),
                data_range_end=datetime(2013, 3, 1, tzinfo=UTC),
                metrics={"costs": {"fees": {"rate": 0.001, "fixed": 0.0}, "slippage": {"rate": 0.0}}},
            )  # fmt: skip
        dep = str(create_deployment(database, "mr", account="margin").id)
        outcomes = [DeploymentRunner(database, dep, bundled_catalog).run(max_bars=n).status for n in steps]
        with transaction(session_factory(create_engine_for(database))) as uow:
            fills = [
                (f.trade_id.value.split("-", 2)[-1], f.ts, f.side, f.quantity, f.price, f.fee)
                for f in uow.fills.for_deployment(DeploymentId(dep))
            ]
            positions = {str(s): p.quantity for s, p in uow.positions.all(DeploymentId(dep)).items()}
        return fills, positions, outcomes

    on_postgres = trade(url, [120, None])
    on_sqlite = trade(f"sqlite:///{tmp_path / 'reference.db'}", [None])
    assert on_postgres[2] == ["paused", "finished"]
    assert on_postgres[0] == on_sqlite[0]  # the same fills, to the last digit
    assert any(side is OrderSide.SELL for _, _, side, *_ in on_postgres[0])
    assert len(on_postgres[0]) > 10
    assert on_postgres[1] == on_sqlite[1]

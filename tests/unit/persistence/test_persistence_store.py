"""The SQLite store itself: engine settings, exact column types, migrations, and all-or-nothing transactions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.orm import Session, sessionmaker

from quantdesk.model import (
    ClientOrderId,
    DeploymentId,
    Fill,
    Order,
    OrderSide,
    OrderSubmitted,
    OrderType,
    Symbol,
    TradeId,
    UserId,
)
from quantdesk.persistence import (
    PersistenceError,
    check,
    create_engine_for,
    current,
    downgrade,
    head,
    session_factory,
    transaction,
    upgrade,
)
from quantdesk.persistence.tables import Base

T0 = datetime(2024, 3, 4, 14, 30, tzinfo=UTC)
TRICKY_DECIMALS = [
    Decimal("95.23809523809524"),  # Decimal(repr(float)): 14 decimals, more than NUMERIC(28, 10) keeps
    Decimal("100.3333333333333333333333333"),  # an average price: 28 significant digits
    Decimal("123456789012345.1234567891"),  # 25 digits, beyond a double's 15-17
    Decimal("0.000000000000000001"),
    Decimal("-42.5"),
    Decimal("1234567890.123456789012345678901234567890"),  # an exact product of two such numbers
]


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'state' / 'quantdesk.db'}"
    upgrade(url)
    return url


@pytest.fixture
def sessions(url: str) -> sessionmaker[Session]:
    engine = create_engine_for(url)
    yield session_factory(engine)
    engine.dispose()


def _deployment(sessions: sessionmaker[Session]) -> DeploymentId:
    with transaction(sessions) as uow:
        version = uow.strategies.create("sma", "strategies.sma:SmaCross", params={}, code_hash="h")
        return uow.deployments.create(version.id, UserId("u1"), "paper", [Symbol("SPY")], Decimal(100_000)).id


def _order(name: str = "o1") -> Order:
    return Order(
        client_order_id=ClientOrderId(name),
        symbol=Symbol("SPY"),
        side=OrderSide.BUY,
        order_type=OrderType.MARKET,
        quantity=Decimal(3),
        ts_init=T0,
    )


def test_sqlite_file_uses_wal_enforces_foreign_keys_and_waits_when_busy(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'new' / 'folder' / 'q.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    assert (tmp_path / "new" / "folder" / "q.db").exists()
    engine.dispose()


def test_in_memory_sqlite_works_without_wal() -> None:
    engine = create_engine_for("sqlite://")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "memory"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_a_bad_url_is_one_clear_error_without_the_password() -> None:
    with pytest.raises(PersistenceError, match=r"not a database URL: '//\*\*\*@host'"):
        create_engine_for("//user:secret@host")


def test_plain_numeric_loses_decimals_on_sqlite_which_is_why_they_are_stored_as_text(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'numeric.db'}")
    table = sa.Table("t", sa.MetaData(), sa.Column("v", sa.Numeric(28, 10)))
    table.create(engine)
    with engine.begin() as connection:
        connection.execute(table.insert(), [{"v": value} for value in TRICKY_DECIMALS[:3]])
        stored = connection.execute(sa.select(table.c.v)).scalars().all()
    assert [s == v for s, v in zip(stored, TRICKY_DECIMALS[:3], strict=True)] == [False, False, False]


def test_decimals_round_trip_exactly(sessions: sessionmaker[Session]) -> None:
    deployment = _deployment(sessions)
    with transaction(sessions) as uow:
        for minutes, value in enumerate(TRICKY_DECIMALS):
            uow.equity.snapshot(deployment, T0 + timedelta(minutes=minutes), value, -value)
    with transaction(sessions) as uow:
        curve = uow.equity.curve(deployment)
    assert [cash for _, cash, _ in curve] == TRICKY_DECIMALS
    assert [str(cash) for _, cash, _ in curve] == [str(value) for value in TRICKY_DECIMALS]
    assert [equity for _, _, equity in curve] == [-value for value in TRICKY_DECIMALS]


def test_timestamps_come_back_as_the_same_instant_in_utc(sessions: sessionmaker[Session]) -> None:
    deployment = _deployment(sessions)
    new_york = timezone(timedelta(hours=-5))
    written = datetime(2024, 3, 4, 9, 30, 0, 123456, tzinfo=new_york)
    with transaction(sessions) as uow:
        uow.equity.snapshot(deployment, written, Decimal(1), Decimal(1))
    with transaction(sessions) as uow:
        ((ts, _, _),) = uow.equity.curve(deployment)
    assert ts == written
    assert ts.tzinfo is UTC
    assert ts == datetime(2024, 3, 4, 14, 30, 0, 123456, tzinfo=UTC)


def test_naive_timestamps_are_refused(sessions: sessionmaker[Session]) -> None:
    deployment = _deployment(sessions)
    with pytest.raises(PersistenceError, match="must be timezone-aware"), transaction(sessions) as uow:
        uow.equity.snapshot(deployment, datetime(2024, 3, 4, 14, 30), Decimal(1), Decimal(1))


def test_upgrade_creates_every_table_at_head_and_is_idempotent(url: str) -> None:
    assert current(url) == head() == "0004"
    assert upgrade(url) == "0004"
    engine = create_engine_for(url)
    assert set(sa.inspect(engine).get_table_names()) == {
        "alembic_version",
        "risk_profiles",
        "strategy_versions",
        "deployments",
        "orders",
        "order_events",
        "fills",
        "positions",
        "equity_snapshots",
        "risk_events",
        "sim_broker_state",
        "sim_broker_rows",
        "outbox",
        "notifications",
        "notification_preferences",
        "notification_targets",
        "notification_deliveries",
        "users",
        "refresh_tokens",
        "broker_credentials",
    }
    check(url)
    engine.dispose()


def test_the_migration_creates_exactly_the_tables_the_models_describe(url: str) -> None:
    engine = create_engine_for(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_downgrade_to_base_and_back(url: str) -> None:
    assert downgrade(url, "base") is None
    assert current(url) is None
    assert upgrade(url) == "0004"


def test_0002_moves_a_stored_venue_state_s_lists_to_rows_and_back(url: str) -> None:
    legacy = {"version": 1, "cash": "10", "orders": [{"id": "a"}, {"id": "b"}], "fills": [{"t": 1}], "seq": 3}
    assert downgrade(url, "0001") == "0001"
    engine = create_engine_for(url)
    with engine.begin() as connection:
        connection.execute(
            sa.text("INSERT INTO sim_broker_state (account_id, state, updated_at) VALUES (:a, :s, :t)"),
            {"a": "paper-1", "s": json.dumps(legacy), "t": "2024-01-02 00:00:00.000000"},
        )
    assert upgrade(url) == "0004"
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT kind, seq, item FROM sim_broker_rows ORDER BY kind, seq")).all()
        (document,) = connection.execute(sa.text("SELECT state FROM sim_broker_state")).scalars()
    assert [(kind, seq, json.loads(item)) for kind, seq, item in rows] == [
        ("fills", 0, {"t": 1}),
        ("orders", 0, {"id": "a"}),
        ("orders", 1, {"id": "b"}),
    ]
    assert json.loads(document) == {"version": 1, "cash": "10", "seq": 3, "__rows__": ["orders", "fills"]}
    with transaction(session_factory(engine)) as uow:
        assert uow.sim_broker.load("paper-1") == legacy
    assert downgrade(url, "0001") == "0001"
    with engine.connect() as connection:
        (document,) = connection.execute(sa.text("SELECT state FROM sim_broker_state")).scalars()
    assert json.loads(document) == legacy
    engine.dispose()


def test_check_fails_on_an_unmigrated_database_saying_what_to_run(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert current(url) is None
    with pytest.raises(PersistenceError, match=r"is not migrated: run `quantdesk db upgrade`"):
        check(url)


def test_check_fails_on_a_revision_this_code_does_not_know(url: str) -> None:
    engine = create_engine_for(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    engine.dispose()
    with pytest.raises(PersistenceError, match="at revision 9999, which this version of QuantDesk does not know"):
        check(url)


def test_repositories_on_an_unmigrated_database_say_to_upgrade(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'empty.db'}")
    not_migrated = r"not migrated \(no such table: orders\): run `quantdesk db upgrade`"
    with pytest.raises(PersistenceError, match=not_migrated), transaction(session_factory(engine)) as uow:
        uow.orders.get("o1")
    engine.dispose()


def test_an_unreachable_server_is_one_line_without_the_password() -> None:
    engine = create_engine_for("postgresql+psycopg://nobody:secret@127.0.0.1:1/x")
    with pytest.raises(PersistenceError) as caught, transaction(session_factory(engine)) as uow:
        uow.orders.get("o1")
    message = str(caught.value)
    assert message.startswith("cannot reach the database at postgresql+psycopg://nobody:***@127.0.0.1:1/x: ")
    assert "secret" not in message
    assert "\n" not in message


def test_foreign_keys_are_enforced(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(PersistenceError, match="FOREIGN KEY constraint failed"), transaction(sessions) as uow:
        uow.orders.add(_order(), DeploymentId("dep-missing"), "target")


def test_an_error_rolls_back_everything_the_transaction_wrote(sessions: sessionmaker[Session]) -> None:
    deployment = _deployment(sessions)

    def write_order_and_event_then_crash() -> None:
        with transaction(sessions) as uow:
            uow.orders.add(_order(), deployment, "target")
            uow.orders.append_event(OrderSubmitted(ClientOrderId("o1"), T0))
            raise RuntimeError("crash before commit")

    with pytest.raises(RuntimeError, match="crash before commit"):
        write_order_and_event_then_crash()
    with transaction(sessions) as uow:
        assert uow.orders.get("o1") is None
        assert uow.session.scalar(sa.text("SELECT count(*) FROM order_events")) == 0


def test_a_database_error_midway_leaves_nothing_half_written(sessions: sessionmaker[Session]) -> None:
    deployment = _deployment(sessions)
    stray = Fill(
        trade_id=TradeId("t1"),
        client_order_id=ClientOrderId("not-an-order"),
        symbol=Symbol("SPY"),
        side=OrderSide.BUY,
        quantity=Decimal(1),
        price=Decimal(10),
        fee=Decimal(0),
        ts=T0,
    )

    def write_order_then_a_fill_of_no_order() -> None:
        with transaction(sessions) as uow:
            uow.orders.add(_order(), deployment, "target")
            uow.fills.add(stray, deployment)

    with pytest.raises(PersistenceError, match="FOREIGN KEY constraint failed"):
        write_order_then_a_fill_of_no_order()
    with transaction(sessions) as uow:
        assert uow.orders.for_deployment(deployment) == []
        assert uow.fills.for_deployment(deployment) == []


def test_a_committed_transaction_is_visible_to_a_new_engine(url: str, sessions: sessionmaker[Session]) -> None:
    deployment = _deployment(sessions)
    with transaction(sessions) as uow:
        uow.orders.add(_order(), deployment, "target")
    other = create_engine_for(url)
    with transaction(session_factory(other)) as uow:
        assert uow.orders.get(ClientOrderId("o1")) is not None
    other.dispose()

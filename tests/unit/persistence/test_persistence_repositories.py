"""Positions, equity, risk, deployments, strategy versions and the simulated broker's state round-trip exactly."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from quantdesk.model import (
    ClientOrderId,
    DeploymentId,
    Fill,
    OrderSide,
    Position,
    Symbol,
    TradeId,
    TradingState,
    UserId,
)
from quantdesk.persistence import (
    RISK_PROFILE_FIELDS,
    AccountType,
    DeploymentMode,
    DeploymentStatus,
    PersistenceError,
    RiskEventKind,
    create_engine_for,
    session_factory,
    transaction,
    upgrade,
)

T0 = datetime(2024, 3, 4, 14, 30, tzinfo=UTC)
PROFILE: dict[str, Any] = {
    "max_weight_per_symbol": 0.25,
    "max_gross_exposure": 1.0,
    "max_order_notional": Decimal("25000.50"),
    "max_orders_per_minute": 30,
    "price_collar_pct": 0.05,
    "duplicate_window_seconds": 2.5,
    "max_daily_loss": 0.03,
    "max_drawdown": 0.1,
    "allowed_symbols": ["SPY", "QQQ"],
    "allow_short": False,
    "stop_loss_pct": 0.02,
    "take_profit_pct": None,
    "trailing_stop_pct": None,
}


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    url = f"sqlite:///{tmp_path / 'quantdesk.db'}"
    upgrade(url)
    engine = create_engine_for(url)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def version_id(sessions: sessionmaker[Session]) -> int:
    with transaction(sessions) as uow:
        return uow.strategies.create("sma", "strategies.sma:SmaCross", params={"fast": 10}, code_hash="h").id


@pytest.fixture
def deployment(sessions: sessionmaker[Session], version_id: int) -> DeploymentId:
    with transaction(sessions) as uow:
        return uow.deployments.create(version_id, UserId("u1"), "paper", [Symbol("SPY")], Decimal(100_000)).id


def fill(side: OrderSide, quantity: str, price: str, trade: str, symbol: str = "SPY") -> Fill:
    return Fill(
        trade_id=TradeId(trade),
        client_order_id=ClientOrderId("o1"),
        symbol=Symbol(symbol),
        side=side,
        quantity=Decimal(quantity),
        price=Decimal(price),
        fee=Decimal("0.0125"),
        ts=T0,
    )


def test_positions_round_trip_exactly_and_saving_replaces(
    sessions: sessionmaker[Session], deployment: DeploymentId
) -> None:
    spy = Position.from_fills(
        Symbol("SPY"),
        [
            fill(OrderSide.BUY, "95.23809523809524", "101.37", "t1"),
            fill(OrderSide.BUY, "3", "102.0000000001", "t2"),
            fill(OrderSide.SELL, "40.5", "103.333", "t3"),
        ],
    )
    flat = Position.from_fills(
        Symbol("QQQ"),
        [fill(OrderSide.SELL, "2", "400", "t4", "QQQ"), fill(OrderSide.BUY, "2", "390.5", "t5", "QQQ")],
    )
    with transaction(sessions) as uow:
        uow.positions.save(deployment, Position(Symbol("SPY"), Decimal(1), Decimal(100)))
        assert uow.positions.all(deployment)[Symbol("SPY")].quantity == 1
        uow.positions.save(deployment, spy, ts=T0)
        uow.positions.save(deployment, flat)
        assert uow.positions.all(deployment)[Symbol("SPY")] == spy  # the upsert is seen in the same session
    with transaction(sessions) as uow:
        stored = uow.positions.all(deployment)
        assert uow.positions.all(DeploymentId("dep-other")) == {}
    assert stored == {Symbol("QQQ"): flat, Symbol("SPY"): spy}
    assert stored[Symbol("SPY")].cost_basis == spy.cost_basis
    assert stored[Symbol("QQQ")].is_flat
    assert stored[Symbol("QQQ")].realized_pnl == Decimal(19)


def test_equity_curve_is_in_time_order_and_a_snapshot_at_the_same_time_replaces(
    sessions: sessionmaker[Session], deployment: DeploymentId
) -> None:
    with transaction(sessions) as uow:
        uow.equity.snapshot(deployment, T0 + timedelta(days=1), Decimal("99000.5"), Decimal("101000.25"))
        uow.equity.snapshot(deployment, T0, Decimal(100_000), Decimal(100_000))
        uow.equity.snapshot(deployment, T0 + timedelta(days=1), Decimal("99000.5"), Decimal("101000.75"))
    with transaction(sessions) as uow:
        curve = uow.equity.curve(deployment)
        later = uow.equity.curve(deployment, since=T0 + timedelta(hours=1))
    assert curve == [
        (T0, Decimal(100_000), Decimal(100_000)),
        (T0 + timedelta(days=1), Decimal("99000.5"), Decimal("101000.75")),
    ]
    assert later == curve[1:]


def test_risk_profiles_round_trip_as_plain_dicts(sessions: sessionmaker[Session]) -> None:
    user = UserId("u1")
    with transaction(sessions) as uow:
        profile_id = uow.risk.save_profile(user, "default", PROFILE, ts=T0)
    with transaction(sessions) as uow:
        assert uow.risk.get_profile(profile_id) == PROFILE
        assert uow.risk.find_profile(user) == (profile_id, PROFILE)
        assert uow.risk.find_profile(user, "aggressive") is None
        assert uow.risk.get_profile(profile_id + 1) is None
    assert set(PROFILE) == set(RISK_PROFILE_FIELDS)


def test_saving_a_profile_under_the_same_name_replaces_it(sessions: sessionmaker[Session]) -> None:
    user = UserId("u1")
    changed = {**PROFILE, "allow_short": True, "trailing_stop_pct": 0.04, "allowed_symbols": []}
    with transaction(sessions) as uow:
        first = uow.risk.save_profile(user, "default", PROFILE)
        other = uow.risk.save_profile(user, "tight", {**PROFILE, "max_order_notional": 1000})
    with transaction(sessions) as uow:
        assert uow.risk.save_profile(user, "default", changed) == first
    with transaction(sessions) as uow:
        assert uow.risk.get_profile(first) == changed
        assert uow.risk.get_profile(other)["max_order_notional"] == Decimal(1000)  # type: ignore[index]
        assert uow.risk.profiles(user) == {"default": first, "tight": other}


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        ({k: v for k, v in PROFILE.items() if k != "max_drawdown"}, "missing max_drawdown"),
        ({**PROFILE, "max_position": 1.0}, "unknown max_position"),
        ({**PROFILE, "max_orders_per_minute": 1.5}, "max_orders_per_minute must be int"),
        ({**PROFILE, "allow_short": None}, "allow_short must be bool"),
    ],
)
def test_a_profile_with_missing_unknown_or_mistyped_fields_is_refused(
    sessions: sessionmaker[Session], profile: dict[str, Any], message: str
) -> None:
    with pytest.raises(PersistenceError, match=message), transaction(sessions) as uow:
        uow.risk.save_profile(UserId("u1"), "default", profile)


def test_risk_events_round_trip(sessions: sessionmaker[Session], deployment: DeploymentId) -> None:
    with transaction(sessions) as uow:
        denied = uow.risk.record_event(
            deployment,
            T0,
            RiskEventKind.DENIED,
            rule="max_order_notional",
            reason="notional 30000 > 25000",
            details={"notional": Decimal("30000.10"), "symbol": Symbol("SPY")},
        )
        halted = uow.risk.record_event(deployment, T0 + timedelta(minutes=1), "state_change", reason="drawdown")
    with transaction(sessions) as uow:
        events = uow.risk.events(deployment)
        state_changes = uow.risk.events(deployment, kind="state_change")
        later = uow.risk.events(deployment, since=T0 + timedelta(seconds=1))
    assert [e.id for e in events] == [denied, halted]
    first = events[0]
    assert (first.deployment_id, first.ts, first.kind, first.rule) == (deployment, T0, "denied", "max_order_notional")
    assert first.reason == "notional 30000 > 25000"
    assert first.details == {"notional": "30000.10", "symbol": "SPY"}
    assert events[1].details == {}
    assert events[1].rule is None
    assert state_changes == later == [events[1]]


def test_an_unknown_risk_event_kind_is_refused(sessions: sessionmaker[Session], deployment: DeploymentId) -> None:
    with (
        pytest.raises(PersistenceError, match="risk event kind 'oops' is not one of denied"),
        transaction(sessions) as u,
    ):
        u.risk.record_event(deployment, T0, "oops")


def test_deployments_round_trip_and_change_status_and_trading_state(
    sessions: sessionmaker[Session], version_id: int
) -> None:
    with transaction(sessions) as uow:
        profile_id = uow.risk.save_profile(UserId("u1"), "default", PROFILE)
        created = uow.deployments.create(
            version_id,
            UserId("u1"),
            DeploymentMode.REPLAY,
            [Symbol("KO"), Symbol("pep")],
            Decimal("50000.25"),
            feed="catalog",
            speed=60.0,
            account_type="margin",
            risk_profile_id=profile_id,
            deployment_id=DeploymentId("dep-pair"),
            ts=T0,
        )
    with transaction(sessions) as uow:
        assert uow.deployments.get(DeploymentId("dep-pair")) == created
    assert created.symbols == (Symbol("KO"), Symbol("PEP"))
    assert (created.status, created.trading_state) == (DeploymentStatus.CREATED, TradingState.ACTIVE)
    assert (created.account_type, created.cash, created.created_at) == (AccountType.MARGIN, Decimal("50000.25"), T0)

    later = T0 + timedelta(hours=1)
    with transaction(sessions) as uow:
        uow.deployments.set_status(created.id, "running", ts=later)
        uow.deployments.set_trading_state(created.id, TradingState.REDUCING, ts=later)
        uow.deployments.set_last_bar(created.id, T0 + timedelta(minutes=59), ts=later)
    with transaction(sessions) as uow:
        stored = uow.deployments.get(created.id)
    assert stored is not None
    assert (stored.status, stored.trading_state) == (DeploymentStatus.RUNNING, TradingState.REDUCING)
    assert (stored.updated_at, stored.last_bar_ts, stored.created_at) == (later, T0 + timedelta(minutes=59), T0)


def test_deployments_are_listed_newest_first_by_user_and_status(
    sessions: sessionmaker[Session], version_id: int
) -> None:
    with transaction(sessions) as uow:
        for hours, (name, user) in enumerate([("dep-a", "u1"), ("dep-b", "u2"), ("dep-c", "u1")]):
            uow.deployments.create(
                version_id,
                UserId(user),
                "paper",
                [Symbol("SPY")],
                Decimal(1000),
                deployment_id=DeploymentId(name),
                ts=T0 + timedelta(hours=hours),
            )
        uow.deployments.set_status(DeploymentId("dep-a"), DeploymentStatus.RUNNING)
    with transaction(sessions) as uow:
        assert [d.id.value for d in uow.deployments.all()] == ["dep-c", "dep-b", "dep-a"]
        assert [d.id.value for d in uow.deployments.all(user_id=UserId("u1"))] == ["dep-c", "dep-a"]
        assert [d.id.value for d in uow.deployments.all(status="running")] == ["dep-a"]


def test_a_deployment_gets_a_fresh_id(sessions: sessionmaker[Session], version_id: int) -> None:
    with transaction(sessions) as uow:
        first = uow.deployments.create(version_id, UserId("u1"), "live", [Symbol("SPY")], Decimal(1))
        second = uow.deployments.create(version_id, UserId("u1"), "live", [Symbol("SPY")], Decimal(1))
    assert first.id != second.id
    assert first.id.value.startswith("dep-")
    assert len(first.id.value) == len("dep-") + 12


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"mode": "backtest"}, "deployment mode 'backtest' is not one of replay, paper, live"),
        ({"account_type": "crypto"}, "account type 'crypto' is not one of cash, margin"),
        ({"strategy_version_id": 999}, "FOREIGN KEY constraint failed"),
        ({"deployment_id": DeploymentId("dep-x")}, "deployment dep-x exists already"),
    ],
)
def test_a_bad_deployment_is_refused(
    sessions: sessionmaker[Session], version_id: int, change: dict[str, Any], message: str
) -> None:
    with transaction(sessions) as uow:
        uow.deployments.create(version_id, UserId("u1"), "paper", [], Decimal(1), deployment_id=DeploymentId("dep-x"))
    arguments: dict[str, Any] = {
        "strategy_version_id": version_id,
        "user_id": UserId("u1"),
        "mode": "paper",
        "symbols": [Symbol("SPY")],
        "cash": Decimal(1),
        **change,
    }
    with pytest.raises(PersistenceError, match=message), transaction(sessions) as uow:
        uow.deployments.create(**arguments)


def test_changing_an_unknown_deployment_is_an_error(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(PersistenceError, match="no deployment dep-nope"), transaction(sessions) as uow:
        uow.deployments.set_status(DeploymentId("dep-nope"), "stopped")
    with pytest.raises(PersistenceError, match="deployment status 'paused' is not one of"), transaction(sessions) as u:
        u.deployments.set_status(DeploymentId("dep-nope"), "paused")


def test_strategy_versions_are_numbered_per_name_and_round_trip(
    sessions: sessionmaker[Session], version_id: int
) -> None:
    metrics = {"sharpe": 1.25, "sortino": math.inf, "trades": 42, "final_equity": Decimal("123456.78")}
    with transaction(sessions) as uow:
        assert uow.strategies.next_version("sma") == 2
        assert uow.strategies.next_version("pairs") == 1
        second = uow.strategies.create(
            "sma",
            "strategies.sma:SmaCross",
            params={"fast": 20, "slow": 50},
            code_hash="c0de",
            data_range_start=T0,
            data_range_end=T0 + timedelta(days=365),
            data_hash="da7a",
            metrics=metrics,
            gates={"causality": "passed", "min_sharpe": True},
            ts=T0,
        )
        pairs = uow.strategies.create("pairs", "strategies.pairs:Pairs", params={}, code_hash="p", version=7)
    assert (second.version, pairs.version) == (2, 7)
    assert second.metrics == {"sharpe": 1.25, "sortino": None, "trades": 42, "final_equity": "123456.78"}
    with transaction(sessions) as uow:
        assert uow.strategies.get(second.id) == second
        assert uow.strategies.get_version("sma") == second
        assert uow.strategies.get_version("sma", 1).id == version_id  # type: ignore[union-attr]
        assert uow.strategies.get_version("nope") is None
        assert [(v.name, v.version) for v in uow.strategies.all()] == [("pairs", 7), ("sma", 1), ("sma", 2)]
        assert [v.version for v in uow.strategies.all("sma")] == [1, 2]
        assert uow.strategies.next_version("pairs") == 8


def test_a_strategy_version_number_is_never_reused(sessions: sessionmaker[Session], version_id: int) -> None:
    with pytest.raises(PersistenceError, match="strategy sma version 1 exists already"), transaction(sessions) as u:
        u.strategies.create("sma", "strategies.sma:SmaCross", params={}, code_hash="h", version=1)
    with pytest.raises(PersistenceError, match="must be 'module:Class'"), transaction(sessions) as uow:
        uow.strategies.create("sma", "strategies.sma.SmaCross", params={}, code_hash="h")


def test_the_simulated_broker_state_is_saved_and_replaced(sessions: sessionmaker[Session]) -> None:
    state = {"cash": "100000", "orders": [{"id": "o1", "qty": "1.5"}], "next_trade": 3, "positions": {"SPY": "2"}}
    with transaction(sessions) as uow:
        assert uow.sim_broker.load("paper-1") is None
        uow.sim_broker.save("paper-1", state)
        assert uow.sim_broker.load("paper-1") == state
    with transaction(sessions) as uow:
        assert uow.sim_broker.load("paper-1") == state
        uow.sim_broker.save("paper-1", {**state, "next_trade": 4})
        assert uow.sim_broker.load("paper-1") == {**state, "next_trade": 4}
    with transaction(sessions) as uow:
        assert uow.sim_broker.load("paper-1")["next_trade"] == 4  # type: ignore[index]
        assert uow.sim_broker.load("paper-2") is None


def test_state_that_is_not_json_is_refused(sessions: sessionmaker[Session]) -> None:
    with (
        pytest.raises(
            PersistenceError, match=r"cannot store as JSON: object <object object at 0x\w+> cannot be stored as JSON"
        ),
        transaction(sessions) as uow,
    ):
        uow.sim_broker.save("paper-1", {"clock": object()})


def test_a_venue_saved_change_by_change_loads_as_its_whole_state(sessions: sessionmaker[Session]) -> None:
    from quantdesk.execution.costs import Costs
    from quantdesk.execution.simulated import SimBrokerState, SimulatedBroker
    from quantdesk.model import Bar, ClientOrderId, OrderSide, OrderType, SubmitOrder, Symbol, Timeframe, TimeInForce

    broker = SimulatedBroker(Costs.of(fees=0.001), SimBrokerState(cash=Decimal(10_000)), account_id="paper-9")
    written: list[tuple[int, int]] = []

    def save() -> None:
        changes = broker.venue_changes()
        written.append((len(changes.orders), len(changes.fills)))
        with transaction(sessions) as uow:
            uow.sim_broker.save_changes("paper-9", changes.account, {"orders": changes.orders, "fills": changes.fills})
        broker.changes_saved(changes)

    spy, day = Symbol("SPY"), Timeframe.parse("1d")
    for k in range(3):
        ts = T0 + timedelta(days=k)
        command = SubmitOrder(
            client_order_id=ClientOrderId(f"d:{k}"), symbol=spy, side=OrderSide.BUY, order_type=OrderType.MARKET,
            quantity=Decimal(2), ts=ts, time_in_force=TimeInForce.GTC,
        )  # fmt: skip
        broker.submit(command)
        save()
        broker.on_bars([Bar(spy, day, ts + timedelta(days=1), 100.0, 101.0, 99.0, 100.5, 1e6)])
        save()
    save()  # nothing new
    assert written == [(1, 0), (1, 1), (1, 0), (1, 1), (1, 0), (1, 1), (0, 0)]  # only what changed is written
    with transaction(sessions) as uow:
        assert uow.sim_broker.load("paper-9") == broker.state.to_dict()
        assert len(uow.sim_broker.load("paper-9")["fills"]) == 3  # type: ignore[index]

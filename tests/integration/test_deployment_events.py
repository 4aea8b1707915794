"""A deployment's events reach the bus through the outbox: each once, none lost when publishing lags."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from quantdesk.bus import MemoryBus
from quantdesk.bus.codec import TOPICS, decode
from quantdesk.model import DeploymentId, OrderFilled
from quantdesk.persistence import create_engine_for, session_factory, transaction, upgrade
from quantdesk.portfolio import EquitySnapshot
from quantdesk.runtime.deployment import DeploymentRunner, create_deployment
from quantdesk.runtime.outbox import OutboxRelay


def _deploy(url: str) -> str:
    upgrade(url)
    with transaction(session_factory(create_engine_for(url))) as uow:
        uow.strategies.create(
            "mr", "strategies.mean_reversion:MeanReversion",
            params={"window": 10, "entry": 1.5, "exit": 0.2, "symbols": ["IBM"]}, code_hash="test",
            data_range_start=datetime(2012, 1, 1, tzinfo=UTC), data_range_end=datetime(2012, 12, 31, tzinfo=UTC),
            metrics={"costs": {"fees": {"rate": 0.001, "fixed": 0.0}, "slippage": {"rate": 0.0}}},
        )  # fmt: skip
    return str(create_deployment(url, "mr").id)


def _drain(bus: MemoryBus) -> dict[str, list[Any]]:
    got: dict[str, list[Any]] = {topic: [] for topic in TOPICS}
    for topic in TOPICS:
        consumer = bus.subscribe(topic, "test", lambda m, t=topic: got[t].append(m))
        consumer.poll(max_messages=100_000)
    return got


def test_every_order_fill_and_equity_event_is_published_once(tmp_path: Path, bundled_catalog: Any) -> None:
    url = f"sqlite:///{tmp_path / 'q.db'}"
    dep = _deploy(url)
    bus = MemoryBus()
    summary = DeploymentRunner(url, dep, bundled_catalog, bus=bus).run()
    got = _drain(bus)
    with transaction(session_factory(create_engine_for(url))) as uow:
        fills = uow.fills.for_deployment(DeploymentId(dep))
        snapshots = uow.equity.curve(DeploymentId(dep))
        assert uow.outbox.pending() == []
    assert len(got["equity"]) == summary.bars == 250
    assert all(isinstance(decode(m.payload), EquitySnapshot) for m in got["equity"])
    assert sorted(str(decode(m.payload).trade_id) for m in got["fills"]) == sorted(str(f.trade_id) for f in fills)
    filled = [decode(m.payload) for m in got["orders"] if m.payload["type"] == "order_filled"]
    assert len(filled) == len(fills) > 5
    assert all(isinstance(e, OrderFilled) for e in filled)
    assert {m.payload["scope"] for topic in TOPICS for m in got[topic]} == {dep}
    assert len(snapshots) == 250


def test_events_staged_while_nothing_publishes_are_published_later_and_only_once(
    tmp_path: Path, bundled_catalog: Any
) -> None:
    url = f"sqlite:///{tmp_path / 'q.db'}"
    dep = _deploy(url)
    DeploymentRunner(url, dep, bundled_catalog).run(max_bars=100)  # no bus: the events wait in the outbox
    sessions = session_factory(create_engine_for(url))
    with transaction(sessions) as uow:
        waiting = len(uow.outbox.pending(100_000))
    assert waiting > 100
    bus = MemoryBus()
    relay = OutboxRelay(sessions, bus)
    assert relay.relay(limit=60) == 60  # part of it, then the rest: in order, nothing twice
    assert relay.relay(limit=100_000) == waiting - 60
    assert relay.relay() == 0
    DeploymentRunner(url, dep, bundled_catalog, bus=bus).run()  # resumes, publishing as it goes
    got = _drain(bus)
    assert len(got["equity"]) == 250
    keys = [m.id for topic in TOPICS for m in got[topic]]
    assert len(keys) == len(set(keys))

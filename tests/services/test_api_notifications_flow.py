"""End to end: a paper deployment whose owner's risk profile denies some orders runs; the notification worker
turns its events into a warning per denial and an info per fill, which the owner, and only the owner, reads
through ``GET /notifications``."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from apitest import *  # noqa: F403 - the API fixtures
from apitest import Api, member

from quantdesk.bus import MemoryBus
from quantdesk.model import DeploymentId
from quantdesk.notifications import NotificationWorker
from quantdesk.persistence import create_engine_for, session_factory, transaction
from quantdesk.runtime.deployment import DeploymentRunner, create_deployment

PAIRS = {"symbols": ["MSFT", "IBM"], "hedge_window": 20, "z_window": 10, "entry": 1.5, "exit": 0.3, "stop": 4.0}


def test_a_deployments_denials_and_fills_reach_its_owner_as_notifications(
    api: Api, database_url: str, bundled_catalog: Any, clock: Any
) -> None:
    owner, other = member(api, database_url, "owner"), member(api, database_url, "other")
    limits = api.put("/users/me/risk-profile", token=owner.access, json={"max_order_notional": 45000})
    assert limits.status_code == 200
    engine = create_engine_for(database_url)
    sessions = session_factory(engine)
    with transaction(sessions) as uow:
        uow.strategies.create(
            "pairs", "strategies.pairs_arbitrage:PairsArbitrage", params=PAIRS, code_hash="test",
            data_range_start=datetime(2012, 1, 1, tzinfo=UTC), data_range_end=datetime(2012, 8, 31, tzinfo=UTC),
            metrics={"costs": {"fees": {"rate": 0.001, "fixed": 0.0}, "slippage": {"rate": 0.0}}},
        )  # fmt: skip
    dep = str(create_deployment(database_url, "pairs", user_id="owner").id)
    bus = MemoryBus()
    DeploymentRunner(database_url, dep, bundled_catalog, bus=bus).run()

    worker = NotificationWorker(sessions, bus, [], clock)
    while worker.run_once().busy:
        pass

    with transaction(sessions) as uow:
        denials = uow.risk.events(DeploymentId(dep), kind="denied")
        fills = uow.fills.for_deployment(DeploymentId(dep))
    engine.dispose()
    rules = Counter(d.rule for d in denials)
    assert rules["MaxOrderNotional"] > 0
    assert len(fills) > 0
    page = api.get("/notifications", token=owner.access, params={"limit": 200}).json()
    assert page["unread"] == len(page["items"]) == len(denials) + len(fills)
    got = Counter((n["severity"], n["kind"]) for n in page["items"])
    assert got == {("warning", "order_denied"): len(denials), ("info", "fill"): len(fills)}
    assert {n["deployment_id"] for n in page["items"]} == {dep}
    titles = Counter(n["title"].split(": ")[1] for n in page["items"] if n["kind"] == "order_denied")
    assert titles == rules
    notional = next(n for n in page["items"] if n["title"].endswith("MaxOrderNotional"))
    assert "exceeds max_order_notional 45,000.00" in notional["body"]
    traded = sorted(n["body"].rsplit("trade ", 1)[1].rstrip(".") for n in page["items"] if n["kind"] == "fill")
    assert traded == sorted(str(f.trade_id) for f in fills)
    assert api.get("/notifications", token=other.access).json() == {"items": [], "unread": 0}

"""Helpers of the trading API tests: the app on the session's bundled catalog, a seed registry version
(written straight to the registry, as `_deploy` in the deployment event tests does: promotion is slow and
has its own test), members with tokens, and polling until a background run gets somewhere.

Test modules take the ``settings`` fixture with ``from tradingtest import settings`` after
``from apitest import *``: it replaces the one of apitest, so the app reads the bundled catalog imported
once per session instead of importing it again for each test.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
from apitest import SECRET, Api, Member, member

from quantdesk.config import Settings
from quantdesk.data.catalog import Catalog
from quantdesk.model import DeploymentId
from quantdesk.persistence import Role, UnitOfWork, create_engine_for, session_factory, transaction

__all__ = ["settings"]

T = TypeVar("T")
COSTS = {"costs": {"fees": {"rate": 0.001, "fixed": 0.0}, "slippage": {"rate": 0.0}}}
# a quarter of 2012 (82 bars): mean reversion on IBM trades in it, and a run takes about a second
SEED_PARAMS = {"window": 10, "entry": 1.5, "exit": 0.2, "symbols": ["IBM"]}
SEED_START, SEED_END = datetime(2012, 1, 1, tzinfo=UTC), datetime(2012, 4, 30, tzinfo=UTC)


@pytest.fixture
def settings(database_url: str, bundled_catalog: Catalog) -> Settings:
    return Settings(data_dir=bundled_catalog.root.parent, database_url=database_url, secret_key=SECRET)


def seed_version(database_url: str, name: str = "mr", end: datetime = SEED_END) -> int:
    """Register a version of mean reversion on IBM under ``name`` (as promotion would); its number."""
    with db(database_url) as uow:
        version = uow.strategies.create(
            name, "strategies.mean_reversion:MeanReversion", params=SEED_PARAMS, code_hash="test",
            data_range_start=SEED_START, data_range_end=end, metrics=COSTS,
        )  # fmt: skip
    return version.version


def db(database_url: str) -> Any:
    """A transaction on the test's database (a fresh engine, so the test sees what the app committed)."""
    return transaction(session_factory(create_engine_for(database_url)))


def records(database_url: str, deployment_id: str, read: Callable[[UnitOfWork, DeploymentId], T]) -> T:
    with db(database_url) as uow:
        return read(uow, DeploymentId(deployment_id))


def members(api: Api, database_url: str, *names: str) -> dict[str, Member]:
    roles = {"viewer": Role.VIEWER, "admin": Role.ADMIN}
    return {name: member(api, database_url, name, roles.get(name, Role.TRADER)) for name in names}


def wait_until(check: Callable[[], T], timeout: float = 30.0, what: str = "the condition") -> T:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.02)


def deploy(api: Api, token: str, name: str = "mr", **fields: Any) -> str:
    created = api.post("/deployments", token=token, json={"name": name, **fields})
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def finished(api: Api, token: str, deployment_id: str) -> dict[str, Any]:
    """The deployment once its run in the app has ended."""

    def ended() -> dict[str, Any] | None:
        body = api.get(f"/deployments/{deployment_id}", token=token).json()
        return body if body["last_run"] and not body["last_run"]["running"] else None

    return wait_until(ended, what=f"the run of {deployment_id} ending")


def traded_bars(api: Api, token: str, deployment_id: str, bars: int = 1) -> dict[str, Any]:
    """The deployment once it has committed at least ``bars`` bars."""

    def progressed() -> dict[str, Any] | None:
        body = api.get(f"/deployments/{deployment_id}", token=token).json()
        return body if body["counts"]["equity_points"] >= bars else None

    return wait_until(progressed, what=f"{deployment_id} trading {bars} bar(s)")

"""Who may call what: every endpoint × (owner, another user, a viewer, an admin, anonymous), with the exact
status each gets. The owner and the other user are traders; admin endpoints target the owner. Trading
resources ({deployment_id}, {job_id}) are the owner's: anyone else, admins included, is answered 404 as for a
missing one; a viewer may read and research but not trade (403)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from apitest import *  # noqa: F403 - the API fixtures
from apitest import PASSWORD, Api, Member, member
from tradingtest import deploy, seed_version, settings  # noqa: F401 - settings: the bundled catalog

from quantdesk.persistence import Role

ACTORS = ("owner", "other", "viewer", "admin", "anonymous")
CREDENTIALS = {"broker": "alpaca", "key_id": "PKTEST00000000001234", "secret_key": "s3cr3t-value", "paper": True}
MANUAL_ORDER = {"symbol": "IBM", "side": "buy", "quantity": 1}
BACKTEST = {"strategy": "mean_reversion", "symbols": ["IBM"], "start": "2012-01-01", "end": "2012-03-31"}


@dataclass
class World:
    api: Api
    members: dict[str, Member]
    database_url: str
    made: dict[str, str] = field(default_factory=dict)

    def token(self, actor: str) -> str | None:
        return None if actor == "anonymous" else self.members[actor].access

    @property
    def owner_id(self) -> int:
        return self.members["owner"].id

    def url(self, path: str) -> str:
        """``path`` with its placeholders filled; the owner's deployment and backtest are made when asked for."""
        values: dict[str, object] = {"owner": self.owner_id, "name": "mr"}
        if "{deployment_id}" in path:
            values["deployment_id"] = self.deployment
        if "{job_id}" in path:
            values["job_id"] = self.backtest
        return path.format(**values)

    @property
    def deployment(self) -> str:
        if "deployment" not in self.made:
            self.made["deployment"] = deploy(self.api, self.members["owner"].access)
        return self.made["deployment"]

    @property
    def backtest(self) -> str:
        if "backtest" not in self.made:
            token = self.members["owner"].access
            job = self.api.post("/backtests", token=token, json=BACKTEST).json()["id"]
            deadline = time.monotonic() + 60
            while self.api.get(f"/backtests/{job}", token=token).json()["status"] != "done":
                assert time.monotonic() < deadline, f"backtest {job} did not finish"
                time.sleep(0.02)
            self.made["backtest"] = job
        return self.made["backtest"]


Body = Callable[[World, str], dict[str, Any]]


def _none(_world: World, _actor: str) -> dict[str, Any]:
    return {}


def _json(value: dict[str, Any]) -> Body:
    return lambda _world, _actor: {"json": value}


def _own_password(world: World, actor: str) -> dict[str, Any]:
    password = PASSWORD if actor == "anonymous" else world.members[actor].password
    return {"json": {"current_password": password, "new_password": password}}


def _own_refresh(world: World, actor: str) -> dict[str, Any]:
    token = "no-such-token" if actor == "anonymous" else world.members[actor].refresh
    return {"json": {"refresh_token": token}}


def _own_login(_world: World, actor: str) -> dict[str, Any]:
    name = "nobody" if actor == "anonymous" else actor
    return {"data": {"username": name, "password": PASSWORD}}


def _new_account(_world: World, actor: str) -> dict[str, Any]:
    return {"json": {"username": f"new-{actor}", "password": PASSWORD}}


def _query(value: dict[str, Any]) -> Body:
    return lambda _world, _actor: {"params": value}


OWN = (200, 404, 404, 404, 401)  # read one of the owner's trading resources
TRADE = (200, 404, 403, 404, 401)  # act on the owner's deployment
ANYONE = (200, 200, 200, 200, 401)  # any logged-in user


#          method, path ({owner} = the owner's id), body, statuses for owner, other, viewer, admin, anonymous
MATRIX: list[tuple[str, str, Body, tuple[int, int, int, int, int]]] = [
    ("GET", "/health", _none, (200, 200, 200, 200, 200)),
    ("GET", "/health/live", _none, (200, 200, 200, 200, 200)),
    ("GET", "/metrics", _none, (200, 200, 200, 200, 200)),
    ("POST", "/auth/register", _new_account, (201, 201, 201, 201, 201)),
    ("POST", "/auth/token", _own_login, (200, 200, 200, 200, 401)),
    ("POST", "/auth/refresh", _own_refresh, (200, 200, 200, 200, 401)),
    ("POST", "/auth/logout", _own_refresh, (204, 204, 204, 204, 204)),
    ("GET", "/users/me", _none, (200, 200, 200, 200, 401)),
    ("PATCH", "/users/me", _json({"display_name": "Someone"}), (200, 200, 200, 200, 401)),
    ("POST", "/users/me/password", _own_password, (204, 204, 204, 204, 401)),
    ("GET", "/users/me/risk-profile", _none, (200, 200, 200, 200, 401)),
    ("PUT", "/users/me/risk-profile", _json({"max_drawdown": 0.2}), (200, 200, 403, 200, 401)),
    ("GET", "/users/me/broker-credentials", _none, (200, 404, 403, 404, 401)),
    ("PUT", "/users/me/broker-credentials", _json(CREDENTIALS), (200, 200, 403, 200, 401)),
    ("DELETE", "/users/me/broker-credentials", _none, (204, 404, 403, 404, 401)),
    ("GET", "/users", _none, (403, 403, 403, 200, 401)),
    ("GET", "/users/{owner}", _none, (403, 403, 403, 200, 401)),
    ("PUT", "/users/{owner}/role", _json({"role": "viewer"}), (403, 403, 403, 200, 401)),
    ("POST", "/users/{owner}/deactivate", _none, (403, 403, 403, 200, 401)),
    ("POST", "/users/{owner}/activate", _none, (403, 403, 403, 200, 401)),
    ("GET", "/strategies", _none, ANYONE),
    ("GET", "/registry", _none, ANYONE),
    ("GET", "/registry/{name}/versions", _none, ANYONE),
    ("POST", "/registry/promote", _json({"name": "x", "strategy": "nope"}), (422, 422, 403, 422, 401)),
    ("POST", "/backtests", _json(BACKTEST), (202, 202, 202, 202, 401)),
    ("GET", "/backtests", _none, ANYONE),
    ("GET", "/backtests/{job_id}", _none, OWN),
    ("GET", "/backtests/{job_id}/report", _none, OWN),
    ("GET", "/backtests/{job_id}/trades.csv", _none, OWN),
    ("POST", "/deployments", _json({"name": "mr"}), (201, 201, 403, 201, 401)),
    ("GET", "/deployments", _none, ANYONE),
    ("GET", "/deployments/{deployment_id}", _none, OWN),
    ("POST", "/deployments/{deployment_id}/start", _none, (202, 404, 403, 404, 401)),
    ("POST", "/deployments/{deployment_id}/stop", _none, TRADE),
    ("POST", "/deployments/{deployment_id}/kill-switch", _none, TRADE),
    ("GET", "/deployments/{deployment_id}/positions", _none, OWN),
    ("GET", "/deployments/{deployment_id}/orders", _none, OWN),
    # the owner's deployment is not running: a manual order is refused with 409
    ("POST", "/deployments/{deployment_id}/orders", _json(MANUAL_ORDER), (409, 404, 403, 404, 401)),
    ("GET", "/deployments/{deployment_id}/fills", _none, OWN),
    ("GET", "/deployments/{deployment_id}/equity", _none, OWN),
    ("GET", "/deployments/{deployment_id}/report", _none, OWN),
    ("GET", "/deployments/{deployment_id}/trades.csv", _none, OWN),
    ("GET", "/deployments/{deployment_id}/transactions.csv", _none, OWN),
    ("GET", "/market-data/bars", _query({"symbol": "IBM", "end": "2012-01-31", "adjustment": "raw"}), ANYONE),
]


@pytest.fixture
def world(api: Api, database_url: str) -> World:
    members = {
        "owner": member(api, database_url, "owner"),
        "other": member(api, database_url, "other"),
        "viewer": member(api, database_url, "viewer", Role.VIEWER),
        "admin": member(api, database_url, "admin", Role.ADMIN),
    }
    saved = api.put("/users/me/broker-credentials", token=members["owner"].access, json=CREDENTIALS)
    assert saved.status_code == 200
    seed_version(database_url)
    return World(api, members, database_url)


@pytest.mark.parametrize(("method", "path", "body", "expected"), MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
def test_each_caller_gets_exactly_the_expected_status(
    world: World, method: str, path: str, body: Body, expected: tuple[int, ...]
) -> None:
    url = world.url(path)
    statuses = tuple(
        world.api.request(method, url, token=world.token(actor), **body(world, actor)).status_code for actor in ACTORS
    )
    assert dict(zip(ACTORS, statuses, strict=True)) == dict(zip(ACTORS, expected, strict=True))


def test_every_route_of_the_app_is_in_the_matrix(api: Api) -> None:
    schema = api.get("/openapi.json").json()
    routes = {(method.upper(), path) for path, item in schema["paths"].items() for method in item}
    # /notifications has its own matrix (test_api_notifications_access.py, which checks it covers them) until
    # its rows are merged here
    routes = {(method, path) for method, path in routes if not path.startswith("/notifications")}
    covered = {(method, path.replace("{owner}", "{user_id}")) for method, path, _, _ in MATRIX}
    assert routes == covered


def test_another_user_sees_and_changes_only_their_own_data(world: World) -> None:
    api, owner, other = world.api, world.members["owner"], world.members["other"]
    assert api.put("/users/me/risk-profile", token=owner.access, json={"max_drawdown": 0.2}).status_code == 200
    theirs = api.get("/users/me/risk-profile", token=other.access).json()
    assert (theirs["user"], theirs["saved"], theirs["profile"]["max_drawdown"]) == ("other", False, None)
    assert api.patch("/users/me", token=other.access, json={"display_name": "Other"}).status_code == 200
    assert api.get("/users/me", token=owner.access).json()["display_name"] is None
    assert api.delete("/users/me/broker-credentials", token=other.access).status_code == 404
    assert api.get("/users/me/broker-credentials", token=owner.access).status_code == 200


def test_a_role_change_applies_to_the_next_request_with_the_same_token(world: World) -> None:
    api, owner, admin = world.api, world.members["owner"], world.members["admin"]
    assert api.put(f"/users/{owner.id}/role", token=admin.access, json={"role": "viewer"}).json()["role"] == "viewer"
    denied = api.put("/users/me/risk-profile", token=owner.access, json={})
    assert denied.status_code == 403
    assert denied.json() == {"detail": "this needs the role trader or admin; yours is viewer"}
    assert api.put(f"/users/{owner.id}/role", token=admin.access, json={"role": "admin"}).status_code == 200
    assert api.get("/users", token=owner.access).status_code == 200


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(world: World) -> None:
    api, admin, owner = world.api, world.members["admin"], world.members["owner"]
    demote = api.put(f"/users/{admin.id}/role", token=admin.access, json={"role": "trader"})
    assert (demote.status_code, demote.json()) == (409, {"detail": "cannot demote the last active admin"})
    deactivate = api.post(f"/users/{admin.id}/deactivate", token=admin.access)
    assert (deactivate.status_code, deactivate.json()) == (409, {"detail": "cannot deactivate the last active admin"})
    assert api.put(f"/users/{owner.id}/role", token=admin.access, json={"role": "admin"}).status_code == 200
    assert api.put(f"/users/{admin.id}/role", token=admin.access, json={"role": "trader"}).status_code == 200


def test_admin_endpoints_answer_404_for_a_missing_user_and_422_for_a_bad_id_or_role(world: World) -> None:
    api, admin = world.api, world.members["admin"]
    missing = api.get("/users/999", token=admin.access)
    assert (missing.status_code, missing.json()) == (404, {"detail": "no user with id 999"})
    assert api.get("/users/0", token=admin.access).status_code == 422
    assert api.get("/users/abc", token=admin.access).status_code == 422
    bad_role = api.put(f"/users/{world.owner_id}/role", token=admin.access, json={"role": "root"})
    assert bad_role.status_code == 422
    assert bad_role.json()["detail"] == "role: Input should be 'admin', 'trader' or 'viewer'"


def test_the_user_list_is_in_registration_order_and_pages(world: World) -> None:
    api, admin = world.api, world.members["admin"]
    names = [user["username"] for user in api.get("/users", token=admin.access).json()]
    assert names == ["owner", "other", "viewer", "admin"]
    page = api.get("/users", token=admin.access, params={"offset": 1, "limit": 2}).json()
    assert [user["username"] for user in page] == ["other", "viewer"]
    assert api.get("/users", token=admin.access, params={"limit": 0}).status_code == 422

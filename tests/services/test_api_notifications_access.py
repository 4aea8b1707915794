"""Who may call the notifications endpoints: each × (owner, another user, a viewer, an admin, anonymous), with the
exact status each gets. Every logged-in user manages their own notifications; a notification of the owner is
not found for anyone else, admins included.

These rows belong in the shared matrix of test_api_access_control.py (which then covers every route of the app);
until they are merged there, this module checks them and that they cover every ``/notifications`` route.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from apitest import *  # noqa: F403 - the API fixtures
from apitest import Api, Member, member

from quantdesk.persistence import Role, create_engine_for, session_factory, transaction

ACTORS = ("owner", "other", "viewer", "admin", "anonymous")
TARGETS = {"email": "someone@example.com", "webhook_url": "https://hooks.example.com/q", "webhook_secret": "w" * 16}


@dataclass
class World:
    api: Api
    members: dict[str, Member]
    notification_id: int

    def token(self, actor: str) -> str | None:
        return None if actor == "anonymous" else self.members[actor].access


Body = Callable[[World, str], dict[str, Any]]


def _none(_world: World, _actor: str) -> dict[str, Any]:
    return {}


def _json(value: dict[str, Any]) -> Body:
    return lambda _world, _actor: {"json": value}


#          method, path ({notification} = one of the owner's), body, statuses for owner, other, viewer, admin, anonymous
MATRIX: list[tuple[str, str, Body, tuple[int, int, int, int, int]]] = [
    ("GET", "/notifications", _none, (200, 200, 200, 200, 401)),
    ("POST", "/notifications/{notification}/read", _none, (200, 404, 404, 404, 401)),
    ("GET", "/notifications/preferences", _none, (200, 200, 200, 200, 401)),
    (
        "PUT",
        "/notifications/preferences",
        _json({"info": [], "critical": ["in_app", "sms"]}),
        (200, 200, 200, 200, 401),
    ),
    ("GET", "/notifications/targets", _none, (200, 200, 200, 200, 401)),
    ("PUT", "/notifications/targets", _json(TARGETS), (200, 200, 200, 200, 401)),
]


@pytest.fixture
def world(api: Api, database_url: str) -> World:
    members = {
        "owner": member(api, database_url, "owner"),
        "other": member(api, database_url, "other"),
        "viewer": member(api, database_url, "viewer", Role.VIEWER),
        "admin": member(api, database_url, "admin", Role.ADMIN),
    }
    engine = create_engine_for(database_url)
    with transaction(session_factory(engine)) as uow:
        notification, _ = uow.notifications.create(
            "owner", "warning", "order_denied", "Order denied", "why", {}, "dep-o/risk:1",
            ts=datetime(2024, 3, 4, tzinfo=UTC), deployment_id="dep-o",
        )  # fmt: skip
    engine.dispose()
    return World(api, members, notification.id)


@pytest.mark.parametrize(("method", "path", "body", "expected"), MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
def test_each_caller_gets_exactly_the_expected_status(
    world: World, method: str, path: str, body: Body, expected: tuple[int, ...]
) -> None:
    url = path.format(notification=world.notification_id)
    statuses = tuple(
        world.api.request(method, url, token=world.token(actor), **body(world, actor)).status_code for actor in ACTORS
    )
    assert dict(zip(ACTORS, statuses, strict=True)) == dict(zip(ACTORS, expected, strict=True))


def test_every_notifications_route_is_in_the_matrix(api: Api) -> None:
    schema = api.get("/openapi.json").json()
    routes = {
        (method.upper(), path) for path, item in schema["paths"].items() for method in item if path.startswith("/notif")
    }
    covered = {(method, path.replace("{notification}", "{notification_id}")) for method, path, _, _ in MATRIX}
    assert routes == covered


def test_the_owners_notification_stays_unread_when_others_try_to_mark_it(world: World) -> None:
    api, owner = world.api, world.members["owner"]
    for actor in ("other", "viewer", "admin"):
        api.post(f"/notifications/{world.notification_id}/read", token=world.token(actor))
        assert api.get("/notifications", token=world.token(actor)).json() == {"items": [], "unread": 0}
    assert api.get("/notifications", token=owner.access).json()["unread"] == 1

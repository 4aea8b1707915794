"""``/notifications``: the caller's own notifications (paged, unread filter, marked read), the channels per
severity and the targets (validated; the webhook secret is write-only), on the rows the worker uses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apitest import *  # noqa: F403 - the API fixtures
from apitest import Api, member

from quantdesk.persistence import create_engine_for, session_factory, transaction

T0 = datetime(2024, 3, 4, 21, 0, tzinfo=UTC)


def notify(database_url: str, user: str, count: int, severity: str = "warning") -> list[int]:
    """Store ``count`` notifications of ``user``, one minute apart, as the worker does; their ids."""
    engine = create_engine_for(database_url)
    ids = []
    with transaction(session_factory(engine)) as uow:
        for n in range(count):
            notification, _ = uow.notifications.create(
                user, severity, "order_denied", f"Order denied {n}", f"body {n}", {"n": n}, f"{user}/k{n}",
                ts=T0 + timedelta(minutes=n), deployment_id="dep-x",
            )  # fmt: skip
            ids.append(notification.id)
    engine.dispose()
    return ids


def stored_target(database_url: str, user: str) -> tuple[str | None, str | None]:
    engine = create_engine_for(database_url)
    with transaction(session_factory(engine)) as uow:
        target = uow.notifications.target(user)
    engine.dispose()
    return target.webhook_url, target.webhook_secret


def test_a_user_lists_their_notifications_newest_first_pages_and_filters_unread(api: Api, database_url: str) -> None:
    alice = member(api, database_url, "alice")
    ids = notify(database_url, "alice", 4)
    notify(database_url, "bob", 2)
    page = api.get("/notifications", token=alice.access).json()
    assert [n["id"] for n in page["items"]] == ids[::-1]
    assert page["unread"] == 4
    assert page["items"][0] == {
        "id": ids[3],
        "severity": "warning",
        "kind": "order_denied",
        "title": "Order denied 3",
        "body": "body 3",
        "payload": {"n": 3},
        "deployment_id": "dep-x",
        "created_at": "2024-03-04T21:03:00Z",
        "read_at": None,
        "read": False,
    }
    second = api.get("/notifications", token=alice.access, params={"offset": 1, "limit": 2}).json()
    assert [n["id"] for n in second["items"]] == [ids[2], ids[1]]
    read = api.post(f"/notifications/{ids[2]}/read", token=alice.access)
    assert (read.status_code, read.json()["read"], read.json()["id"]) == (200, True, ids[2])
    unread = api.get("/notifications", token=alice.access, params={"unread": "true"}).json()
    assert ([n["id"] for n in unread["items"]], unread["unread"]) == ([ids[3], ids[1], ids[0]], 3)
    assert api.get("/notifications", token=alice.access, params={"limit": 0}).status_code == 422
    assert api.get("/notifications", token=alice.access, params={"limit": 201}).status_code == 422


def test_marking_read_keeps_the_first_time_and_another_users_notification_is_not_found(
    api: Api, database_url: str, clock: object
) -> None:
    alice, bob = member(api, database_url, "alice"), member(api, database_url, "bob")
    (mine,) = notify(database_url, "alice", 1)
    first = api.post(f"/notifications/{mine}/read", token=alice.access).json()
    clock.advance(minutes=5)  # type: ignore[attr-defined]
    assert api.post(f"/notifications/{mine}/read", token=alice.access).json()["read_at"] == first["read_at"]
    theirs = api.post(f"/notifications/{mine}/read", token=bob.access)
    assert (theirs.status_code, theirs.json()) == (404, {"detail": f"no notification with id {mine}"})
    missing = api.post("/notifications/999999/read", token=alice.access)
    assert (missing.status_code, missing.json()) == (404, {"detail": "no notification with id 999999"})
    assert api.post("/notifications/0/read", token=alice.access).status_code == 422
    assert api.get("/notifications", token=bob.access).json() == {"items": [], "unread": 0}


def test_preferences_default_then_change_per_severity(api: Api, database_url: str) -> None:
    alice = member(api, database_url, "alice")
    assert api.get("/notifications/preferences", token=alice.access).json() == {
        "info": ["in_app"],
        "warning": ["in_app", "email"],
        "critical": ["in_app", "email", "webhook", "sms"],
        "saved": [],
    }
    saved = api.put("/notifications/preferences", token=alice.access, json={"info": [], "critical": ["sms"]})
    assert saved.json() == {
        "info": [],
        "warning": ["in_app", "email"],
        "critical": ["sms"],
        "saved": ["info", "critical"],
    }
    assert api.get("/notifications/preferences", token=alice.access).json() == saved.json()


def test_bad_preferences_are_refused_with_the_reason(api: Api, database_url: str) -> None:
    alice = member(api, database_url, "alice")
    cases = {
        "info.0: Input should be 'in_app', 'email', 'webhook' or 'sms'": {"info": ["pager"]},
        "warning: a channel is listed twice": {"warning": ["email", "email"]},
        "urgent: unknown field": {"urgent": ["email"]},
        "a severity's channels must be a list ([] silences it), not null": {"critical": None},
        "info: Input should be a valid list": {"info": "email"},
    }
    for detail, body in cases.items():
        answer = api.put("/notifications/preferences", token=alice.access, json=body)
        assert (answer.status_code, answer.json()["detail"]) == (422, detail), body
    assert api.get("/notifications/preferences", token=alice.access).json()["saved"] == []


def test_targets_are_set_and_cleared_and_the_webhook_secret_is_never_returned(api: Api, database_url: str) -> None:
    alice = member(api, database_url, "alice")
    empty = api.get("/notifications/targets", token=alice.access).json()
    assert empty == {"email": None, "webhook_url": None, "webhook_secret_set": False, "phone": None, "updated_at": None}
    body = {
        "email": "alice@example.com",
        "webhook_url": "https://hooks.example.com/quantdesk",
        "webhook_secret": "whsec-0123456789abcdef",
        "phone": "+41791234567",
    }
    saved = api.put("/notifications/targets", token=alice.access, json=body)
    assert saved.status_code == 200
    assert "whsec" not in saved.text
    assert {k: v for k, v in saved.json().items() if k != "updated_at"} == {
        "email": "alice@example.com",
        "webhook_url": "https://hooks.example.com/quantdesk",
        "webhook_secret_set": True,
        "phone": "+41791234567",
    }
    assert stored_target(database_url, "alice") == ("https://hooks.example.com/quantdesk", "whsec-0123456789abcdef")
    # a new URL keeps the stored secret; null clears a field; fields left out keep theirs
    changed = api.put(
        "/notifications/targets", token=alice.access, json={"webhook_url": "http://127.0.0.1:9000/h", "phone": None}
    ).json()
    assert (changed["email"], changed["webhook_url"], changed["webhook_secret_set"], changed["phone"]) == (
        "alice@example.com",
        "http://127.0.0.1:9000/h",
        True,
        None,
    )
    assert api.get("/notifications/targets", token=alice.access).json() == changed


def test_bad_targets_are_refused_with_the_reason(api: Api, database_url: str) -> None:
    alice = member(api, database_url, "alice")
    secret = "whsec-0123456789abcdef"
    cases = [
        ({"webhook_url": "ftp://hooks.example.com/x", "webhook_secret": secret}, "webhook_url: must be an http:// "
         "or https:// URL with a host"),
        ({"webhook_url": "https://", "webhook_secret": secret}, "webhook_url: must be an http:// or https:// URL "
         "with a host"),
        ({"webhook_url": "https://user:pw@hooks.example.com/x", "webhook_secret": secret}, "webhook_url: must not "
         "hold a user name or password (the body is signed with webhook_secret)"),
        ({"webhook_url": "https://h.example.com/x"}, "webhook_secret: a webhook needs a secret to sign its bodies "
         "with"),
        ({"webhook_url": "https://h.example.com/x", "webhook_secret": "s"}, "webhook_secret: must be 16 to 200 "
         "characters"),
        ({"phone": "0791234567"}, "phone: String should match pattern '^\\+[1-9][0-9]{6,14}$'"),
        ({"email": "alice"}, "email: String should match pattern '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$'"),
        ({"sms": "+41791234567"}, "sms: unknown field"),
    ]  # fmt: skip
    for body, detail in cases:
        answer = api.put("/notifications/targets", token=alice.access, json=body)
        assert (answer.status_code, answer.json()["detail"]) == (422, detail), body
    assert stored_target(database_url, "alice") == (None, None)

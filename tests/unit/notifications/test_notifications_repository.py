"""Notifications, preferences, targets and deliveries as the repository stores them (a real SQLite database)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from quantdesk.persistence import PersistenceError, UnitOfWork, create_engine_for, session_factory, transaction, upgrade
from quantdesk.persistence.notifications import ChannelName, DeliveryStatus, Severity

T0 = datetime(2024, 3, 4, 21, 0, tzinfo=UTC)


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    url = f"sqlite:///{tmp_path / 'n.db'}"
    upgrade(url)
    engine = create_engine_for(url)
    yield session_factory(engine)
    engine.dispose()


def notify(uow: UnitOfWork, user: str, key: str, at: datetime = T0, severity: Severity = Severity.INFO) -> int:
    notification, created = uow.notifications.create(
        user, severity, "fill", f"title {key}", "body", {"n": key}, key, ts=at, deployment_id="dep-a"
    )
    assert created
    return notification.id


def test_one_source_key_makes_one_notification_per_user(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as uow:
        first, created = uow.notifications.create("alice", "warning", "order_denied", "t", "b", {}, "k1", ts=T0)
        again, created_again = uow.notifications.create("alice", "warning", "order_denied", "x", "y", {}, "k1", ts=T0)
        bob, created_bob = uow.notifications.create("bob", "warning", "order_denied", "t", "b", {}, "k1", ts=T0)
    assert (created, created_again, created_bob) == (True, False, True)
    assert again == first
    assert (again.title, again.severity, again.read_at) == ("t", Severity.WARNING, None)
    assert bob.id != first.id


def test_a_user_pages_their_own_notifications_newest_first_and_filters_unread(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as uow:
        ids = [notify(uow, "alice", f"k{i}", T0 + timedelta(minutes=i)) for i in range(5)]
        notify(uow, "bob", "k0")
        uow.notifications.mark_read("alice", ids[3], T0 + timedelta(hours=1))
    with transaction(sessions) as uow:
        repo = uow.notifications
        assert [n.id for n in repo.page("alice")] == ids[::-1]
        assert [n.id for n in repo.page("alice", offset=1, limit=2)] == [ids[3], ids[2]]
        assert [n.id for n in repo.page("alice", unread_only=True)] == [ids[4], ids[2], ids[1], ids[0]]
        assert (repo.count_unread("alice"), repo.count_unread("bob"), repo.count_unread("carol")) == (4, 1, 0)


def test_only_the_owner_marks_a_notification_read_and_the_first_read_time_stays(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as uow:
        nid = notify(uow, "alice", "k")
        assert uow.notifications.mark_read("bob", nid, T0) is None
        assert uow.notifications.mark_read("alice", nid + 100, T0) is None
        first = uow.notifications.mark_read("alice", nid, T0 + timedelta(minutes=1))
        again = uow.notifications.mark_read("alice", nid, T0 + timedelta(minutes=2))
    assert first is not None
    assert again is not None
    assert first.read_at == again.read_at == T0 + timedelta(minutes=1)


def test_preferences_default_per_severity_until_set_and_reject_unknown_or_repeated_channels(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as uow:
        repo = uow.notifications
        assert repo.preferences("alice") == {
            Severity.INFO: (ChannelName.IN_APP,),
            Severity.WARNING: (ChannelName.IN_APP, ChannelName.EMAIL),
            Severity.CRITICAL: (ChannelName.IN_APP, ChannelName.EMAIL, ChannelName.WEBHOOK, ChannelName.SMS),
        }
        repo.set_preferences("alice", {"info": [], "critical": ["sms", "in_app"]}, ts=T0)
        assert repo.preferences("alice") == {
            Severity.INFO: (),
            Severity.WARNING: (ChannelName.IN_APP, ChannelName.EMAIL),
            Severity.CRITICAL: (ChannelName.SMS, ChannelName.IN_APP),
        }
        assert set(repo.stored_preferences("alice")) == {Severity.INFO, Severity.CRITICAL}
        with pytest.raises(PersistenceError, match="channel 'pager' is not one of in_app, email, webhook, sms"):
            repo.set_preferences("alice", {"info": ["pager"]}, ts=T0)
        with pytest.raises(PersistenceError, match="channel email is listed twice"):
            repo.set_preferences("alice", {"info": ["email", "email"]}, ts=T0)
        with pytest.raises(PersistenceError, match="severity 'urgent' is not one of info, warning, critical"):
            repo.set_preferences("alice", {"urgent": []}, ts=T0)


def test_targets_change_only_the_fields_given(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as uow:
        repo = uow.notifications
        empty = repo.target("alice")
        assert (empty.email, empty.webhook_url, empty.phone, empty.updated_at) == (None, None, None, None)
        repo.set_target("alice", ts=T0, email="a@example.com", phone="+41791234567")
        changed = repo.set_target("alice", ts=T0 + timedelta(minutes=1), phone=None, webhook_url="https://h.example")
    assert (changed.email, changed.webhook_url, changed.webhook_secret, changed.phone) == (
        "a@example.com",
        "https://h.example",
        None,
        None,
    )
    assert changed.updated_at == T0 + timedelta(minutes=1)
    assert not changed.reaches("webhook")  # no secret to sign with


def test_a_delivery_is_created_once_per_channel_and_falls_due_at_its_next_attempt(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as uow:
        nid = notify(uow, "alice", "k", severity=Severity.CRITICAL)
        repo = uow.notifications
        assert repo.add_delivery(nid, "email", ts=T0) is True
        assert repo.add_delivery(nid, "email", ts=T0) is False
        assert repo.add_delivery(nid, "webhook", ts=T0 + timedelta(seconds=5)) is True
        with pytest.raises(PersistenceError, match="in_app is the notification itself"):
            repo.add_delivery(nid, "in_app", ts=T0)
        assert [d.channel for d in repo.due(T0)] == [ChannelName.EMAIL]
        email, _ = repo.deliveries(nid)
        assert [d.channel for d in repo.due(T0 + timedelta(seconds=5))] == [ChannelName.EMAIL, ChannelName.WEBHOOK]
        assert [d.channel for d in repo.due(T0 + timedelta(seconds=5), channels=["webhook"])] == [ChannelName.WEBHOOK]
        assert (email.status, email.attempts, email.next_attempt_at, email.last_error) == (
            DeliveryStatus.PENDING,
            0,
            T0,
            None,
        )


def test_a_claimed_delivery_cannot_be_claimed_again_until_its_lease_ends(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as uow:
        nid = notify(uow, "alice", "k", severity=Severity.CRITICAL)
        uow.notifications.add_delivery(nid, "email", ts=T0)
        (delivery,) = uow.notifications.deliveries(nid)
    lease = T0 + timedelta(seconds=60)
    with transaction(sessions) as uow:
        assert uow.notifications.claim(delivery, T0, lease) is True
    with transaction(sessions) as uow:
        assert uow.notifications.claim(delivery, T0, lease) is False  # another worker, at the same time
        assert uow.notifications.due(T0) == []
        assert [d.id for d in uow.notifications.due(lease)] == [delivery.id]  # the first worker died


def test_a_failed_attempt_is_retried_or_given_up_and_a_delivered_one_is_done(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as uow:
        nid = notify(uow, "alice", "k", severity=Severity.CRITICAL)
        repo = uow.notifications
        repo.add_delivery(nid, "email", ts=T0)
        repo.add_delivery(nid, "sms", ts=T0)
        email, sms = repo.deliveries(nid)
        retry = repo.mark_failed(email.id, 1, "refused", retry_at=T0 + timedelta(seconds=1), ts=T0)
        assert (retry.status, retry.attempts, retry.next_attempt_at, retry.last_error) == (
            DeliveryStatus.PENDING,
            1,
            T0 + timedelta(seconds=1),
            "refused",
        )
        failed = repo.mark_failed(email.id, 8, "refused again", retry_at=None, ts=T0)
        assert (failed.status, failed.attempts, failed.next_attempt_at) == (DeliveryStatus.FAILED, 8, None)
        done = repo.mark_delivered(sms.id, 1, ts=T0)
        assert (done.status, done.attempts, done.next_attempt_at, done.last_error) == (
            DeliveryStatus.DELIVERED,
            1,
            None,
            None,
        )
        assert repo.due(T0 + timedelta(days=1)) == []

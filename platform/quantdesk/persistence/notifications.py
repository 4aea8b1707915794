"""Notifications: a user's in-app notifications, their channel preferences per severity, where their outside
channels reach them (targets), and one delivery per notification and outside channel.

Users are keyed by username (the :class:`~quantdesk.model.UserId` of their deployments). A notification is
made from one event at most once per user (``source_key``); a delivery is retried with backoff until it is
delivered or given up (``failed`` with the last error).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from quantdesk.persistence._sql import insert_or_ignore
from quantdesk.persistence.columns import as_utc, jsonable
from quantdesk.persistence.errors import PersistenceError
from quantdesk.persistence.tables import (
    NotificationDeliveryRow,
    NotificationPreferenceRow,
    NotificationRow,
    NotificationTargetRow,
)

NOTIFICATIONS = NotificationRow.__table__
DELIVERIES = NotificationDeliveryRow.__table__
E = TypeVar("E", bound=StrEnum)


class Severity(StrEnum):
    """How urgent a notification is; preferences choose the channels per severity."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class ChannelName(StrEnum):
    """Where a notification goes: the app itself, or an outside channel."""

    IN_APP = "in_app"
    EMAIL = "email"
    WEBHOOK = "webhook"
    SMS = "sms"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


DEFAULT_CHANNELS: Mapping[Severity, tuple[ChannelName, ...]] = {
    Severity.INFO: (ChannelName.IN_APP,),
    Severity.WARNING: (ChannelName.IN_APP, ChannelName.EMAIL),
    Severity.CRITICAL: (ChannelName.IN_APP, ChannelName.EMAIL, ChannelName.WEBHOOK, ChannelName.SMS),
}
"""The channels of each severity for a user who has stored no preference for it."""


@dataclass(frozen=True, slots=True)
class Notification:
    """One notification of ``user_id``; ``read_at`` is None while it is unread."""

    id: int
    user_id: str
    severity: Severity
    kind: str
    title: str
    body: str
    payload: dict[str, Any]
    source_key: str
    deployment_id: str | None
    created_at: datetime
    read_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: timestamps as ISO 8601."""
        return {
            "id": self.id,
            "user": self.user_id,
            "severity": self.severity.value,
            "kind": self.kind,
            "title": self.title,
            "body": self.body,
            "payload": self.payload,
            "deployment_id": self.deployment_id,
            "created_at": self.created_at.isoformat(),
            "read_at": None if self.read_at is None else self.read_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class NotificationTarget:
    """Where a user's outside channels reach them; a None field leaves that channel without a target."""

    user_id: str
    email: str | None
    webhook_url: str | None
    webhook_secret: str | None
    phone: str | None
    updated_at: datetime | None

    def reaches(self, channel: ChannelName | str) -> bool:
        """Whether ``channel`` has a target (the app always has one; a webhook needs its URL and secret)."""
        name = ChannelName(channel)
        if name is ChannelName.IN_APP:
            return True
        if name is ChannelName.EMAIL:
            return bool(self.email)
        if name is ChannelName.WEBHOOK:
            return bool(self.webhook_url and self.webhook_secret)
        return bool(self.phone)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One notification on one outside channel: ``attempts`` made so far, the next one due at
    ``next_attempt_at`` (None once delivered or given up)."""

    id: int
    notification_id: int
    channel: ChannelName
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    updated_at: datetime


class NotificationRepository:
    """Notifications, preferences, targets and deliveries."""

    def __init__(self, session: Session) -> None:
        self._session = session

    # -- notifications ------------------------------------------------------------------------------------
    def create(
        self,
        user_id: str,
        severity: Severity | str,
        kind: str,
        title: str,
        body: str,
        payload: Mapping[str, Any],
        source_key: str,
        *,
        ts: datetime,
        deployment_id: str | None = None,
        read: bool = False,
    ) -> tuple[Notification, bool]:
        """Store a notification unless the user has one from ``source_key`` already; ``(it, created)``.
        ``read`` stores it as read (a severity whose preferences leave out the app: kept as a record only)."""
        now = as_utc(ts)
        values = {
            "user_id": user_id,
            "severity": _member(Severity, severity, "severity").value,
            "kind": kind,
            "title": title[:200],
            "body": body,
            "payload": jsonable(dict(payload)),
            "source_key": source_key,
            "deployment_id": deployment_id,
            "created_at": now,
            "read_at": now if read else None,
        }
        created = insert_or_ignore(self._session, NOTIFICATIONS, values, ("user_id", "source_key"))
        row = self._session.scalars(
            select(NotificationRow).where(NotificationRow.user_id == user_id, NotificationRow.source_key == source_key)
        ).one()
        return _notification(row), created

    def get(self, notification_id: int) -> Notification | None:
        row = self._session.get(NotificationRow, notification_id)
        return None if row is None else _notification(row)

    def page(self, user_id: str, *, unread_only: bool = False, offset: int = 0, limit: int = 50) -> list[Notification]:
        """The user's notifications, newest first."""
        query = select(NotificationRow).where(NotificationRow.user_id == user_id)
        if unread_only:
            query = query.where(NotificationRow.read_at.is_(None))
        query = query.order_by(NotificationRow.created_at.desc(), NotificationRow.id.desc()).offset(offset).limit(limit)
        return [_notification(row) for row in self._session.scalars(query)]

    def count_unread(self, user_id: str) -> int:
        query = select(func.count()).where(NotificationRow.user_id == user_id, NotificationRow.read_at.is_(None))
        return int(self._session.scalar(query) or 0)

    def mark_read(self, user_id: str, notification_id: int, ts: datetime) -> Notification | None:
        """Mark the user's notification read (keeping the first time it was); None if the user has no
        notification with this id (another user's included)."""
        row = self._session.get(NotificationRow, notification_id)
        if row is None or row.user_id != user_id:
            return None
        if row.read_at is None:
            row.read_at = as_utc(ts)
            self._session.flush()
        return _notification(row)

    # -- preferences and targets ----------------------------------------------------------------------------
    def preferences(self, user_id: str) -> dict[Severity, tuple[ChannelName, ...]]:
        """The channels of each severity: the stored ones, :data:`DEFAULT_CHANNELS` for the others."""
        stored = self.stored_preferences(user_id)
        return {severity: stored.get(severity, DEFAULT_CHANNELS[severity]) for severity in Severity}

    def stored_preferences(self, user_id: str) -> dict[Severity, tuple[ChannelName, ...]]:
        """Only the severities the user has set."""
        query = select(NotificationPreferenceRow).where(NotificationPreferenceRow.user_id == user_id)
        return {
            Severity(row.severity): tuple(ChannelName(name) for name in row.channels)
            for row in self._session.scalars(query)
        }

    def set_preferences(
        self, user_id: str, channels: Mapping[Severity | str, Iterable[ChannelName | str]], *, ts: datetime
    ) -> dict[Severity, tuple[ChannelName, ...]]:
        """Store the channels of the severities given (others keep theirs); returns :meth:`preferences`."""
        now = as_utc(ts)
        for severity, names in channels.items():
            level = _member(Severity, severity, "severity")
            chosen = _channels(names)
            row = self._session.get(NotificationPreferenceRow, (user_id, level.value))
            if row is None:
                row = NotificationPreferenceRow(user_id=user_id, severity=level.value)
                self._session.add(row)
            row.channels, row.updated_at = [name.value for name in chosen], now
        self._session.flush()
        return self.preferences(user_id)

    def target(self, user_id: str) -> NotificationTarget:
        """Where the user's outside channels reach them (every field None if nothing is stored)."""
        row = self._session.get(NotificationTargetRow, user_id)
        if row is None:
            return NotificationTarget(user_id, None, None, None, None, None)
        return _target(row)

    def set_target(self, user_id: str, *, ts: datetime, **changes: str | None) -> NotificationTarget:
        """Set ``email``, ``webhook_url``, ``webhook_secret`` and/or ``phone`` (None clears one); the others
        keep their values."""
        allowed = {"email", "webhook_url", "webhook_secret", "phone"}
        if unknown := sorted(set(changes) - allowed):
            raise PersistenceError(f"cannot change notification target field(s) {', '.join(unknown)}")
        row = self._session.get(NotificationTargetRow, user_id)
        if row is None:
            row = NotificationTargetRow(user_id=user_id, email=None, webhook_url=None, webhook_secret=None, phone=None)
            self._session.add(row)
        for field, value in changes.items():
            setattr(row, field, value)
        row.updated_at = as_utc(ts)
        self._session.flush()
        return _target(row)

    # -- deliveries -----------------------------------------------------------------------------------------
    def add_delivery(self, notification_id: int, channel: ChannelName | str, *, ts: datetime) -> bool:
        """A pending delivery of the notification on ``channel``, due at ``ts``; False if it exists already."""
        name = _member(ChannelName, channel, "channel")
        if name is ChannelName.IN_APP:
            raise PersistenceError("in_app is the notification itself, not a delivery")
        now = as_utc(ts)
        values = {
            "notification_id": notification_id,
            "channel": name.value,
            "status": DeliveryStatus.PENDING.value,
            "attempts": 0,
            "next_attempt_at": now,
            "last_error": None,
            "updated_at": now,
        }
        return insert_or_ignore(self._session, DELIVERIES, values, ("notification_id", "channel"))

    def deliveries(self, notification_id: int) -> list[Delivery]:
        query = select(NotificationDeliveryRow).where(NotificationDeliveryRow.notification_id == notification_id)
        return [_delivery(row) for row in self._session.scalars(query.order_by(NotificationDeliveryRow.id))]

    def get_delivery(self, delivery_id: int) -> Delivery | None:
        row = self._session.get(NotificationDeliveryRow, delivery_id)
        return None if row is None else _delivery(row)

    def due(
        self, now: datetime, limit: int = 100, channels: Iterable[ChannelName | str] | None = None
    ) -> list[Delivery]:
        """Pending deliveries whose next attempt is due at ``now`` (on ``channels`` only, if given), the
        longest-waiting first."""
        query = select(NotificationDeliveryRow).where(
            NotificationDeliveryRow.status == DeliveryStatus.PENDING.value,
            NotificationDeliveryRow.next_attempt_at <= as_utc(now),
        )
        if channels is not None:
            names = [_member(ChannelName, name, "channel").value for name in channels]
            query = query.where(NotificationDeliveryRow.channel.in_(names))
        query = query.order_by(NotificationDeliveryRow.next_attempt_at, NotificationDeliveryRow.id).limit(limit)
        return [_delivery(row) for row in self._session.scalars(query)]

    def claim(self, delivery: Delivery, now: datetime, until: datetime) -> bool:
        """Take the due ``delivery`` for one attempt: its next attempt moves to ``until`` (when another worker
        may take it if this one dies mid-attempt). False if another worker took or finished it first (one
        conditional UPDATE, so two workers cannot both attempt it)."""
        statement = (
            update(NotificationDeliveryRow)
            .where(
                NotificationDeliveryRow.id == delivery.id,
                NotificationDeliveryRow.status == DeliveryStatus.PENDING.value,
                NotificationDeliveryRow.attempts == delivery.attempts,
                NotificationDeliveryRow.next_attempt_at <= as_utc(now),
            )
            .values(next_attempt_at=as_utc(until))
            .execution_options(synchronize_session=False)
        )
        return self._session.execute(statement).rowcount == 1  # type: ignore[attr-defined]

    def mark_delivered(self, delivery_id: int, attempts: int, *, ts: datetime) -> Delivery:
        return self._finish(delivery_id, DeliveryStatus.DELIVERED, attempts, None, None, ts)

    def mark_failed(
        self, delivery_id: int, attempts: int, error: str, *, retry_at: datetime | None, ts: datetime
    ) -> Delivery:
        """Record a failed attempt: pending again, due at ``retry_at``; or, when ``retry_at`` is None, failed
        for good with ``error``."""
        status = DeliveryStatus.FAILED if retry_at is None else DeliveryStatus.PENDING
        return self._finish(delivery_id, status, attempts, error, retry_at, ts)

    def _finish(
        self,
        delivery_id: int,
        status: DeliveryStatus,
        attempts: int,
        error: str | None,
        retry_at: datetime | None,
        ts: datetime,
    ) -> Delivery:
        row = self._session.get(NotificationDeliveryRow, delivery_id)
        if row is None:
            raise PersistenceError(f"no notification delivery {delivery_id}")
        row.status, row.attempts = status.value, attempts
        row.next_attempt_at = None if retry_at is None else as_utc(retry_at)
        row.last_error = error if error is None else error[:2000]
        row.updated_at = as_utc(ts)
        self._session.flush()
        return _delivery(row)


def _member(kind: type[E], value: object, what: str) -> E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise PersistenceError(f"{what} {value!r} is not one of {allowed}") from None


def _channels(names: Iterable[ChannelName | str]) -> tuple[ChannelName, ...]:
    chosen: list[ChannelName] = []
    for name in names:
        channel = _member(ChannelName, name, "channel")
        if channel in chosen:
            raise PersistenceError(f"channel {channel.value} is listed twice")
        chosen.append(channel)
    return tuple(chosen)


def _notification(row: NotificationRow) -> Notification:
    return Notification(
        id=row.id,
        user_id=row.user_id,
        severity=Severity(row.severity),
        kind=row.kind,
        title=row.title,
        body=row.body,
        payload=row.payload,
        source_key=row.source_key,
        deployment_id=row.deployment_id,
        created_at=row.created_at,
        read_at=row.read_at,
    )


def _target(row: NotificationTargetRow) -> NotificationTarget:
    return NotificationTarget(row.user_id, row.email, row.webhook_url, row.webhook_secret, row.phone, row.updated_at)


def _delivery(row: NotificationDeliveryRow) -> Delivery:
    return Delivery(
        id=row.id,
        notification_id=row.notification_id,
        channel=ChannelName(row.channel),
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        updated_at=row.updated_at,
    )

"""The notification worker: engine events from the bus → in-app notifications and outside deliveries.

Each loop it (1) relays the outbox when it was given a relay (so a worker next to runners without Redis
publishes what they staged in the shared database), (2) takes the ``orders``, ``fills`` and ``risk`` messages
as consumer group ``"notifications"``: per message one transaction writes the notification and its pending
deliveries, then the notification is published on topic ``"notifications"`` for the WebSocket servers, and
only then is the message acknowledged, and (3) attempts the deliveries that are due.

Nothing is lost and nothing is doubled: a message whose handling did not finish is delivered again (the bus's
consumer groups), and the notification of a message handled before is found by its ``source_key`` (the
database's unique key), so a redelivery adds no second notification or delivery, and publishes the in-app
notification again under the same key, which the bus stores once. A failed delivery is tried again after
1 s, 2 s, 4 s ... (capped) until it is delivered or has failed ``max_attempts`` times.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import structlog
from sqlalchemy.orm import Session, sessionmaker

from quantdesk.bus import DEFAULT_CLAIM_IDLE, TOPIC_FILLS, TOPIC_ORDERS, TOPIC_RISK, Bus, BusError, Message, Start
from quantdesk.model import DeploymentId
from quantdesk.model.errors import QuantdeskError
from quantdesk.notifications.channels import Channel, DeliveryError, Outgoing
from quantdesk.notifications.routing import Notice, channels_for, notice_for
from quantdesk.persistence import transaction
from quantdesk.persistence.notifications import ChannelName, Delivery, Notification

_log = structlog.stdlib.get_logger(__name__)

GROUP = "notifications"
"""The consumer group the workers share: each event is handled by one of them."""
TOPIC_NOTIFICATIONS = "notifications"
"""Where in-app notifications are published (payload: type, scope, user, notification)."""
SOURCE_TOPICS = (TOPIC_ORDERS, TOPIC_FILLS, TOPIC_RISK)
"""The topics whose events can make a notification (equity snapshots make none)."""


class Relay(Protocol):
    """Publishes what is staged in the outbox (:class:`quantdesk.runtime.outbox.OutboxRelay`)."""

    def relay(self, limit: int = ...) -> int: ...


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """After the n-th failed attempt the next is due ``first_delay * 2**(n-1)`` later, at most ``max_delay``;
    after ``max_attempts`` failures the delivery has failed for good."""

    first_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(minutes=5)
    max_attempts: int = 8

    def __post_init__(self) -> None:
        if self.first_delay <= timedelta(0) or self.max_delay < self.first_delay or self.max_attempts < 1:
            raise ValueError("retry policy: need 0 < first_delay <= max_delay and max_attempts >= 1")

    def delay(self, failures: int) -> timedelta:
        """How long after the ``failures``-th failed attempt the next one is due."""
        return min(self.first_delay * 2 ** (failures - 1), self.max_delay)


@dataclass(frozen=True, slots=True)
class WorkReport:
    """What one :meth:`NotificationWorker.run_once` did."""

    relayed: int = 0
    events: int = 0
    notified: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def busy(self) -> bool:
        """Whether it found anything to do (the loop then goes on without waiting)."""
        return bool(self.relayed or self.events or self.delivered or self.retrying or self.failed)


class NotificationWorker:
    """Turns the engine's events into notifications; see the module docstring.

    - ``sessions``: the database; ``bus``: where the events arrive and notifications are published;
      ``channels``: the outside channels it can send through (by their :attr:`~Channel.name`);
      ``clock``: UTC now (notification times, when deliveries are due).
    - ``relay``: relayed each loop when given. ``consumer``: this worker's name in the group (unique if None);
      ``claim_idle``: seconds before it takes over messages a dead worker left unacknowledged.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        bus: Bus,
        channels: Iterable[Channel],
        clock: Callable[[], datetime],
        *,
        relay: Relay | None = None,
        retry: RetryPolicy | None = None,
        consumer: str | None = None,
        claim_idle: float = DEFAULT_CLAIM_IDLE,
        start: Start = "earliest",
        lease: timedelta = timedelta(seconds=60),
        batch: int = 100,
    ) -> None:
        self._sessions, self._bus, self._clock, self._relay = sessions, bus, clock, relay
        self.channels: dict[ChannelName, Channel] = {}
        for channel in channels:
            name = ChannelName(channel.name)
            if name is ChannelName.IN_APP:
                raise ValueError("in_app is not an outside channel: the worker stores and publishes it itself")
            if name in self.channels:
                raise ValueError(f"two {name.value} channels given")
            self.channels[name] = channel
        self.retry = retry or RetryPolicy()
        self._lease, self._batch = lease, batch
        self._notified = 0
        self._consumers = [
            bus.subscribe(topic, GROUP, self.handle, consumer=consumer, start=start, claim_idle=claim_idle)
            for topic in SOURCE_TOPICS
        ]

    # -- the loop -------------------------------------------------------------------------------------------
    def run(self, stop: threading.Event, *, idle: float = 1.0) -> None:
        """Work until ``stop`` is set, waiting ``idle`` seconds after a loop that found nothing to do. A bus or
        database that is down is logged and tried again; the worker does not stop for it."""
        while not stop.is_set():
            try:
                report = self.run_once()
            except QuantdeskError as exc:
                _log.warning("notification worker: will try again", error=str(exc))
                stop.wait(idle)
                continue
            if not report.busy:
                stop.wait(idle)

    def run_once(self) -> WorkReport:
        """One loop: relay, handle the messages waiting on the bus, attempt the deliveries due."""
        relayed = self._relay.relay() if self._relay is not None else 0
        self._notified = 0
        events = sum(consumer.poll(max_messages=self._batch).handled for consumer in self._consumers)
        delivered, retrying, failed = self.deliver_due()
        return WorkReport(relayed, events, self._notified, delivered, retrying, failed)

    def close(self) -> None:
        """Leave the consumer group (the bus and the channels stay open: the caller owns them)."""
        for consumer in self._consumers:
            consumer.close()

    # -- events -----------------------------------------------------------------------------------------------
    def handle(self, message: Message) -> None:
        """The bus handler: the notification of ``message`` (if it makes one), stored and published.
        Raising leaves the message to be delivered again (a database or bus that is down)."""
        try:
            notice = notice_for(message)
        except BusError as exc:  # it will never decode: acknowledge it, or it blocks nothing but wastes polls
            _log.warning("notification worker: skipped a malformed event", message_id=message.id, error=str(exc))
            return
        if notice is None:
            return
        stored = self._store(notice)
        if stored is not None and stored.read_at is None:
            self._publish(stored)

    def _store(self, notice: Notice) -> Notification | None:
        if notice.deployment_id is None:
            _log.warning("notification worker: an event without a deployment (scope)", source=notice.source_key)
            return None
        try:
            deployment_id = DeploymentId(notice.deployment_id)
        except QuantdeskError:
            _log.warning("notification worker: an invalid deployment id", scope=notice.deployment_id)
            return None
        now = self._clock()
        with transaction(self._sessions) as uow:
            deployment = uow.deployments.get(deployment_id)
            if deployment is None:
                _log.warning("notification worker: an event of an unknown deployment", scope=notice.deployment_id)
                return None
            user, repo = deployment.user_id.value, uow.notifications
            chosen = channels_for(notice.severity, repo.preferences(user), repo.target(user), self.channels)
            if not chosen:
                return None
            notification, created = repo.create(
                user, notice.severity, notice.kind, notice.title, notice.body, notice.payload, notice.source_key,
                ts=now, deployment_id=notice.deployment_id, read=ChannelName.IN_APP not in chosen,
            )  # fmt: skip
            if created:
                self._notified += 1
                for name in chosen:
                    if name is not ChannelName.IN_APP:
                        repo.add_delivery(notification.id, name, ts=now)
        return notification

    def _publish(self, notification: Notification) -> None:
        payload = {
            "type": "notification",
            "scope": notification.deployment_id,
            "user": notification.user_id,
            "notification": notification.to_dict(),
        }
        self._bus.publish(TOPIC_NOTIFICATIONS, payload, key=f"notification-{notification.id}")

    # -- deliveries ---------------------------------------------------------------------------------------------
    def deliver_due(self) -> tuple[int, int, int]:
        """Attempt the deliveries due now on the channels this worker has; ``(delivered, retrying, failed)``."""
        now = self._clock()
        with transaction(self._sessions) as uow:
            due = uow.notifications.due(now, self._batch, channels=self.channels) if self.channels else []
        outcomes = [self._attempt(delivery, now) for delivery in due]
        return outcomes.count("delivered"), outcomes.count("retrying"), outcomes.count("failed")

    def _attempt(self, delivery: Delivery, now: datetime) -> str | None:
        with transaction(self._sessions) as uow:
            if not uow.notifications.claim(delivery, now, now + self._lease):
                return None  # another worker has it
            notification = uow.notifications.get(delivery.notification_id)
            if notification is None:
                raise QuantdeskError(f"delivery {delivery.id} refers to no notification")
            target = uow.notifications.target(notification.user_id)
        attempt = delivery.attempts + 1
        error, permanent = None, False
        try:
            self.channels[delivery.channel].send(Outgoing(delivery.id, notification, target))
        except DeliveryError as exc:
            error, permanent = str(exc), exc.permanent
        except Exception as exc:  # a bug in a channel must not stop the other deliveries
            error = f"{type(exc).__name__}: {exc}"
            _log.exception("notification worker: a channel failed unexpectedly", channel=delivery.channel.value)
        done = self._clock()
        with transaction(self._sessions) as uow:
            repo = uow.notifications
            if error is None:
                repo.mark_delivered(delivery.id, attempt, ts=done)
                return "delivered"
            give_up = permanent or attempt >= self.retry.max_attempts
            retry_at = None if give_up else done + self.retry.delay(attempt)
            repo.mark_failed(delivery.id, attempt, error, retry_at=retry_at, ts=done)
        _log.warning(
            "notification delivery failed",
            channel=delivery.channel.value,
            delivery=delivery.id,
            attempt=attempt,
            error=error,
            retry_at=None if retry_at is None else retry_at.isoformat(),
        )
        return "failed" if give_up else "retrying"

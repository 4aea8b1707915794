"""The bus port: publish JSON messages on a topic; consumer groups take them, each group every message.

Delivery is at least once. A handler that returns acknowledges its message; one that raises leaves it pending,
and it is delivered again on a later poll (by the same consumer, or by another one of the group once it has
been pending longer than ``claim_idle``). Consumers are idempotent: a message id a group has processed is
acknowledged without calling the handler again. Publishing is idempotent by ``key`` within the backend's
dedupe window, so a publisher that retries after a crash does not create a second message.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from quantdesk.model.errors import QuantdeskError

Start = Literal["earliest", "latest"]
"""Where a new consumer group starts: the oldest message the stream still holds, or the next one published."""

DEFAULT_CLAIM_IDLE = 30.0
"""Seconds a message may stay pending with one consumer before another consumer of its group takes it over."""


class BusError(QuantdeskError):
    """The bus cannot do what was asked: the server is unreachable, a name or payload is invalid, it is closed."""


@dataclass(frozen=True, slots=True)
class Message:
    """One message as a consumer receives it.

    ``id`` is the publisher's ``key`` when it gave one (the event's natural key), otherwise a random hex id;
    ``payload`` is a fresh JSON-safe dict per delivery; ``ts`` is when the bus stored it (UTC);
    ``deliveries`` counts how often it has been handed to a consumer of this group (1 the first time).
    """

    id: str
    topic: str
    payload: dict[str, Any]
    ts: datetime
    deliveries: int = 1


Handler = Callable[[Message], object]
"""Processes one message; returning acknowledges it, raising leaves it to be delivered again."""


@dataclass(frozen=True, slots=True)
class PollReport:
    """What one poll did with the messages it received.

    - ``handled``: the handler returned; acknowledged.
    - ``failed``: the handler raised; left pending, delivered again later.
    - ``duplicates``: the group had already processed the id; acknowledged without calling the handler.
    - ``dead_lettered``: delivered more than ``max_deliveries`` times; moved to ``<topic>.dead`` and acknowledged.
    - ``trimmed``: pending messages the bounded stream had already dropped; acknowledged (they cannot be read).
    """

    handled: int = 0
    failed: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    trimmed: int = 0

    @property
    def received(self) -> int:
        """Every message this poll looked at."""
        return self.handled + self.failed + self.duplicates + self.dead_lettered + self.trimmed


class Consumer(Protocol):
    """One member of a consumer group; use each consumer object from one thread at a time."""

    @property
    def topic(self) -> str: ...

    @property
    def group(self) -> str: ...

    @property
    def name(self) -> str: ...

    def poll(self, *, max_messages: int = 100, timeout: float = 0.0) -> PollReport:
        """Process what is available: first this consumer's own pending messages, then messages other
        consumers of the group left pending longer than ``claim_idle``, then new ones. Waits up to ``timeout``
        seconds for a new message when there is nothing else to do."""
        ...

    def close(self) -> None:
        """Leave the group. Messages still pending stay with the group and are taken over by another consumer."""
        ...


class Bus(Protocol):
    """Publish/subscribe with consumer groups; :func:`quantdesk.bus.create_bus` builds one."""

    def publish(self, topic: str, payload: Mapping[str, Any], *, key: str | None = None) -> str:
        """Append ``payload`` to ``topic`` and return the message id (``key`` when given). Publishing a key
        already published to the topic (within the dedupe window) stores nothing and returns the same id."""
        ...

    def subscribe(
        self,
        topic: str,
        group: str,
        handler: Handler,
        *,
        consumer: str | None = None,
        start: Start = "earliest",
        claim_idle: float = DEFAULT_CLAIM_IDLE,
        max_deliveries: int | None = None,
    ) -> Consumer:
        """Join ``group`` on ``topic`` (creating the group from ``start`` if it is new) as ``consumer`` (a unique
        name by default). ``max_deliveries`` moves a message that keeps failing to ``<topic>.dead``; None
        retries it forever."""
        ...

    def close(self) -> None:
        """Release the backend's resources; publishing or polling afterwards raises :class:`BusError`."""
        ...


def dead_letter_topic(topic: str) -> str:
    """Where messages of ``topic`` go after ``max_deliveries`` failed deliveries."""
    return f"{topic}.dead"


def consume_until(consumer: Consumer, stop: threading.Event, *, timeout: float = 1.0) -> None:
    """Poll ``consumer`` until ``stop`` is set, waiting up to ``timeout`` seconds per poll for new messages:
    the loop of a worker thread or process."""
    while not stop.is_set():
        consumer.poll(timeout=timeout)

"""Node events to the bus through the outbox (see :mod:`quantdesk.persistence.outbox`).

The deployment runner stages each bar's events in the bar's own transaction (:func:`stage_events`); the
relay publishes what is staged, in order, under each event's natural key, then marks it published. Run by
the runner after each bar (embedded default) or by any other process that shares the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from quantdesk.bus import Bus
from quantdesk.bus.codec import Event, encode, event_key, topic_for
from quantdesk.persistence import UnitOfWork, transaction


def stage_events(uow: UnitOfWork, events: Iterable[Event], *, scope: str) -> int:
    """Add ``events`` of deployment ``scope`` to the outbox of ``uow``'s transaction; how many were new."""
    added = 0
    for event in events:
        payload: dict[str, Any] = {**encode(event), "scope": scope}
        added += uow.outbox.add(topic_for(event), event_key(event, scope=scope), payload)
    return added


class OutboxRelay:
    """Publishes staged events to ``bus`` (at least once; the bus's idempotent keys make it once)."""

    def __init__(self, sessions: sessionmaker[Session], bus: Bus) -> None:
        self._sessions, self._bus = sessions, bus

    def relay(self, limit: int = 1000) -> int:
        """Publish up to ``limit`` pending events, oldest first; returns how many were published."""
        with transaction(self._sessions) as uow:
            pending = uow.outbox.pending(limit)
        for message in pending:
            self._bus.publish(message.topic, message.payload, key=message.key)
        if pending:
            with transaction(self._sessions) as uow:
                uow.outbox.mark_published(m.id for m in pending)
        return len(pending)

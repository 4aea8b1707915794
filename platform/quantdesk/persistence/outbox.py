"""The outbox: events written in the same transaction as the records they describe, published afterwards.

"Write to the database and publish" cannot be one atomic step across two systems, so the engine does the
first only: each event goes into ``outbox`` with the bar's other records, in one transaction, under its
natural key (the same event staged twice is stored once). A relay then publishes the rows not yet published
and marks them; a crash between the two publishes them again, under the same key, which the bus recognises
(idempotent publish), so subscribers see each event once and none is lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from quantdesk.persistence._sql import insert_or_ignore
from quantdesk.persistence.columns import jsonable
from quantdesk.persistence.tables import OutboxRow

OUTBOX = OutboxRow.__table__


@dataclass(frozen=True)
class OutboxMessage:
    """One staged event: its row id (publishing order), topic, natural key and JSON payload."""

    id: int
    topic: str
    key: str
    payload: dict[str, Any]
    created_at: datetime


class OutboxRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, topic: str, key: str, payload: Mapping[str, Any], ts: datetime | None = None) -> bool:
        """Stage an event; False if one with this key is staged already (nothing changes)."""
        values = {
            "topic": topic,
            "key": key,
            "payload": jsonable(dict(payload)),
            "created_at": datetime.now(UTC) if ts is None else ts,
        }
        return insert_or_ignore(self._session, OUTBOX, values, ("key",))

    def pending(self, limit: int = 500) -> list[OutboxMessage]:
        """The oldest events not yet published, in the order they were staged."""
        query = select(OutboxRow).where(OutboxRow.published_at.is_(None)).order_by(OutboxRow.id).limit(limit)
        return [
            OutboxMessage(row.id, row.topic, row.key, dict(row.payload), row.created_at)
            for row in self._session.scalars(query)
        ]

    def mark_published(self, ids: Iterable[int], ts: datetime | None = None) -> None:
        chosen = list(ids)
        if chosen:
            stamp = datetime.now(UTC) if ts is None else ts
            self._session.execute(update(OUTBOX).where(OUTBOX.c.id.in_(chosen)).values(published_at=stamp))

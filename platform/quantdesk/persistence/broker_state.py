"""The simulated broker's venue state, kept so that across restarts it behaves like an outside venue."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from quantdesk.persistence._sql import upsert
from quantdesk.persistence.columns import as_utc, jsonable
from quantdesk.persistence.errors import PersistenceError
from quantdesk.persistence.tables import SimBrokerStateRow

STATES = SimBrokerStateRow.__table__


class SimBrokerStateRepository:
    """One JSON document per simulated account. Decimals in it come back as strings (JSON has no decimal
    type): the broker's state object should write and parse its own amounts."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def load(self, account_id: str) -> dict[str, Any] | None:
        """The stored state of ``account_id``, or None if it was never saved."""
        row = self._session.get(SimBrokerStateRow, account_id, populate_existing=True)
        return None if row is None else row.state

    def save(self, account_id: str, state: dict[str, Any], ts: datetime | None = None) -> None:
        """Replace the stored state of ``account_id``."""
        if not isinstance(state, dict):
            raise PersistenceError(f"the state of {account_id} must be a dict, got {type(state).__name__}")
        values = {
            "account_id": account_id,
            "state": jsonable(state),
            "updated_at": datetime.now(UTC) if ts is None else as_utc(ts),
        }
        upsert(self._session, STATES, values, ("account_id",))

"""The simulated broker's venue state, kept so that across restarts it behaves like an outside venue.

A state is a JSON document whose ``orders`` and ``fills`` lists only ever grow. The document is stored
without them; their items are rows of ``sim_broker_rows`` keyed by position, so a venue that changes one
order per bar writes one small row and its account document, not its whole history
(:meth:`SimBrokerStateRepository.save_changes`). :meth:`~SimBrokerStateRepository.load` puts the document
back together.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from quantdesk.persistence._sql import upsert
from quantdesk.persistence.columns import as_utc, jsonable
from quantdesk.persistence.errors import PersistenceError
from quantdesk.persistence.tables import SimBrokerRow, SimBrokerStateRow

STATES = SimBrokerStateRow.__table__
ROWS = SimBrokerRow.__table__
LISTS = ("orders", "fills")  # the growing lists, stored item by item
_MOVED = "__rows__"  # the document's record of which lists were moved to rows


class SimBrokerStateRepository:
    """One document per simulated account. Decimals in it come back as strings (JSON has no decimal type):
    the broker's state object should write and parse its own amounts."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def load(self, account_id: str) -> dict[str, Any] | None:
        """The stored state of ``account_id``, whole, or None if it was never saved."""
        row = self._session.get(SimBrokerStateRow, account_id, populate_existing=True)
        if row is None:
            return None
        document = dict(row.state)
        moved = document.pop(_MOVED, [])
        if moved:
            items: dict[str, list[Any]] = {key: [] for key in moved}
            query = select(ROWS.c.kind, ROWS.c.item).where(ROWS.c.account_id == account_id).order_by(ROWS.c.seq)
            for kind, item in self._session.execute(query):
                if kind in items:
                    items[kind].append(item)
            document.update(items)
        return document

    def save(self, account_id: str, state: dict[str, Any], ts: datetime | None = None) -> None:
        """Replace the stored state of ``account_id`` with ``state``."""
        if not isinstance(state, dict):
            raise PersistenceError(f"the state of {account_id} must be a dict, got {type(state).__name__}")
        lists = {key: state[key] for key in LISTS if isinstance(state.get(key), list)}
        self._session.execute(delete(ROWS).where(ROWS.c.account_id == account_id))
        account = {key: value for key, value in state.items() if key not in lists}
        self.save_changes(
            account_id, account, {key: dict(enumerate(items)) for key, items in lists.items()}, ts, moved=list(lists)
        )

    def save_changes(
        self,
        account_id: str,
        account: dict[str, Any],
        items: Mapping[str, Mapping[int, Any]],
        ts: datetime | None = None,
        *,
        moved: list[str] | None = None,
    ) -> None:
        """Store the document ``account`` (the state without its lists) and, for each list in ``items``, the
        items given by position (new ones, or changed ones replacing what that position held)."""
        if not isinstance(account, dict):
            raise PersistenceError(f"the state of {account_id} must be a dict, got {type(account).__name__}")
        unknown = sorted(set(items) - set(LISTS))
        if unknown:
            raise PersistenceError(f"only the lists {', '.join(LISTS)} are stored item by item, not {unknown}")
        document = {**account, _MOVED: list(LISTS) if moved is None else moved}
        values = {
            "account_id": account_id,
            "state": jsonable(document),
            "updated_at": datetime.now(UTC) if ts is None else as_utc(ts),
        }
        upsert(self._session, STATES, values, ("account_id",))
        for kind, changed in items.items():
            for seq, item in changed.items():
                row = {"account_id": account_id, "kind": kind, "seq": seq, "item": jsonable(item)}
                upsert(self._session, ROWS, row, ("account_id", "kind", "seq"))

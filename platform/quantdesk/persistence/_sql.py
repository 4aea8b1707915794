"""Statements whose form depends on the backend (private)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from quantdesk.persistence.errors import PersistenceError

_INSERTS: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def insert_or_ignore(session: Session, table: Table, values: dict[str, Any], key: Sequence[str]) -> bool:
    """Insert ``values`` unless a row with the same ``key`` columns exists; True if a row was inserted."""
    statement = _insert(session, table).values(**values).on_conflict_do_nothing(index_elements=list(key))
    session.flush()  # rows this one refers to may still be pending in the session
    # RETURNING rather than rowcount: PostgreSQL reports no rowcount when it returns the new key
    return session.execute(statement.returning(table.c[key[0]])).first() is not None


def upsert(session: Session, table: Table, values: dict[str, Any], key: Sequence[str]) -> None:
    """Insert ``values``, or update the row with the same ``key`` columns to them, in one statement."""
    statement = _insert(session, table).values(**values)
    changes = {name: statement.excluded[name] for name in values if name not in key}
    session.flush()
    session.execute(statement.on_conflict_do_update(index_elements=list(key), set_=changes))


def _insert(session: Session, table: Table) -> Any:
    dialect = session.get_bind().dialect.name
    insert = _INSERTS.get(dialect)
    if insert is None:
        raise PersistenceError(f"QuantDesk stores its state in SQLite or PostgreSQL, not {dialect}")
    return insert(table)

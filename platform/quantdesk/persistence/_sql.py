"""Statements whose form depends on the backend (private)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from quantdesk.persistence.errors import PersistenceError

_INSERTS: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def insert_or_ignore(session: Session, table: Table, values: dict[str, Any], key: Sequence[str]) -> bool:
    """Insert ``values`` unless a row with the same ``key`` columns exists; True if a row was inserted."""
    session.flush()  # rows this one refers to may still be pending in the session
    # RETURNING rather than rowcount: PostgreSQL reports no rowcount when it returns the new key
    statement = _statement(_dialect(session), table, tuple(key), tuple(values), "ignore")
    return session.execute(statement, values).first() is not None


def upsert(session: Session, table: Table, values: dict[str, Any], key: Sequence[str]) -> None:
    """Insert ``values``, or update the row with the same ``key`` columns to them, in one statement."""
    session.flush()
    session.execute(_statement(_dialect(session), table, tuple(key), tuple(values), "update"), values)


@lru_cache(maxsize=256)
def _statement(dialect: str, table: Table, key: tuple[str, ...], columns: tuple[str, ...], kind: str) -> Any:
    # built once per shape and reused with new parameters: building an INSERT costs more than running it
    insert = _INSERTS.get(dialect)
    if insert is None:
        raise PersistenceError(f"QuantDesk stores its state in SQLite or PostgreSQL, not {dialect}")
    statement = insert(table)
    if kind == "ignore":
        return statement.on_conflict_do_nothing(index_elements=list(key)).returning(table.c[key[0]])
    changes = {name: statement.excluded[name] for name in columns if name not in key}
    return statement.on_conflict_do_update(index_elements=list(key), set_=changes)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name

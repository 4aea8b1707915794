"""Errors raised by :mod:`quantdesk.persistence`, and the translation of driver errors into them."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
    StatementError,
)

from quantdesk.model.errors import QuantdeskError

_UPGRADE_HINT = "run `quantdesk db upgrade`"
_MISSING_TABLE = ("no such table", "does not exist")


class PersistenceError(QuantdeskError):
    """The database cannot do what was asked: unreachable, not migrated, a constraint refused, bad input."""


def safe_url(url: str | URL) -> str:
    """``url`` with any password masked, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable database URL>"


def first_line(exc: BaseException) -> str:
    """The first non-empty line of an exception's message (drivers add context lines and SQL)."""
    source = exc.orig if isinstance(exc, StatementError) and exc.orig is not None else exc
    lines = [line.strip() for line in str(source).splitlines() if line.strip()]
    return lines[0] if lines else type(source).__name__


def translate(exc: SQLAlchemyError, url: str | URL | None = None) -> PersistenceError:
    """A one-line :class:`PersistenceError` for a SQLAlchemy or driver error; never a traceback for users."""
    where = f" at {safe_url(url)}" if url is not None else ""
    line = first_line(exc)
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return PersistenceError(f"lost the connection to the database{where}: {line}")
    if isinstance(exc, OperationalError | InterfaceError) and exc.statement is None:  # failed to connect
        return PersistenceError(f"cannot reach the database{where}: {line}")
    if any(marker in line for marker in _MISSING_TABLE) and ("table" in line or "relation" in line):
        return PersistenceError(f"the database{where} is not migrated ({line}): {_UPGRADE_HINT}")
    return PersistenceError(f"database error{where}: {line}")

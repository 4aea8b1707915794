"""Schema migrations, run programmatically (no alembic.ini): ``upgrade``, ``current``, ``check``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from quantdesk.persistence.engine import create_engine_for
from quantdesk.persistence.errors import PersistenceError, safe_url, translate

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")
UPGRADE_HINT = "run `quantdesk db upgrade`"


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic configuration for our migrations; ``connection`` (or ``url``) is what env.py migrates."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.attributes["connection"] = connection
    config.attributes["url"] = url
    return config


def head() -> str:
    """The newest revision the code knows."""
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if revision is None:
        raise PersistenceError(f"no migrations found in {MIGRATIONS_DIR}")
    return revision


def upgrade(url: str, revision: str = "head") -> str | None:
    """Migrate the database at ``url`` to ``revision`` (default: the newest); return its revision after.

    All of it runs in one transaction: on an error the database stays at the revision it had.
    """
    return _migrate(url, command.upgrade, revision)


def downgrade(url: str, revision: str) -> str | None:
    """Migrate the database at ``url`` back to ``revision`` (``"base"``: drop everything); return its revision
    after (None at base). Data in dropped tables is lost."""
    return _migrate(url, command.downgrade, revision)


def _migrate(url: str, step: Callable[[Config, str], None], revision: str) -> str | None:
    engine = create_engine_for(url)
    try:
        with engine.begin() as connection:
            step(alembic_config(connection), revision)
            return _revision(connection)
    except SQLAlchemyError as exc:
        raise translate(exc, url) from exc
    except CommandError as exc:
        raise PersistenceError(f"cannot migrate the database at {safe_url(url)}: {exc}") from exc
    finally:
        engine.dispose()


def current(url: str) -> str | None:
    """The revision of the database at ``url``; None if it was never migrated."""
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            return _revision(connection)
    except SQLAlchemyError as exc:
        raise translate(exc, url) from exc
    finally:
        engine.dispose()


def check(url: str) -> None:
    """Raise :class:`PersistenceError`, saying to run ``quantdesk db upgrade``, unless the database at
    ``url`` is at the newest revision."""
    found, wanted = current(url), head()
    if found is None:
        raise PersistenceError(f"the database at {safe_url(url)} is not migrated: {UPGRADE_HINT}")
    if not _known(found):
        raise PersistenceError(
            f"the database at {safe_url(url)} is at revision {found}, which this version of QuantDesk does not "
            f"know (it needs {wanted}): a newer version migrated it"
        )
    if found != wanted:
        raise PersistenceError(
            f"the database at {safe_url(url)} is at revision {found}, this code needs {wanted}: {UPGRADE_HINT}"
        )


def _known(revision: str) -> bool:
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()

"""Alembic environment: run by :mod:`quantdesk.persistence.migrate`, which passes the connection (or URL)
through ``config.attributes``; there is no alembic.ini."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from quantdesk.persistence.engine import create_engine_for
from quantdesk.persistence.tables import Base

config = context.config


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    connection = config.attributes.get("connection")
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        if not url:
            raise RuntimeError("offline migrations need config.attributes['url']")
        context.configure(url=url, target_metadata=Base.metadata, literal_binds=True, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    elif connection is not None:
        _configure(connection)
    elif url:
        engine = create_engine_for(url)
        try:
            with engine.begin() as new_connection:
                _configure(new_connection)
        finally:
            engine.dispose()
    else:
        raise RuntimeError("run migrations with quantdesk.persistence.migrate (or `quantdesk db upgrade`)")


run()

"""``quantdesk db ...``: the database schema from the command line."""

from __future__ import annotations

import click


def _database_url() -> str:
    from quantdesk.config import load_settings

    return load_settings().resolved_database_url


@click.group()
def db() -> None:
    """The database schema: upgrade it, show its revision.

    The database is QUANTDESK_DATABASE_URL, or the SQLite file quantdesk.db in QUANTDESK_DATA_DIR.
    """


@db.command()
def upgrade() -> None:
    """Migrate the database to the newest schema.

    Creates the SQLite file if needed; running it again changes nothing.
    """
    from quantdesk.persistence import migrate
    from quantdesk.persistence.errors import safe_url

    url = _database_url()
    revision = migrate.upgrade(url)
    click.echo(f"{safe_url(url)}: at revision {revision} (head)")


@db.command()
def current() -> None:
    """Show the database's schema revision.

    Says whether it is the newest, or that `quantdesk db upgrade` is needed.
    """
    from quantdesk.persistence import migrate
    from quantdesk.persistence.errors import safe_url

    url = _database_url()
    revision, head = migrate.current(url), migrate.head()
    if revision is None:
        state = "not migrated (run `quantdesk db upgrade`)"
    elif revision == head:
        state = f"at revision {revision} (head)"
    else:
        state = f"at revision {revision}; this version needs {head} (run `quantdesk db upgrade`)"
    click.echo(f"{safe_url(url)}: {state}")

"""``quantdesk users create / list / set-role``: accounts of the API, from the machine it runs on.

The only way to make the first admin: registering through the API always gives the role trader.
"""

from __future__ import annotations

import sys

import click

ROLES = ("admin", "trader", "viewer")


def _store():
    from quantdesk.config import load_settings
    from quantdesk.persistence import create_engine_for, session_factory, upgrade

    url = load_settings().resolved_database_url
    if url.startswith("sqlite"):
        upgrade(url)
    return session_factory(create_engine_for(url))


def _read_password(from_stdin: bool) -> str:
    from quantdesk.persistence.users import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise click.BadParameter(
            f"must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters", param_hint="password"
        )
    return password


@click.group("users")
def users() -> None:
    """Accounts of the API: create one (the first admin too), list them, change a role."""


@users.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), default="trader", show_default=True)
@click.option("--email", default=None, help="Contact address (optional).")
@click.option("--display-name", default=None, help="Name shown in the apps (optional).")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin (scripts).")
def create(username: str, role: str, email: str | None, display_name: str | None, password_stdin: bool) -> None:
    """Create a user; the password is asked for twice unless --password-stdin."""
    from quantdesk.persistence import normalize_username, password_hasher, transaction

    name = normalize_username(username)  # a bad name fails before the password is asked
    password_hash = password_hasher().hash(_read_password(password_stdin))
    with transaction(_store()) as uow:
        user = uow.users.add(name, password_hash, role, email=email, display_name=display_name)
    click.echo(f"user {user.username} created (id {user.id}, role {user.role.value})")


@users.command("list")
def list_() -> None:
    """Every user: id, username, role, whether active."""
    from quantdesk.persistence import transaction

    with transaction(_store()) as uow:
        accounts = uow.users.page(limit=100_000)
    if not accounts:
        click.echo("no users (create one with `quantdesk users create NAME --role admin`)")
    for user in accounts:
        click.echo(f"{user.id:>5}  {user.username:<32} {user.role.value:<7} {'active' if user.active else 'inactive'}")


@users.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
def set_role(username: str, role: str) -> None:
    """Give USERNAME the role ROLE (takes effect on their next request)."""
    from quantdesk.persistence import PersistenceError, transaction

    with transaction(_store()) as uow:
        user = uow.users.by_username(username)
        if user is None:
            raise PersistenceError(f"no user {username!r}: see `quantdesk users list`")
        uow.users.update(user.id, role=role)
    click.echo(f"user {user.username} now has the role {role}")

"""Accounts of the API, their refresh tokens and their broker credentials.

A user's ``username`` is their :class:`~quantdesk.model.UserId`: risk profiles and deployments are keyed by
it, so ``quantdesk risk show --user alice`` shows what alice set through the API. Passwords are stored as
argon2id hashes (:func:`password_hasher`), refresh tokens as their SHA-256 (they are long random strings, so a
fast hash is enough), broker secrets as the ciphertext the caller encrypted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quantdesk.model import UserId
from quantdesk.persistence.columns import as_utc
from quantdesk.persistence.errors import PersistenceError
from quantdesk.persistence.tables import BrokerCredentialRow, RefreshTokenRow, UserRow

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{2,63}$"
"""3 to 64 characters: lower-case letters, digits and ``. _ -``, starting with a letter or digit."""
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256


class Role(StrEnum):
    """What a user may do: ``viewer`` reads, ``trader`` also trades, ``admin`` also manages users."""

    ADMIN = "admin"
    TRADER = "trader"
    VIEWER = "viewer"


class UsernameTaken(PersistenceError):  # noqa: N818 - reads as what happened
    """A user with this username exists."""


def password_hasher() -> PasswordHash:
    """The argon2id hasher every stored password goes through (the API and ``quantdesk users create``)."""
    return PasswordHash((Argon2Hasher(),))


def normalize_username(username: str) -> str:
    """``username`` stripped and lower-cased; :class:`PersistenceError` unless it matches
    :data:`USERNAME_PATTERN` (so ``Alice`` and ``alice`` are one account)."""
    name = username.strip().lower()
    if not re.fullmatch(USERNAME_PATTERN, name):
        raise PersistenceError(
            f"username {username!r} must be 3 to 64 lower-case letters, digits or . _ - starting with a letter or digit"
        )
    return name


@dataclass(frozen=True, slots=True)
class UserAccount:
    """A stored user (with the password hash, which never leaves the services)."""

    id: int
    username: str
    email: str | None
    display_name: str | None
    password_hash: str
    role: Role
    active: bool
    created_at: datetime
    updated_at: datetime

    @property
    def user_id(self) -> UserId:
        """The id the engine knows this user by (risk profiles, deployments)."""
        return UserId(self.username)


@dataclass(frozen=True, slots=True)
class RefreshToken:
    """A stored refresh token: usable while neither rotated nor revoked and not expired."""

    id: int
    user_id: int
    family_id: str
    issued_at: datetime
    expires_at: datetime
    rotated_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class BrokerCredential:
    """A user's key for one broker; ``secret_encrypted`` is the ciphertext, never the secret."""

    user_id: int
    broker: str
    key_id: str
    secret_encrypted: str
    paper: bool
    updated_at: datetime


class UserRepository:
    """Users by id or username."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(
        self,
        username: str,
        password_hash: str,
        role: Role | str,
        *,
        email: str | None = None,
        display_name: str | None = None,
        ts: datetime | None = None,
    ) -> UserAccount:
        """Store a new active user; :class:`UsernameTaken` if the (normalized) username exists."""
        name = normalize_username(username)
        now = _now(ts)
        row = UserRow(
            username=name,
            email=email,
            display_name=display_name,
            password_hash=password_hash,
            role=_role(role).value,
            active=True,
            created_at=now,
            updated_at=now,
        )
        if self._session.scalar(select(UserRow.id).where(UserRow.username == name)) is not None:
            raise UsernameTaken(f"username {name!r} is taken")
        self._session.add(row)
        try:
            self._session.flush()
        except IntegrityError:  # registered by another request between the check and the insert
            raise UsernameTaken(f"username {name!r} is taken") from None
        return _user(row)

    def get(self, user_id: int) -> UserAccount | None:
        row = self._session.get(UserRow, user_id)
        return None if row is None else _user(row)

    def by_username(self, username: str) -> UserAccount | None:
        row = self._session.scalars(select(UserRow).where(UserRow.username == username.strip().lower())).first()
        return None if row is None else _user(row)

    def page(self, *, offset: int = 0, limit: int = 100) -> list[UserAccount]:
        """Users in the order they registered."""
        query = select(UserRow).order_by(UserRow.id).offset(offset).limit(limit)
        return [_user(row) for row in self._session.scalars(query)]

    def count_active_admins(self) -> int:
        query = select(func.count()).select_from(UserRow).where(UserRow.role == Role.ADMIN.value, UserRow.active)
        return int(self._session.scalar(query) or 0)

    def update(self, user_id: int, ts: datetime | None = None, **changes: Any) -> UserAccount:
        """Set ``email``, ``display_name``, ``password_hash``, ``role`` and/or ``active``; return the user."""
        allowed = {"email", "display_name", "password_hash", "role", "active"}
        if unknown := sorted(set(changes) - allowed):
            raise PersistenceError(f"cannot change user field(s) {', '.join(unknown)}")
        row = self._session.get(UserRow, user_id)
        if row is None:
            raise PersistenceError(f"no user with id {user_id}")
        if "role" in changes:
            changes["role"] = _role(changes["role"]).value
        for field, value in changes.items():
            setattr(row, field, value)
        row.updated_at = _now(ts)
        self._session.flush()
        return _user(row)


class RefreshTokenRepository:
    """Refresh tokens by their hash; a family is every token that came from one login by rotation."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, user_id: int, family_id: str, token_hash: str, issued_at: datetime, expires_at: datetime) -> int:
        row = RefreshTokenRow(
            user_id=user_id,
            family_id=family_id,
            token_hash=token_hash,
            issued_at=as_utc(issued_at),
            expires_at=as_utc(expires_at),
        )
        self._session.add(row)
        self._session.flush()
        return row.id

    def by_hash(self, token_hash: str) -> RefreshToken | None:
        row = self._session.scalars(select(RefreshTokenRow).where(RefreshTokenRow.token_hash == token_hash)).first()
        return None if row is None else _token(row)

    def mark_rotated(self, token_id: int, ts: datetime) -> bool:
        """Mark the token used, if it still is usable; False if another request got there first (one
        conditional UPDATE, so two concurrent refreshes with the same token cannot both succeed)."""
        statement = (
            update(RefreshTokenRow)
            .where(
                RefreshTokenRow.id == token_id,
                RefreshTokenRow.rotated_at.is_(None),
                RefreshTokenRow.revoked_at.is_(None),
            )
            .values(rotated_at=as_utc(ts))
            .execution_options(synchronize_session=False)
        )
        return self._session.execute(statement).rowcount == 1  # type: ignore[attr-defined]

    def revoke_family(self, family_id: str, ts: datetime) -> int:
        """Revoke every token of the family not revoked yet; return how many."""
        return self._revoke(RefreshTokenRow.family_id == family_id, ts)

    def revoke_user(self, user_id: int, ts: datetime) -> int:
        """Revoke every token of the user (every login); return how many."""
        return self._revoke(RefreshTokenRow.user_id == user_id, ts)

    def _revoke(self, condition: Any, ts: datetime) -> int:
        statement = (
            update(RefreshTokenRow)
            .where(condition, RefreshTokenRow.revoked_at.is_(None))
            .values(revoked_at=as_utc(ts))
            .execution_options(synchronize_session=False)
        )
        return int(self._session.execute(statement).rowcount)  # type: ignore[attr-defined]


class BrokerCredentialRepository:
    """One credential per user and broker."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def put(
        self, user_id: int, broker: str, key_id: str, secret_encrypted: str, paper: bool, ts: datetime | None = None
    ) -> BrokerCredential:
        """Create or replace the user's credential for ``broker``."""
        row = self._session.get(BrokerCredentialRow, (user_id, broker))
        if row is None:
            row = BrokerCredentialRow(user_id=user_id, broker=broker)
            self._session.add(row)
        row.key_id, row.secret_encrypted, row.paper, row.updated_at = key_id, secret_encrypted, paper, _now(ts)
        self._session.flush()
        return _credential(row)

    def get(self, user_id: int, broker: str) -> BrokerCredential | None:
        row = self._session.get(BrokerCredentialRow, (user_id, broker))
        return None if row is None else _credential(row)

    def delete(self, user_id: int, broker: str) -> bool:
        """Remove the credential; False if there was none."""
        row = self._session.get(BrokerCredentialRow, (user_id, broker))
        if row is None:
            return False
        self._session.delete(row)
        self._session.flush()
        return True


def _now(ts: datetime | None) -> datetime:
    return datetime.now(UTC) if ts is None else as_utc(ts)


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise PersistenceError(f"role {role!r} is not one of {', '.join(r.value for r in Role)}") from None


def _user(row: UserRow) -> UserAccount:
    return UserAccount(
        id=row.id,
        username=row.username,
        email=row.email,
        display_name=row.display_name,
        password_hash=row.password_hash,
        role=Role(row.role),
        active=row.active,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _token(row: RefreshTokenRow) -> RefreshToken:
    return RefreshToken(
        id=row.id,
        user_id=row.user_id,
        family_id=row.family_id,
        issued_at=row.issued_at,
        expires_at=row.expires_at,
        rotated_at=row.rotated_at,
        revoked_at=row.revoked_at,
    )


def _credential(row: BrokerCredentialRow) -> BrokerCredential:
    return BrokerCredential(
        user_id=row.user_id,
        broker=row.broker,
        key_id=row.key_id,
        secret_encrypted=row.secret_encrypted,
        paper=row.paper,
        updated_at=row.updated_at,
    )

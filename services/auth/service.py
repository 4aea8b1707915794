"""Accounts and sessions: register, log in, rotate refresh tokens, log out.

A login starts a refresh-token *family*. Each refresh marks the presented token rotated and issues a new one
in the same family. A rotated token presented again means it was copied (by an attacker, or the client lost a
response): the whole family is revoked, so whichever party holds the newest token is logged out too, and the
answer is 401. The revocation is committed before the 401 is raised.
"""

from __future__ import annotations

from quantdesk.persistence import Role, UnitOfWork, UserAccount, UsernameTaken, transaction
from quantdesk.persistence.users import MAX_PASSWORD_LENGTH
from services.auth.schemas import RegisterIn, TokenPair
from services.common.context import ApiContext
from services.common.errors import Conflict, TooManyRequests, Unauthorized
from services.common.tokens import new_family_id, new_refresh_token, refresh_token_hash

WRONG_CREDENTIALS = "incorrect username or password"
INVALID_REFRESH = "invalid or expired refresh token"
REUSED_REFRESH = "refresh token already used: every session of this login is revoked, log in again"
DEFAULT_ROLE = Role.TRADER


def register(ctx: ApiContext, uow: UnitOfWork, body: RegisterIn) -> UserAccount:
    """A new active account with the default role (never admin: admins are made by an admin or the CLI)."""
    password_hash = ctx.passwords.hash(body.password.get_secret_value())
    try:
        return uow.users.add(
            body.username,
            password_hash,
            DEFAULT_ROLE,
            email=body.email,
            display_name=body.display_name,
            ts=ctx.clock(),
        )
    except UsernameTaken as exc:
        raise Conflict(str(exc)) from None


def login(ctx: ApiContext, username: str, password: str, address: str) -> TokenPair:
    """A new token pair (and refresh family) for the right password; 401 otherwise, 429 after too many
    failures for the account or for the client ``address``."""
    keys = (f"account:{username.strip().lower()}", f"address:{address}")
    if (wait := ctx.login_limiter.retry_after(keys)) is not None:
        raise TooManyRequests(f"too many failed logins; try again in {wait} seconds", wait)
    with transaction(ctx.sessions) as uow:
        user = uow.users.by_username(username)
    # the hash is checked outside any transaction: on SQLite a transaction holds the write lock
    valid, new_hash = False, None
    if user is None or len(password) > MAX_PASSWORD_LENGTH:
        ctx.passwords.verify(password[:MAX_PASSWORD_LENGTH], ctx.dummy_hash)  # the same work as a wrong password
    else:
        valid, new_hash = ctx.passwords.verify_and_update(password, user.password_hash)
    if user is None or not valid:
        ctx.login_limiter.record_failure(keys)
        raise Unauthorized(WRONG_CREDENTIALS)
    if not user.active:
        raise Unauthorized("this account is deactivated")
    ctx.login_limiter.reset(keys[0])
    with transaction(ctx.sessions) as uow:
        if new_hash is not None:  # hashed with older parameters: store it with the current ones
            uow.users.update(user.id, ts=ctx.clock(), password_hash=new_hash)
        return issue_pair(ctx, uow, user, new_family_id())


def refresh(ctx: ApiContext, refresh_token: str) -> TokenPair:
    """A new pair for a valid refresh token, which is retired; reuse of a retired one revokes its family."""
    now = ctx.clock()
    with transaction(ctx.sessions) as uow:
        stored = uow.tokens.by_hash(refresh_token_hash(refresh_token))
        if stored is None or stored.revoked_at is not None or stored.expires_at <= now:
            failure = INVALID_REFRESH
        elif stored.rotated_at is not None or not uow.tokens.mark_rotated(stored.id, now):
            uow.tokens.revoke_family(stored.family_id, now)
            failure = REUSED_REFRESH
        elif (user := uow.users.get(stored.user_id)) is None or not user.active:
            uow.tokens.revoke_family(stored.family_id, now)
            failure = INVALID_REFRESH
        else:
            return issue_pair(ctx, uow, user, stored.family_id)
    raise Unauthorized(failure)  # after the commit: a revocation stands even though the call fails


def logout(ctx: ApiContext, refresh_token: str) -> None:
    """Revoke the family of ``refresh_token`` (every token of that login); an unknown token changes nothing."""
    with transaction(ctx.sessions) as uow:
        stored = uow.tokens.by_hash(refresh_token_hash(refresh_token))
        if stored is not None:
            uow.tokens.revoke_family(stored.family_id, ctx.clock())


def issue_pair(ctx: ApiContext, uow: UnitOfWork, user: UserAccount, family_id: str) -> TokenPair:
    now = ctx.clock()
    token = new_refresh_token()
    uow.tokens.add(user.id, family_id, refresh_token_hash(token), now, now + ctx.refresh_lifetime)
    return TokenPair(
        access_token=ctx.access_tokens.issue(user),
        expires_in=int(ctx.access_tokens.lifetime.total_seconds()),
        refresh_token=token,
        refresh_expires_in=int(ctx.refresh_lifetime.total_seconds()),
    )

"""Who is calling: the bearer access token checked, its user loaded (and still active), and role guards."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends
from fastapi.security import OAuth2PasswordBearer

from quantdesk.persistence import Role, UserAccount, transaction
from services.common.context import Ctx
from services.common.errors import Forbidden, Unauthorized

bearer = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)


def current_user(token: Annotated[str | None, Depends(bearer)], ctx: Ctx) -> UserAccount:
    """The caller, from ``Authorization: Bearer <access token>``; 401 unless the token is valid and its user
    exists and is active. The role is the stored one, so a changed role or a deactivation applies at once.

    The user is read in a transaction of its own, so the route's transaction (``Uow``) begins only when the
    route touches the database (a slow password check before that holds no lock)."""
    if not token:
        raise Unauthorized("not authenticated: send Authorization: Bearer <access token>")
    claims = ctx.access_tokens.verify(token)
    with transaction(ctx.sessions, read_only=True) as uow:
        user = uow.users.get(claims.user_id)
    if user is None or not user.active:
        raise Unauthorized("unknown or deactivated user")
    return user


def require_role(*roles: Role) -> Callable[[UserAccount], UserAccount]:
    names = " or ".join(role.value for role in roles)

    def guard(user: Annotated[UserAccount, Depends(current_user)]) -> UserAccount:
        if user.role not in roles:
            raise Forbidden(f"this needs the role {names}; yours is {user.role.value}")
        return user

    return guard


CurrentUser = Annotated[UserAccount, Depends(current_user)]
Trader = Annotated[UserAccount, Depends(require_role(Role.TRADER, Role.ADMIN))]
Admin = Annotated[UserAccount, Depends(require_role(Role.ADMIN))]

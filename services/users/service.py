"""The caller's account, risk profile and broker credentials, and user administration.

The risk profile is the row the risk engine loads for the user's deployments (``uow.risk``, profile
``"default"`` of the user id = username), the same one ``quantdesk risk show/set --user <username>`` reads
and writes; values are validated by :class:`~quantdesk.risk.RiskProfile`.
"""

from __future__ import annotations

from typing import Any

from quantdesk.persistence import Role, UnitOfWork, UserAccount
from quantdesk.risk import InvalidRiskProfile, RiskProfile
from services.common.context import ApiContext
from services.common.errors import BadRequest, Conflict, NotFound, TooManyRequests, Unprocessable
from services.users.schemas import (
    BrokerCredentialsIn,
    BrokerCredentialsOut,
    PasswordChangeIn,
    ProfileIn,
    RiskProfileOut,
)

RISK_PROFILE_NAME = "default"


def update_profile(ctx: ApiContext, uow: UnitOfWork, user: UserAccount, body: ProfileIn) -> UserAccount:
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    return uow.users.update(user.id, ts=ctx.clock(), **changes) if changes else user


def change_password(ctx: ApiContext, uow: UnitOfWork, user: UserAccount, body: PasswordChangeIn) -> None:
    """Set a new password after checking the current one (failures count towards the login limit), and
    revoke every refresh token of the user: other sessions must log in again."""
    key = f"account:{user.username}"
    if (wait := ctx.login_limiter.retry_after([key])) is not None:
        raise TooManyRequests(f"too many failed attempts; try again in {wait} seconds", wait)
    if not ctx.passwords.verify(body.current_password.get_secret_value(), user.password_hash):
        ctx.login_limiter.record_failure([key])
        raise BadRequest("the current password is wrong")
    now = ctx.clock()
    uow.users.update(user.id, ts=now, password_hash=ctx.passwords.hash(body.new_password.get_secret_value()))
    uow.tokens.revoke_user(user.id, now)


def risk_profile(uow: UnitOfWork, user: UserAccount) -> RiskProfileOut:
    """The stored profile, or the defaults the engine applies when none is stored."""
    found = uow.risk.find_profile(user.user_id, RISK_PROFILE_NAME)
    profile = RiskProfile.from_dict(found[1]) if found else RiskProfile()
    return RiskProfileOut(user=user.username, saved=found is not None, profile=profile.to_dict())


def save_risk_profile(ctx: ApiContext, uow: UnitOfWork, user: UserAccount, data: dict[str, Any]) -> RiskProfileOut:
    """Replace the profile with ``data`` (fields left out take their defaults); 422 naming the bad field."""
    try:
        profile = RiskProfile.from_dict(data)
    except InvalidRiskProfile as exc:
        raise Unprocessable(str(exc)) from None
    uow.risk.save_profile(user.user_id, RISK_PROFILE_NAME, profile.model_dump(), ts=ctx.clock())
    return risk_profile(uow, user)  # as stored: exactly what the engine will enforce


def save_credentials(
    ctx: ApiContext, uow: UnitOfWork, user: UserAccount, body: BrokerCredentialsIn
) -> BrokerCredentialsOut:
    secret = ctx.secrets.encrypt(body.secret_key.get_secret_value())
    stored = uow.credentials.put(user.id, body.broker, body.key_id, secret, body.paper, ts=ctx.clock())
    return BrokerCredentialsOut.of(stored)


def credentials(uow: UnitOfWork, user: UserAccount, broker: str) -> BrokerCredentialsOut:
    stored = uow.credentials.get(user.id, broker)
    if stored is None:
        raise NotFound(f"no {broker} credentials saved")
    return BrokerCredentialsOut.of(stored)


def delete_credentials(uow: UnitOfWork, user: UserAccount, broker: str) -> None:
    if not uow.credentials.delete(user.id, broker):
        raise NotFound(f"no {broker} credentials saved")


def user(uow: UnitOfWork, user_id: int) -> UserAccount:
    found = uow.users.get(user_id)
    if found is None:
        raise NotFound(f"no user with id {user_id}")
    return found


def set_role(ctx: ApiContext, uow: UnitOfWork, user_id: int, role: Role) -> UserAccount:
    target = user(uow, user_id)
    if role != Role.ADMIN:
        _keep_an_admin(uow, target, "demote")
    return uow.users.update(user_id, ts=ctx.clock(), role=role)


def set_active(ctx: ApiContext, uow: UnitOfWork, user_id: int, active: bool) -> UserAccount:
    """Activate or deactivate; a deactivated user's refresh tokens are revoked and their access tokens refused."""
    target = user(uow, user_id)
    now = ctx.clock()
    if not active:
        _keep_an_admin(uow, target, "deactivate")
        uow.tokens.revoke_user(user_id, now)
    return uow.users.update(user_id, ts=now, active=active)


def _keep_an_admin(uow: UnitOfWork, target: UserAccount, action: str) -> None:
    if target.role == Role.ADMIN and target.active and uow.users.count_active_admins() <= 1:
        raise Conflict(f"cannot {action} the last active admin")

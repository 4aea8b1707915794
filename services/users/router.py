"""``/users``: the caller's own account (``/users/me...``) and, for admins, everyone's."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, status

from quantdesk.risk import RiskProfile
from services.common.context import Ctx
from services.common.db import Uow
from services.common.schemas import UserOut
from services.common.security import Admin, CurrentUser, Trader
from services.users import service
from services.users.schemas import (
    Broker,
    BrokerCredentialsIn,
    BrokerCredentialsOut,
    PasswordChangeIn,
    ProfileIn,
    RiskProfileOut,
    RoleIn,
)

router = APIRouter(prefix="/users", tags=["users"])
UserIdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]  # the users table keys are 32-bit integers
RiskProfileBody = Annotated[
    dict[str, Any],
    Body(
        description=f"the limits ({', '.join(RiskProfile.model_fields)}); fields left out take their defaults",
        examples=[RiskProfile().to_dict()],
    ),
]


@router.get("/me")
def read_me(user: CurrentUser) -> UserOut:
    return UserOut.of(user)


@router.patch("/me")
def update_me(body: ProfileIn, user: CurrentUser, ctx: Ctx, uow: Uow) -> UserOut:
    """Change the display name and/or email."""
    return UserOut.of(service.update_profile(ctx, uow, user, body))


@router.post("/me/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(body: PasswordChangeIn, user: CurrentUser, ctx: Ctx, uow: Uow) -> None:
    """Change the password (the current one is required); every refresh token of the user is revoked."""
    service.change_password(ctx, uow, user, body)


@router.get("/me/risk-profile")
def read_risk_profile(user: CurrentUser, uow: Uow) -> RiskProfileOut:
    """The limits the risk engine enforces on the caller's deployments."""
    return service.risk_profile(uow, user)


@router.put("/me/risk-profile")
def replace_risk_profile(data: RiskProfileBody, user: Trader, ctx: Ctx, uow: Uow) -> RiskProfileOut:
    """Replace the caller's risk profile (traders and admins); 422 names a bad or unknown field."""
    return service.save_risk_profile(ctx, uow, user, data)


@router.get("/me/broker-credentials")
def read_broker_credentials(user: Trader, uow: Uow, broker: Broker = "alpaca") -> BrokerCredentialsOut:
    """Which key is stored (its last 4 characters), never the secret."""
    return service.credentials(uow, user, broker)


@router.put("/me/broker-credentials")
def save_broker_credentials(body: BrokerCredentialsIn, user: Trader, ctx: Ctx, uow: Uow) -> BrokerCredentialsOut:
    """Store the caller's broker key; the secret is encrypted at rest and never returned."""
    return service.save_credentials(ctx, uow, user, body)


@router.delete("/me/broker-credentials", status_code=status.HTTP_204_NO_CONTENT)
def delete_broker_credentials(user: Trader, uow: Uow, broker: Broker = "alpaca") -> None:
    service.delete_credentials(uow, user, broker)


@router.get("", tags=["admin"])
def list_users(
    _admin: Admin,
    uow: Uow,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[UserOut]:
    """Every user, in the order they registered (admins only)."""
    return [UserOut.of(user) for user in uow.users.page(offset=offset, limit=limit)]


@router.get("/{user_id}", tags=["admin"])
def read_user(user_id: UserIdPath, _admin: Admin, uow: Uow) -> UserOut:
    return UserOut.of(service.user(uow, user_id))


@router.put("/{user_id}/role", tags=["admin"])
def change_role(user_id: UserIdPath, body: RoleIn, _admin: Admin, ctx: Ctx, uow: Uow) -> UserOut:
    """Give a user another role (admins only; the last active admin cannot be demoted)."""
    return UserOut.of(service.set_role(ctx, uow, user_id, body.role))


@router.post("/{user_id}/deactivate", tags=["admin"])
def deactivate(user_id: UserIdPath, _admin: Admin, ctx: Ctx, uow: Uow) -> UserOut:
    """Lock a user out at once: their tokens stop working (admins only; not the last active admin)."""
    return UserOut.of(service.set_active(ctx, uow, user_id, active=False))


@router.post("/{user_id}/activate", tags=["admin"])
def activate(user_id: UserIdPath, _admin: Admin, ctx: Ctx, uow: Uow) -> UserOut:
    return UserOut.of(service.set_active(ctx, uow, user_id, active=True))

"""``/auth``: register, token (OAuth2 password flow), refresh, logout."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from services.auth import service
from services.auth.schemas import RefreshIn, RegisterIn, TokenPair
from services.common.context import Ctx
from services.common.db import Uow
from services.common.schemas import UserOut

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/register", status_code=status.HTTP_201_CREATED)
def register(body: RegisterIn, ctx: Ctx, uow: Uow) -> UserOut:
    """Create an account (role trader). 409 if the username is taken."""
    return UserOut.of(service.register(ctx, uow, body))


@router.post("/token")
def token(form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request, ctx: Ctx) -> TokenPair:
    """Log in with form fields ``username`` and ``password``: an access token (15 minutes) and a refresh token.
    5 failures in 15 minutes for one account or one address answer 429 with Retry-After."""
    address = request.client.host if request.client else "unknown"
    return service.login(ctx, form.username, form.password, address)


@router.post("/refresh")
def refresh(body: RefreshIn, ctx: Ctx) -> TokenPair:
    """Trade a refresh token for a new pair; the old one is retired. Reusing a retired one revokes the login."""
    return service.refresh(ctx, body.refresh_token)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(body: RefreshIn, ctx: Ctx) -> None:
    """Revoke the login the refresh token belongs to (its access tokens expire on their own)."""
    service.logout(ctx, body.refresh_token)

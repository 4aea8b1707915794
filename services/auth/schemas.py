"""Bodies of the auth endpoints."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, SecretStr, StringConstraints, field_validator

from services.common.schemas import PASSWORD_RULE, DisplayName, Email, RequestBody, Username, checked_password


class RegisterIn(RequestBody):
    username: Username = Field(description="3-64 characters: a-z, 0-9, . _ - (stored lower-case)")
    password: SecretStr = Field(description=PASSWORD_RULE)
    email: Email | None = None
    display_name: DisplayName | None = None

    _password = field_validator("password")(checked_password)


class RefreshIn(RequestBody):
    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class TokenPair(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="seconds the access token is valid")
    refresh_token: str = Field(description="single use: /auth/refresh returns a new pair and retires this one")
    refresh_expires_in: int = Field(description="seconds the refresh token is valid")

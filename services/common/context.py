"""Everything one app instance holds: settings, the database sessions, the clock, the token issuer, the
password hasher, the secret box and the login limiter. Built by ``create_app``; routes get it by dependency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from typing import Annotated

from fastapi import Depends, Request
from pwdlib import PasswordHash
from sqlalchemy.orm import Session, sessionmaker

from quantdesk.config import Settings
from services.common.crypto import SecretBox
from services.common.ratelimit import FailureLimiter
from services.common.tokens import AccessTokens, Clock


@dataclass(frozen=True)
class ApiContext:
    settings: Settings
    sessions: sessionmaker[Session]
    clock: Clock
    access_tokens: AccessTokens
    refresh_lifetime: timedelta
    passwords: PasswordHash
    secrets: SecretBox
    login_limiter: FailureLimiter

    @cached_property
    def dummy_hash(self) -> str:
        """A hash to verify against when the username is unknown, so a miss takes as long as a wrong password."""
        return self.passwords.hash("not the password of anyone")


def get_context(request: Request) -> ApiContext:
    return request.app.state.context


Ctx = Annotated[ApiContext, Depends(get_context)]

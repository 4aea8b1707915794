"""Access tokens (short-lived HS256 JWTs) and refresh tokens (opaque random strings, stored as SHA-256).

An access token carries ``sub`` (the user's id), ``role``, ``iat``, ``exp``, ``jti`` and ``type="access"``.
Only HS256 is accepted (``alg=none`` and every other algorithm are refused); expiry is checked against the
app's clock, so tests can move time instead of sleeping.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from quantdesk.persistence import UserAccount
from services.common.crypto import derive_key
from services.common.errors import Unauthorized

Clock = Callable[[], datetime]
ALGORITHM = "HS256"
_REQUIRED_CLAIMS = ("sub", "role", "exp", "iat", "jti", "type")


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: int
    role: str
    jti: str
    issued_at: datetime
    expires_at: datetime


class AccessTokens:
    """Issues and verifies access tokens under a key derived from the secret key."""

    def __init__(self, secret: str, lifetime: timedelta, clock: Clock) -> None:
        self._key = derive_key(secret, "access-tokens")
        self.lifetime = lifetime
        self._clock = clock

    def issue(self, user: UserAccount) -> str:
        now = self._clock()
        claims = {
            "sub": str(user.id),
            "role": user.role.value,
            "iat": int(now.timestamp()),
            "exp": int((now + self.lifetime).timestamp()),
            "jti": uuid.uuid4().hex,
            "type": "access",
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def verify(self, token: str) -> AccessClaims:
        """The token's claims; :class:`Unauthorized` saying why if it is forged, altered, expired or not an
        access token."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                options={"require": list(_REQUIRED_CLAIMS), "verify_exp": False, "verify_iat": False},
            )
        except jwt.InvalidTokenError:
            raise Unauthorized("invalid access token") from None
        if claims["type"] != "access":
            raise Unauthorized("not an access token")
        sub, iat, exp = claims["sub"], claims["iat"], claims["exp"]
        if not (isinstance(sub, str) and sub.isdigit() and _is_number(iat) and _is_number(exp)):
            raise Unauthorized("invalid access token")
        if self._clock().timestamp() >= exp:
            raise Unauthorized("access token expired")
        return AccessClaims(
            user_id=int(sub),
            role=str(claims["role"]),
            jti=str(claims["jti"]),
            issued_at=datetime.fromtimestamp(iat, tz=UTC),
            expires_at=datetime.fromtimestamp(exp, tz=UTC),
        )


def new_refresh_token() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def refresh_token_hash(token: str) -> str:
    """What is stored of a refresh token: its SHA-256 (a random 256-bit token needs no slow hash)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_family_id() -> str:
    return uuid.uuid4().hex


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)

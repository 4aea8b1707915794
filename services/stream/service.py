"""Who the WebSocket client is (its access token) and what it may watch (its own deployments)."""

from __future__ import annotations

import json
import re
from typing import Any

from quantdesk.persistence import UserAccount, transaction
from services.common.context import ApiContext
from services.common.errors import ApiError, Unauthorized
from services.common.trading import DEPLOYMENT_ID_PATTERN, owned_deployment

MAX_MESSAGE_CHARS = 4096


def authenticate(ctx: ApiContext, token: str | None) -> UserAccount:
    """The user of ``token``; :class:`Unauthorized` if it is missing, invalid, expired, or its user inactive."""
    if not token:
        raise Unauthorized("not authenticated: connect to /ws?token=<access token>")
    claims = ctx.access_tokens.verify(token)
    with transaction(ctx.sessions) as uow:
        user = uow.users.get(claims.user_id)
    if user is None or not user.active:
        raise Unauthorized("unknown or deactivated user")
    return user


def check_owner(ctx: ApiContext, user: UserAccount, deployment_id: str) -> None:
    """:class:`NotFound` unless ``deployment_id`` is one of the user's deployments."""
    with transaction(ctx.sessions) as uow:
        owned_deployment(uow, user, deployment_id)


def parse(text: str) -> tuple[str, str]:
    """``(action, deployment)`` of a client message; :class:`ApiError` saying what is wrong with it."""
    if len(text) > MAX_MESSAGE_CHARS:
        raise ApiError(f"message longer than {MAX_MESSAGE_CHARS} characters")
    try:
        data: Any = json.loads(text)
    except ValueError:
        raise ApiError('not JSON: send {"action": "subscribe", "deployment": "dep-..."}') from None
    if not isinstance(data, dict) or data.get("action") not in ("subscribe", "unsubscribe"):
        raise ApiError('unknown action: send {"action": "subscribe" or "unsubscribe", "deployment": "dep-..."}')
    deployment = data.get("deployment")
    if not isinstance(deployment, str) or not re.fullmatch(DEPLOYMENT_ID_PATTERN, deployment):
        raise ApiError("deployment must be a deployment id (dep-...)")
    return data["action"], deployment

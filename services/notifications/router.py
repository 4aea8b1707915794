"""``/notifications``: every logged-in user (viewers too) reads and manages their own notifications."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from services.common.context import Ctx
from services.common.db import Uow
from services.common.security import CurrentUser
from services.notifications import service
from services.notifications.schemas import (
    NotificationOut,
    NotificationPage,
    PreferencesIn,
    PreferencesOut,
    TargetsIn,
    TargetsOut,
)

router = APIRouter(prefix="/notifications", tags=["notifications"])


@router.get("")
def list_notifications(
    user: CurrentUser,
    uow: Uow,
    unread: bool = False,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> NotificationPage:
    """The caller's notifications, newest first (only the unread ones with ``?unread=true``)."""
    return service.page(uow, user, unread=unread, offset=offset, limit=limit)


@router.post("/{notification_id}/read")
def mark_read(
    notification_id: Annotated[int, Path(ge=1, le=2**63 - 1)], user: CurrentUser, ctx: Ctx, uow: Uow
) -> NotificationOut:
    """Mark one of the caller's notifications read (404 for any other id)."""
    return service.mark_read(ctx, uow, user, notification_id)


@router.get("/preferences")
def read_preferences(user: CurrentUser, uow: Uow) -> PreferencesOut:
    """The channels each severity goes to."""
    return service.preferences(uow, user)


@router.put("/preferences")
def save_preferences(body: PreferencesIn, user: CurrentUser, ctx: Ctx, uow: Uow) -> PreferencesOut:
    """Choose the channels (in_app, email, webhook, sms) of the severities sent."""
    return service.save_preferences(ctx, uow, user, body)


@router.get("/targets")
def read_targets(user: CurrentUser, uow: Uow) -> TargetsOut:
    """The email address, webhook URL and phone number notifications are sent to (never the webhook secret)."""
    return service.targets(uow, user)


@router.put("/targets")
def save_targets(body: TargetsIn, user: CurrentUser, ctx: Ctx, uow: Uow) -> TargetsOut:
    """Set or clear where notifications are sent; webhook URLs are http or https only."""
    return service.save_targets(ctx, uow, user, body)

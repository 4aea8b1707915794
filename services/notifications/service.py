"""The caller's notifications, preferences and targets (``uow.notifications``, keyed by username)."""

from __future__ import annotations

from quantdesk.persistence import UnitOfWork, UserAccount
from quantdesk.persistence.notifications import Severity
from services.common.context import ApiContext
from services.common.errors import NotFound, Unprocessable
from services.notifications.schemas import (
    NotificationOut,
    NotificationPage,
    PreferencesIn,
    PreferencesOut,
    TargetsIn,
    TargetsOut,
)


def page(uow: UnitOfWork, user: UserAccount, *, unread: bool, offset: int, limit: int) -> NotificationPage:
    found = uow.notifications.page(user.username, unread_only=unread, offset=offset, limit=limit)
    return NotificationPage(
        items=[NotificationOut.of(n) for n in found], unread=uow.notifications.count_unread(user.username)
    )


def mark_read(ctx: ApiContext, uow: UnitOfWork, user: UserAccount, notification_id: int) -> NotificationOut:
    """Mark one of the caller's notifications read; another user's is as missing as one that does not exist."""
    marked = uow.notifications.mark_read(user.username, notification_id, ctx.clock())
    if marked is None:
        raise NotFound(f"no notification with id {notification_id}")
    return NotificationOut.of(marked)


def preferences(uow: UnitOfWork, user: UserAccount) -> PreferencesOut:
    channels = uow.notifications.preferences(user.username)
    saved = uow.notifications.stored_preferences(user.username)
    return PreferencesOut(
        info=list(channels[Severity.INFO]),
        warning=list(channels[Severity.WARNING]),
        critical=list(channels[Severity.CRITICAL]),
        saved=[severity for severity in Severity if severity in saved],
    )


def save_preferences(ctx: ApiContext, uow: UnitOfWork, user: UserAccount, body: PreferencesIn) -> PreferencesOut:
    changes = {Severity(name): getattr(body, name) for name in body.model_fields_set if getattr(body, name) is not None}
    if len(changes) != len(body.model_fields_set):
        raise Unprocessable("a severity's channels must be a list ([] silences it), not null")
    if changes:
        uow.notifications.set_preferences(user.username, changes, ts=ctx.clock())
    return preferences(uow, user)


def targets(uow: UnitOfWork, user: UserAccount) -> TargetsOut:
    return TargetsOut.of(uow.notifications.target(user.username))


def save_targets(ctx: ApiContext, uow: UnitOfWork, user: UserAccount, body: TargetsIn) -> TargetsOut:
    """Change the fields sent; a webhook URL needs a secret, sent now or stored before."""
    changes: dict[str, str | None] = {}
    for name in body.model_fields_set:
        value = getattr(body, name)
        changes[name] = value.get_secret_value() if name == "webhook_secret" and value is not None else value
    current = uow.notifications.target(user.username)
    url = changes.get("webhook_url", current.webhook_url)
    secret = changes.get("webhook_secret", current.webhook_secret)
    if url and not secret:
        raise Unprocessable("webhook_secret: a webhook needs a secret to sign its bodies with")
    if changes:
        uow.notifications.set_target(user.username, ts=ctx.clock(), **changes)
    return targets(uow, user)

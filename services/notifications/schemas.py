"""Bodies and answers of the notifications endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, Field, SecretStr, StringConstraints, field_validator

from quantdesk.persistence.notifications import ChannelName, Notification, NotificationTarget, Severity
from services.common.schemas import Email, RequestBody

MIN_SECRET_LENGTH = 16
MAX_SECRET_LENGTH = 200


def _distinct(channels: list[ChannelName]) -> list[ChannelName]:
    if len(set(channels)) != len(channels):
        raise ValueError("a channel is listed twice")
    return channels


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL with a host")
    if parts.username or parts.password:
        raise ValueError("must not hold a user name or password (the body is signed with webhook_secret)")
    return value


Channels = Annotated[list[ChannelName], Field(max_length=len(ChannelName)), AfterValidator(_distinct)]
WebhookUrl = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), AfterValidator(_http_url)
]
Phone = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^\+[1-9][0-9]{6,14}$"),
    Field(description="E.164: + then the country code and number, e.g. +41791234567"),
]


class NotificationOut(BaseModel):
    id: int
    severity: Severity
    kind: str
    title: str
    body: str
    payload: dict[str, Any]
    deployment_id: str | None
    created_at: datetime
    read_at: datetime | None
    read: bool

    @classmethod
    def of(cls, notification: Notification) -> NotificationOut:
        return cls(
            id=notification.id,
            severity=notification.severity,
            kind=notification.kind,
            title=notification.title,
            body=notification.body,
            payload=notification.payload,
            deployment_id=notification.deployment_id,
            created_at=notification.created_at,
            read_at=notification.read_at,
            read=notification.read_at is not None,
        )


class NotificationPage(BaseModel):
    items: list[NotificationOut] = Field(description="newest first")
    unread: int = Field(description="how many of the caller's notifications are unread (all pages)")


class PreferencesIn(RequestBody):
    """The channels of each severity; a severity left out keeps its channels, an empty list silences it."""

    info: Channels | None = None
    warning: Channels | None = None
    critical: Channels | None = None


class PreferencesOut(BaseModel):
    """The channels of each severity (the defaults where nothing is saved). A channel without a target
    (no email address, webhook or phone set) is skipped when a notification is sent."""

    info: list[ChannelName]
    warning: list[ChannelName]
    critical: list[ChannelName]
    saved: list[Severity] = Field(description="the severities the caller has set; the others use the defaults")


class TargetsIn(RequestBody):
    """Where the outside channels reach the caller; a field sent as null is cleared, a field left out keeps its
    value. A webhook needs a secret: its bodies are signed with it (``X-QuantDesk-Signature``)."""

    email: Email | None = None
    webhook_url: WebhookUrl | None = None
    webhook_secret: SecretStr | None = Field(
        default=None, description=f"{MIN_SECRET_LENGTH} to {MAX_SECRET_LENGTH} characters; write-only"
    )
    phone: Phone | None = None

    @field_validator("webhook_secret")
    @classmethod
    def _secret_length(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not MIN_SECRET_LENGTH <= len(value.get_secret_value()) <= MAX_SECRET_LENGTH:
            raise ValueError(f"must be {MIN_SECRET_LENGTH} to {MAX_SECRET_LENGTH} characters")
        return value


class TargetsOut(BaseModel):
    """The stored targets; the webhook secret is never shown, only whether one is set."""

    email: str | None
    webhook_url: str | None
    webhook_secret_set: bool
    phone: str | None
    updated_at: datetime | None

    @classmethod
    def of(cls, target: NotificationTarget) -> TargetsOut:
        return cls(
            email=target.email,
            webhook_url=target.webhook_url,
            webhook_secret_set=bool(target.webhook_secret),
            phone=target.phone,
            updated_at=target.updated_at,
        )

"""Notifications: the engine's events as in-app notifications and messages on the user's outside channels.

:mod:`~quantdesk.notifications.routing` decides which events notify whom, how urgently and where;
:mod:`~quantdesk.notifications.channels` sends email, signed webhooks and SMS;
:class:`NotificationWorker` consumes the bus and stores, publishes and delivers (``quantdesk worker``).
The records live in :mod:`quantdesk.persistence.notifications` (``uow.notifications``).
"""

from quantdesk.notifications.channels import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    Channel,
    DeliveryError,
    EmailChannel,
    OutboxSmsProvider,
    Outgoing,
    SmsChannel,
    SmsProvider,
    WebhookChannel,
    sign,
    webhook_body,
)
from quantdesk.notifications.routing import Notice, channels_for, notice_for
from quantdesk.notifications.worker import (
    GROUP,
    SOURCE_TOPICS,
    TOPIC_NOTIFICATIONS,
    NotificationWorker,
    Relay,
    RetryPolicy,
    WorkReport,
)
from quantdesk.persistence.notifications import (
    DEFAULT_CHANNELS,
    ChannelName,
    Delivery,
    DeliveryStatus,
    Notification,
    NotificationTarget,
    Severity,
)

__all__ = [
    "DEFAULT_CHANNELS",
    "DELIVERY_HEADER",
    "GROUP",
    "SIGNATURE_HEADER",
    "SOURCE_TOPICS",
    "TOPIC_NOTIFICATIONS",
    "Channel",
    "ChannelName",
    "Delivery",
    "DeliveryError",
    "DeliveryStatus",
    "EmailChannel",
    "Notice",
    "Notification",
    "NotificationTarget",
    "NotificationWorker",
    "OutboxSmsProvider",
    "Outgoing",
    "Relay",
    "RetryPolicy",
    "Severity",
    "SmsChannel",
    "SmsProvider",
    "WebhookChannel",
    "WorkReport",
    "channels_for",
    "notice_for",
    "sign",
    "webhook_body",
]

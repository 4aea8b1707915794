"""The outside channels: email over SMTP, signed webhooks over HTTP, SMS through a provider.

A channel sends one notification to one user's target and returns, or raises :class:`DeliveryError` (the
worker retries it with backoff, unless the error is ``permanent``). Channels hold no state between sends, so
one channel object serves every user.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

import httpx

from quantdesk.model.errors import QuantdeskError
from quantdesk.persistence.notifications import ChannelName, Notification, NotificationTarget

SIGNATURE_HEADER = "X-QuantDesk-Signature"
DELIVERY_HEADER = "X-QuantDesk-Delivery"
SMS_LENGTH = 160


class DeliveryError(QuantdeskError):
    """A send failed; ``permanent`` when trying again cannot help (the user has no target for the channel)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One send: the delivery's id (the same on every attempt, so a receiver can drop repeats), the
    notification and where its user is reached."""

    delivery_id: int
    notification: Notification
    target: NotificationTarget


class Channel(Protocol):
    """An outside channel; :attr:`name` is the channel preferences and deliveries name."""

    @property
    def name(self) -> ChannelName: ...

    def send(self, outgoing: Outgoing) -> None:
        """Send, or raise :class:`DeliveryError`."""
        ...


def subject(notification: Notification) -> str:
    """``[QuantDesk WARNING] Order denied for IBM: MaxOrderNotional``."""
    return f"[QuantDesk {notification.severity.value.upper()}] {notification.title}"


class EmailChannel:
    """Email through an SMTP server (STARTTLS and a login when configured); one connection per message."""

    name = ChannelName.EMAIL

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = True,
        timeout: float = 10.0,
    ) -> None:
        self._host, self._port, self._sender = host, port, sender
        self._username, self._password = username, password
        self._starttls, self._timeout = starttls, timeout

    def send(self, outgoing: Outgoing) -> None:
        address = outgoing.target.email
        if not address:
            raise DeliveryError("no email address is set", permanent=True)
        notification = outgoing.notification
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = address
        message["Subject"] = subject(notification)
        message["X-QuantDesk-Delivery"] = str(outgoing.delivery_id)
        message.set_content(_text(notification))
        try:
            with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as smtp:
                if self._starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self._username:
                    smtp.login(self._username, self._password or "")
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP {self._host}:{self._port}: {type(exc).__name__}: {exc}") from None

    def __repr__(self) -> str:
        return f"EmailChannel({self._host}:{self._port}, from {self._sender})"


def webhook_body(outgoing: Outgoing) -> bytes:
    """The JSON a webhook receives: the delivery id and the notification."""
    document = {"delivery_id": outgoing.delivery_id, "notification": outgoing.notification.to_dict()}
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def sign(body: bytes, secret: str) -> str:
    """The signature header value: ``sha256=<hex HMAC-SHA256 of the raw body under the user's secret>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookChannel:
    """An HTTP POST of :func:`webhook_body` to the user's URL, signed with their secret
    (:data:`SIGNATURE_HEADER`); any 2xx answer within ``timeout`` seconds is delivered."""

    name = ChannelName.WEBHOOK

    def __init__(self, *, timeout: float = 10.0, client: httpx.Client | None = None) -> None:
        self._client = client or httpx.Client(timeout=timeout, follow_redirects=False)

    def send(self, outgoing: Outgoing) -> None:
        url, secret = outgoing.target.webhook_url, outgoing.target.webhook_secret
        if not url or not secret:
            raise DeliveryError("no webhook URL and secret are set", permanent=True)
        body = webhook_body(outgoing)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "QuantDesk-Webhook/1",
            SIGNATURE_HEADER: sign(body, secret),
            DELIVERY_HEADER: str(outgoing.delivery_id),
        }
        try:
            response = self._client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"POST {_origin(url)}: {type(exc).__name__}: {exc}") from None
        if not response.is_success:
            raise DeliveryError(f"POST {_origin(url)} answered {response.status_code}")

    def close(self) -> None:
        self._client.close()


class SmsProvider(Protocol):
    """What sends a text message to a phone number (raising :class:`DeliveryError` when it cannot)."""

    def send_sms(self, phone: str, text: str) -> None: ...


class OutboxSmsProvider:
    """No SMS gateway: each message is appended to ``path`` (one JSON object a line: ts, to, text) for an
    operator or a gateway integration to pick up. Nothing is sent to a phone."""

    def __init__(self, path: Path, clock: Callable[[], datetime]) -> None:
        self.path, self._clock = path, clock

    def send_sms(self, phone: str, text: str) -> None:
        line = json.dumps({"ts": self._clock().isoformat(), "to": phone, "text": text}, ensure_ascii=False)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line + "\n")
        except OSError as exc:
            raise DeliveryError(f"cannot write the SMS outbox {self.path}: {exc}") from None

    def messages(self) -> list[dict[str, Any]]:
        """What was stored, oldest first."""
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line]

    def __repr__(self) -> str:
        return f"OutboxSmsProvider({self.path})"


class SmsChannel:
    """A text of at most :data:`SMS_LENGTH` characters (severity and title) through ``provider``."""

    name = ChannelName.SMS

    def __init__(self, provider: SmsProvider) -> None:
        self.provider = provider

    def send(self, outgoing: Outgoing) -> None:
        phone = outgoing.target.phone
        if not phone:
            raise DeliveryError("no phone number is set", permanent=True)
        notification = outgoing.notification
        text = f"QuantDesk {notification.severity.value.upper()}: {notification.title}"
        self.provider.send_sms(phone, text if len(text) <= SMS_LENGTH else text[: SMS_LENGTH - 1] + "…")


def _text(notification: Notification) -> str:
    lines = [notification.title, "", notification.body]
    if notification.deployment_id:
        lines += ["", f"Deployment: {notification.deployment_id}"]
    lines += [f"Severity: {notification.severity.value}", f"Time: {notification.created_at.isoformat()}"]
    return "\n".join(lines) + "\n"


def _origin(url: str) -> str:
    """The scheme, host and port of ``url``: the path and query may hold a token, so they are not logged."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return "<invalid URL>"
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{parsed.host}{port}"

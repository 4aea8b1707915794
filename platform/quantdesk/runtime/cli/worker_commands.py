"""``quantdesk worker``: the notification worker, until Ctrl-C; :func:`build_worker` wires it from settings."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from quantdesk.bus import Bus
    from quantdesk.config import Settings
    from quantdesk.notifications import Channel, NotificationWorker


def _utc_now() -> datetime:
    return datetime.now(UTC)


def build_channels(settings: Settings, clock: Callable[[], datetime] = _utc_now) -> list[Channel]:
    """Email when ``QUANTDESK_SMTP_HOST`` is set; webhooks always; SMS into ``data_dir/notifications/
    sms-outbox.jsonl`` (there is no SMS gateway: the messages are stored there, not sent)."""
    from quantdesk.notifications import EmailChannel, OutboxSmsProvider, SmsChannel, WebhookChannel

    channels: list[Channel] = [WebhookChannel()]
    if settings.smtp_host:
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        channels.append(
            EmailChannel(
                settings.smtp_host,
                settings.smtp_port,
                settings.smtp_from,
                username=settings.smtp_username,
                password=password,
                starttls=settings.smtp_starttls,
            )
        )
    channels.append(SmsChannel(OutboxSmsProvider(settings.data_dir / "notifications" / "sms-outbox.jsonl", clock)))
    return channels


def build_worker(
    settings: Settings,
    sessions: sessionmaker[Session],
    bus: Bus,
    *,
    clock: Callable[[], datetime] = _utc_now,
    consumer: str | None = None,
) -> NotificationWorker:
    """The notification worker of ``settings``: its channels, and an outbox relay on ``sessions`` to ``bus``
    (publishing twice what a runner also relays is harmless: the bus stores each key once)."""
    from quantdesk.notifications import NotificationWorker
    from quantdesk.runtime.outbox import OutboxRelay

    relay = OutboxRelay(sessions, bus)
    return NotificationWorker(sessions, bus, build_channels(settings, clock), clock, relay=relay, consumer=consumer)


@click.command("worker")
@click.option("--consumer", help="This worker's name in the bus's consumer group (default: host, pid, random).")
@click.option(
    "--idle", type=click.FloatRange(0.05, 60), default=1.0, show_default=True, help="Seconds between idle polls."
)
def worker_cmd(consumer: str | None, idle: float) -> None:
    """Run the notification worker until Ctrl-C: engine events become in-app notifications (published on the
    bus topic "notifications") and email / webhook / SMS deliveries, retried with backoff.

    It also relays the outbox of the database (QUANTDESK_DATABASE_URL) to the bus. Without
    QUANTDESK_REDIS_URL the bus is in-process, so the worker relays and consumes the outbox of the shared
    database itself: `quantdesk run` in another process stages its events there and this worker notifies.
    Email needs QUANTDESK_SMTP_HOST (and _PORT, _FROM, _USERNAME, _PASSWORD, _STARTTLS); SMS messages are
    written to DATA_DIR/notifications/sms-outbox.jsonl, as no SMS gateway is configured.
    """
    from quantdesk.bus import create_bus
    from quantdesk.config import load_settings
    from quantdesk.persistence import create_engine_for, safe_url, session_factory, upgrade

    settings = load_settings()
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        upgrade(url)
    bus = create_bus(settings.redis_url)
    engine = create_engine_for(url)
    worker = build_worker(settings, session_factory(engine), bus, consumer=consumer)
    stop = threading.Event()

    def _stop(*_: object) -> None:
        if stop.is_set():  # a second Ctrl-C: do not wait for the loop in progress
            raise KeyboardInterrupt
        stop.set()  # the first: finish the loop in progress (no event half handled), then stop

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    channels = ", ".join(["in_app", *(str(name) for name in worker.channels)])
    where = "Redis" if settings.redis_url else "in-process bus, relaying the database's outbox"
    click.echo(f"notification worker on {safe_url(url)} ({where}); channels: {channels}; Ctrl-C stops it")
    try:
        worker.run(stop, idle=idle)
    except KeyboardInterrupt:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        worker.close()
        _close(worker.channels.values())
        bus.close()
        engine.dispose()
    click.echo("notification worker stopped")


def _close(channels: Any) -> None:
    for channel in channels:
        close = getattr(channel, "close", None)
        if callable(close):
            close()

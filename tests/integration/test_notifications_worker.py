"""The notification worker against real components: a SQLite database (and PostgreSQL when
QUANTDESK_TEST_POSTGRES_URL is set), the bus (in-process, and Redis Streams when QUANTDESK_TEST_REDIS_URL is
set), an SMTP server (aiosmtpd) and HTTP webhook receivers on 127.0.0.1.

Time is a clock the tests move, so the retry schedule is checked exactly and nothing sleeps.
"""

from __future__ import annotations

import email
import hashlib
import hmac
import json
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.message import Message as EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from conftest import server_url
from sqlalchemy.orm import Session, sessionmaker

from quantdesk.bus import Bus, Event, MemoryBus, Message, publish_event
from quantdesk.bus.redis_streams import RedisStreamsBus
from quantdesk.model import ClientOrderId, DeploymentId, Fill, OrderFilled, OrderSide, Symbol, TradeId, UserId
from quantdesk.notifications import (
    Channel,
    DeliveryStatus,
    EmailChannel,
    NotificationWorker,
    OutboxSmsProvider,
    RetryPolicy,
    Severity,
    SmsChannel,
    WebhookChannel,
)
from quantdesk.persistence import create_engine_for, session_factory, transaction, upgrade
from quantdesk.portfolio import EquitySnapshot
from quantdesk.risk import RiskEvent, RiskEventKind

T0 = datetime(2024, 3, 4, 21, 0, tzinfo=UTC)
SECRET = "whsec-0123456789abcdef"
DEP = "dep-alice1"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def fill(n: int) -> Fill:
    return Fill(
        trade_id=TradeId(f"paper-{DEP}-{n}"),
        client_order_id=ClientOrderId(f"{DEP}:{n}:IBM:target"),
        symbol=Symbol("IBM"),
        side=OrderSide.BUY,
        quantity=Decimal("10"),
        price=Decimal("185.5"),
        fee=Decimal("1.86"),
        ts=T0 + timedelta(days=n),
    )


def denied(n: int) -> RiskEvent:
    reason = f"IBM order notional {50_000 + n:,}.00 exceeds max_order_notional 45,000.00"
    return RiskEvent(T0 + timedelta(days=n), RiskEventKind.DENIED, "MaxOrderNotional", reason, {"symbol": "IBM"})


KILL = RiskEvent(T0, RiskEventKind.KILL_SWITCH, None, "stopped by hand", {"from": "active", "to": "halted"})


# -- the database and the user -------------------------------------------------------------------------------
@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    url = f"sqlite:///{tmp_path / 'q.db'}"
    upgrade(url)
    engine = create_engine_for(url)
    factory = session_factory(engine)
    with transaction(factory) as uow:
        version = uow.strategies.create("mr", "strategies.mean_reversion:MeanReversion", params={}, code_hash="t")
        uow.deployments.create(
            version.id, UserId("alice"), "paper", [Symbol("IBM")], Decimal(100_000), deployment_id=DeploymentId(DEP)
        )
    yield factory
    engine.dispose()


def set_user(sessions: sessionmaker[Session], prefs: dict[str, list[str]] | None = None, **target: str | None) -> None:
    with transaction(sessions) as uow:
        if prefs:
            uow.notifications.set_preferences("alice", prefs, ts=T0)
        if target:
            uow.notifications.set_target("alice", ts=T0, **target)


def notifications(sessions: sessionmaker[Session], user: str = "alice") -> list[Any]:
    with transaction(sessions) as uow:
        return uow.notifications.page(user, limit=1000)[::-1]


def deliveries(sessions: sessionmaker[Session]) -> dict[tuple[str, str], Any]:
    """(notification kind, channel) → delivery."""
    found = {}
    with transaction(sessions) as uow:
        for n in uow.notifications.page("alice", limit=1000):
            for d in uow.notifications.deliveries(n.id):
                found[(n.kind, d.channel.value)] = d
    return found


def pushed(bus: Bus) -> list[Message]:
    got: list[Message] = []
    bus.subscribe("notifications", f"probe-{uuid.uuid4().hex[:6]}", got.append).poll(max_messages=1000)
    return got


# -- receivers on 127.0.0.1 ------------------------------------------------------------------------------------
@dataclass
class Receiver:
    """A webhook receiver: answers the statuses in ``script`` in turn (then 200), and 401 to a bad signature."""

    script: list[int] = field(default_factory=list)
    posts: list[tuple[dict[str, str], bytes, int]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            valid = hmac.compare_digest(self.headers.get("X-QuantDesk-Signature", ""), expected)
            status = (state.script.pop(0) if state.script else 200) if valid else 401
            state.posts.append((dict(self.headers), body, status))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/quantdesk?token=abc"
    yield state
    server.shutdown()
    server.server_close()


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def worker(
    sessions: sessionmaker[Session], bus: Bus, clock: Clock, channels: list[Channel], **options: Any
) -> NotificationWorker:
    return NotificationWorker(sessions, bus, channels, clock, **options)


# -- routing and the in-app notification ---------------------------------------------------------------------------
def test_events_become_the_owners_notifications_by_severity_and_are_pushed_in_app(
    sessions: sessionmaker[Session], clock: Clock
) -> None:
    bus = MemoryBus()
    w = worker(sessions, bus, clock, [])
    for event in (fill(1), OrderFilled(fill(1)), denied(2), KILL):
        publish_event(bus, event, scope=DEP)
    publish_event(bus, EquitySnapshot(T0, Decimal(1), Decimal(1), Decimal(0), Decimal(0)), scope=DEP)
    report = w.run_once()
    assert (report.events, report.notified) == (4, 3)  # equity is not consumed; one trade, one notification
    got = notifications(sessions)
    assert [(n.severity, n.kind, n.title) for n in got] == [
        (Severity.INFO, "fill", "Bought 10 IBM at 185.5"),
        (Severity.WARNING, "order_denied", "Order denied for IBM: MaxOrderNotional"),
        (Severity.CRITICAL, "kill_switch", "Kill switch: trading halted"),
    ]
    assert all((n.deployment_id, n.read_at) == (DEP, None) for n in got)
    assert deliveries(sessions) == {}  # no targets: in-app only
    messages = pushed(bus)
    assert [m.id for m in messages] == [f"notification-{n.id}" for n in got]
    assert messages[2].payload == {
        "type": "notification",
        "scope": DEP,
        "user": "alice",
        "notification": got[2].to_dict(),
    }
    assert notifications(sessions, "bob") == []


def test_preferences_pick_the_channels_and_a_severity_without_the_app_is_kept_as_read(
    sessions: sessionmaker[Session], clock: Clock, receiver: Receiver, tmp_path: Path
) -> None:
    set_user(
        sessions,
        {"info": [], "warning": ["in_app", "webhook", "email"], "critical": ["sms"]},
        webhook_url=receiver.url,
        webhook_secret=SECRET,
        phone="+41791234567",
    )
    bus = MemoryBus()
    sms = OutboxSmsProvider(tmp_path / "sms.jsonl", clock)
    w = worker(sessions, bus, clock, [WebhookChannel(timeout=5), SmsChannel(sms)])
    for event in (fill(1), denied(2), KILL):
        publish_event(bus, event, scope=DEP)
    report = w.run_once()
    assert (report.events, report.notified, report.delivered) == (3, 2, 2)
    denial, kill = notifications(sessions)
    assert (denial.kind, denial.read_at, kill.kind, kill.read_at) == ("order_denied", None, "kill_switch", T0)
    # warning: email chosen but there is no address and no email channel → webhook only
    assert {key: d.status for key, d in deliveries(sessions).items()} == {
        ("order_denied", "webhook"): DeliveryStatus.DELIVERED,
        ("kill_switch", "sms"): DeliveryStatus.DELIVERED,
    }
    assert sms.messages() == [
        {"ts": T0.isoformat(), "to": "+41791234567", "text": "QuantDesk CRITICAL: Kill switch: trading halted"}
    ]
    assert [m.payload["notification"]["kind"] for m in pushed(bus)] == ["order_denied"]  # not the one kept read


def test_an_event_of_an_unknown_deployment_or_without_one_is_acknowledged_without_a_notification(
    sessions: sessionmaker[Session], clock: Clock
) -> None:
    bus = MemoryBus()
    w = worker(sessions, bus, clock, [])
    publish_event(bus, denied(1), scope="dep-nobody")
    publish_event(bus, denied(2))
    bus.publish("risk", {"type": "risk_event", "kind": "denied"}, key="broken")
    assert w.run_once().events == 3
    assert w.run_once().events == 0
    assert notifications(sessions) == []


# -- email, webhooks and retries ----------------------------------------------------------------------------------
def test_a_warning_is_emailed_through_smtp(
    sessions: sessionmaker[Session], clock: Clock, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, port = smtp
    set_user(sessions, email="alice@example.com")
    bus = MemoryBus()
    channel = EmailChannel("127.0.0.1", port, "alerts@quantdesk.test", starttls=False, timeout=5)
    w = worker(sessions, bus, clock, [channel])
    publish_event(bus, denied(1), scope=DEP)
    assert w.run_once().delivered == 1
    ((recipients, message),) = mailbox.messages
    assert recipients == ["alice@example.com"]
    assert (message["To"], message["From"]) == ("alice@example.com", "alerts@quantdesk.test")
    assert message["Subject"] == "[QuantDesk WARNING] Order denied for IBM: MaxOrderNotional"
    assert len(notifications(sessions)) == 1
    assert message["X-QuantDesk-Delivery"] == str(deliveries(sessions)[("order_denied", "email")].id)
    assert message.get_payload(decode=True).decode().replace("\r\n", "\n") == (  # CRLF on the wire
        "Order denied for IBM: MaxOrderNotional\n\n"
        f"{DEP}: IBM order notional 50,001.00 exceeds max_order_notional 45,000.00 (2024-03-05 21:00 UTC).\n\n"
        f"Deployment: {DEP}\nSeverity: warning\nTime: {T0.isoformat()}\n"
    )


def test_a_webhook_refused_twice_is_delivered_on_the_third_attempt_after_1_and_2_seconds(
    sessions: sessionmaker[Session], clock: Clock, receiver: Receiver
) -> None:
    set_user(sessions, {"critical": ["in_app", "webhook"]}, webhook_url=receiver.url, webhook_secret=SECRET)
    receiver.script = [500, 500]
    bus = MemoryBus()
    w = worker(sessions, bus, clock, [WebhookChannel(timeout=5)])
    publish_event(bus, KILL, scope=DEP)
    schedule = []
    for step in (0, 0.5, 0.5, 1.0, 1.0):  # at T0, +0.5 (not due), +1, +2 (not due), +3
        clock.advance(step)
        w.run_once()
        d = deliveries(sessions)[("kill_switch", "webhook")]
        schedule.append((clock.now - T0, d.status.value, d.attempts, d.next_attempt_at and d.next_attempt_at - T0))
    s = timedelta(seconds=1)
    assert schedule == [
        (0 * s, "pending", 1, 1 * s),
        (0.5 * s, "pending", 1, 1 * s),
        (1 * s, "pending", 2, 3 * s),
        (2 * s, "pending", 2, 3 * s),
        (3 * s, "delivered", 3, None),
    ]
    assert [status for _, _, status in receiver.posts] == [500, 500, 200]
    bodies = {body for _, body, _ in receiver.posts}
    assert len(bodies) == 1  # the same signed body on every attempt
    headers = receiver.posts[0][0]
    delivery_id = deliveries(sessions)[("kill_switch", "webhook")].id
    assert {h["X-QuantDesk-Delivery"] for h, _, _ in receiver.posts} == {str(delivery_id)}
    assert headers["Content-Type"] == "application/json"
    (notification,) = notifications(sessions)
    assert json.loads(bodies.pop()) == {"delivery_id": delivery_id, "notification": notification.to_dict()}
    assert deliveries(sessions)[("kill_switch", "webhook")].last_error is None


def test_a_webhook_signed_with_another_secret_is_refused_by_the_receiver(
    sessions: sessionmaker[Session], clock: Clock, receiver: Receiver
) -> None:
    set_user(sessions, {"critical": ["webhook"]}, webhook_url=receiver.url, webhook_secret="not-the-receivers-secret")
    bus = MemoryBus()
    w = worker(sessions, bus, clock, [WebhookChannel(timeout=5)])
    publish_event(bus, KILL, scope=DEP)
    assert w.run_once().retrying == 1
    assert [status for _, _, status in receiver.posts] == [401]
    port = urlsplit(receiver.url).port
    assert deliveries(sessions)[("kill_switch", "webhook")].last_error == f"POST http://127.0.0.1:{port} answered 401"


def test_a_webhook_that_is_down_is_retried_with_doubling_delays_then_failed(
    sessions: sessionmaker[Session], clock: Clock
) -> None:
    url = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens there
    set_user(sessions, {"critical": ["in_app", "webhook"]}, webhook_url=url, webhook_secret=SECRET)
    bus = MemoryBus()
    w = worker(sessions, bus, clock, [WebhookChannel(timeout=2)])
    publish_event(bus, KILL, scope=DEP)
    w.run_once()
    waits = []
    while (d := deliveries(sessions)[("kill_switch", "webhook")]).status is DeliveryStatus.PENDING:
        assert d.next_attempt_at is not None
        waits.append((d.next_attempt_at - clock.now).total_seconds())
        clock.now = d.next_attempt_at
        w.run_once()
    assert waits == [1, 2, 4, 8, 16, 32, 64]
    assert (d.status, d.attempts, d.next_attempt_at) == (DeliveryStatus.FAILED, 8, None)
    assert d.last_error is not None
    assert d.last_error.startswith(f"POST http://127.0.0.1:{urlsplit(url).port}: ConnectError")
    clock.advance(3600)
    assert w.run_once().failed == 0  # given up: never tried again


def test_the_retry_delay_doubles_up_to_its_cap() -> None:
    policy = RetryPolicy()
    assert [policy.delay(n).total_seconds() for n in range(1, 11)] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300]
    assert policy.max_attempts == 8
    with pytest.raises(ValueError, match="max_attempts >= 1"):
        RetryPolicy(max_attempts=0)


# -- at least once, at most one notification -------------------------------------------------------------------
class DiesAfterCommit(NotificationWorker):
    """A worker killed after its transaction committed and before the bus heard of it (no ack)."""

    def handle(self, message: Message) -> None:
        super().handle(message)
        raise KeyboardInterrupt


class DiesOnSecond(NotificationWorker):
    """A worker killed on the second message of its batch, before touching it."""

    seen = 0

    def handle(self, message: Message) -> None:
        self.seen += 1
        if self.seen == 2:
            raise KeyboardInterrupt
        super().handle(message)


def test_the_same_message_handled_twice_makes_one_notification_and_one_delivery_per_channel(
    sessions: sessionmaker[Session], clock: Clock, receiver: Receiver, tmp_path: Path
) -> None:
    set_user(sessions, webhook_url=receiver.url, webhook_secret=SECRET, phone="+41791234567")
    bus = MemoryBus()
    channels: list[Channel] = [WebhookChannel(timeout=5), SmsChannel(OutboxSmsProvider(tmp_path / "sms", clock))]
    dying = DiesAfterCommit(sessions, bus, channels, clock, consumer="w1")
    publish_event(bus, KILL, scope=DEP)
    with pytest.raises(KeyboardInterrupt):
        dying.run_once()
    assert len(notifications(sessions)) == 1  # committed, but not acknowledged
    survivor = worker(sessions, bus, clock, channels, consumer="w2", claim_idle=0)
    report = survivor.run_once()
    assert (report.events, report.notified, report.delivered) == (1, 0, 2)  # redelivered; found, not doubled
    assert survivor.run_once().events == 0
    (notification,) = notifications(sessions)
    assert sorted(deliveries(sessions)) == [("kill_switch", "sms"), ("kill_switch", "webhook")]
    assert len(receiver.posts) == 1
    assert [m.id for m in pushed(bus)] == [f"notification-{notification.id}"]  # published again, stored once


def test_a_worker_killed_mid_stream_loses_no_event(sessions: sessionmaker[Session], clock: Clock) -> None:
    bus = MemoryBus()
    dying = DiesOnSecond(sessions, bus, [], clock, consumer="w1")
    for n in range(1, 6):
        publish_event(bus, denied(n), scope=DEP)
    with pytest.raises(KeyboardInterrupt):
        dying.run_once()
    assert len(notifications(sessions)) == 1  # the rest is pending with the dead worker
    survivor = worker(sessions, bus, clock, [], consumer="w2", claim_idle=0)
    assert survivor.run_once().events == 4
    assert [n.body.split(" ")[4] for n in notifications(sessions)] == [
        "50,001.00",
        "50,002.00",
        "50,003.00",
        "50,004.00",
        "50,005.00",
    ]


def test_the_worker_relays_what_runners_staged_in_the_outbox(sessions: sessionmaker[Session], clock: Clock) -> None:
    from quantdesk.runtime.outbox import OutboxRelay, stage_events

    bus = MemoryBus()
    w = worker(sessions, bus, clock, [], relay=OutboxRelay(sessions, bus))
    with transaction(sessions) as uow:
        stage_events(uow, [fill(1), OrderFilled(fill(1)), KILL], scope=DEP)
    report = w.run_once()
    assert (report.relayed, report.events, report.notified) == (3, 3, 2)
    assert [n.kind for n in notifications(sessions)] == ["fill", "kill_switch"]
    assert w.run_once().busy is False


def test_run_stops_when_told(sessions: sessionmaker[Session], clock: Clock) -> None:
    bus = MemoryBus()
    w = worker(sessions, bus, clock, [])
    stop = threading.Event()
    thread = threading.Thread(target=w.run, args=(stop,), kwargs={"idle": 0.01})
    thread.start()
    publish_event(bus, KILL, scope=DEP)
    for _ in range(500):
        if notifications(sessions):
            break
        stop.wait(0.01)
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert [n.kind for n in notifications(sessions)] == ["kill_switch"]


# -- Redis Streams -----------------------------------------------------------------------------------------------
@pytest.mark.redis
def test_on_redis_streams_a_dead_workers_events_are_taken_over_and_notified_once(
    sessions: sessionmaker[Session], clock: Clock, receiver: Receiver
) -> None:
    url = server_url("redis")
    prefix = f"qdtest-{uuid.uuid4().hex[:12]}"
    set_user(sessions, {"warning": ["in_app", "webhook"]}, webhook_url=receiver.url, webhook_secret=SECRET)
    raw = redis.Redis.from_url(url, decode_responses=True)
    try:
        with RedisStreamsBus(url, prefix=prefix) as bus:
            events: list[Event] = [denied(n) for n in range(1, 5)]
            dying = DiesOnSecond(sessions, bus, [WebhookChannel(timeout=5)], clock, consumer="w1")
            for event in events:
                publish_event(bus, event, scope=DEP)
            publish_event(bus, events[0], scope=DEP)  # published again (a relay retrying): stored once
            with pytest.raises(KeyboardInterrupt):
                dying.run_once()
            survivor = worker(sessions, bus, clock, [WebhookChannel(timeout=5)], consumer="w2", claim_idle=0)
            report = survivor.run_once()
            assert (report.events, report.notified, report.delivered) == (3, 3, 4)
            assert survivor.run_once().busy is False
            got = notifications(sessions)
            assert [n.body.split(" ")[4] for n in got] == ["50,001.00", "50,002.00", "50,003.00", "50,004.00"]
            assert len(receiver.posts) == 4
            assert raw.xlen(bus.stream_key("notifications")) == 4
            assert [m.id for m in pushed(bus)] == [f"notification-{n.id}" for n in got]
            survivor.close()
    finally:
        keys = list(raw.scan_iter(f"{prefix}:*"))
        if keys:
            raw.delete(*keys)
        raw.close()


# -- PostgreSQL ----------------------------------------------------------------------------------------------------
@pytest.mark.postgres
def test_on_postgresql_notifications_deliveries_and_redeliveries_behave_as_on_sqlite(
    clock: Clock, tmp_path: Path
) -> None:
    server = server_url("postgres")
    schema = f"qd_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = sa.make_url(server).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = create_engine_for(url.render_as_string(hide_password=False))
    try:
        upgrade(url.render_as_string(hide_password=False))
        sessions = session_factory(engine)
        with transaction(sessions) as uow:
            version = uow.strategies.create("mr", "strategies.mean_reversion:MeanReversion", params={}, code_hash="t")
            uow.deployments.create(
                version.id, UserId("alice"), "paper", [Symbol("IBM")], Decimal(1), deployment_id=DeploymentId(DEP)
            )
        set_user(sessions, phone="+41791234567")
        bus = MemoryBus()
        sms = OutboxSmsProvider(tmp_path / "sms.jsonl", clock)
        dying = DiesAfterCommit(sessions, bus, [SmsChannel(sms)], clock, consumer="w1")
        publish_event(bus, KILL, scope=DEP)
        publish_event(bus, fill(1), scope=DEP)
        with pytest.raises(KeyboardInterrupt):
            dying.run_once()
        survivor = worker(sessions, bus, clock, [SmsChannel(sms)], consumer="w2", claim_idle=0)
        while survivor.run_once().busy:
            pass
        got = notifications(sessions)
        assert [(n.kind, n.created_at) for n in got] == [("fill", T0), ("kill_switch", T0)]  # fill: died after it
        assert {key: (d.status, d.attempts) for key, d in deliveries(sessions).items()} == {
            ("kill_switch", "sms"): (DeliveryStatus.DELIVERED, 1)
        }
        assert len(sms.messages()) == 1
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()

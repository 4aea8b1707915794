"""The Redis Streams bus against a real Redis server: acknowledgements, crash recovery, idempotency, bounds.

Set QUANTDESK_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/15); without it these tests skip, except under CI=true
where they fail. Each test works under a key prefix of its own and deletes its keys afterwards.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import redis
from bustest import Recorder
from conftest import server_url

from quantdesk.bus import BusError, Message, PollReport, decode, publish_event
from quantdesk.bus.redis_streams import RedisStreamsBus
from quantdesk.model import ClientOrderId, Fill, OrderSide, Symbol, TradeId

pytestmark = pytest.mark.redis


@pytest.fixture
def url() -> str:
    return server_url("redis")


@pytest.fixture
def raw(url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(url, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def prefix(raw: redis.Redis) -> Iterator[str]:
    name = f"qdtest-{uuid.uuid4().hex[:12]}"
    yield name
    keys = list(raw.scan_iter(f"{name}:*"))
    if keys:
        raw.delete(*keys)


@pytest.fixture
def bus(url: str, prefix: str) -> Iterator[RedisStreamsBus]:
    with RedisStreamsBus(url, prefix=prefix) as b:
        yield b


def publish_n(bus: RedisStreamsBus, n: int, topic: str = "orders") -> list[str]:
    return [bus.publish(topic, {"n": i}, key=f"m{i}") for i in range(n)]


def pending(raw: redis.Redis, bus: RedisStreamsBus, group: str, topic: str = "orders") -> dict[str, int]:
    summary = raw.xpending(bus.stream_key(topic), group)
    return {c["name"]: int(c["pending"]) for c in summary["consumers"]}


def test_messages_are_consumed_once_and_acknowledged(bus: RedisStreamsBus, raw: redis.Redis) -> None:
    got = Recorder()
    consumer = bus.subscribe("orders", "audit", got, consumer="c1")
    assert publish_n(bus, 3) == ["m0", "m1", "m2"]
    assert consumer.poll() == PollReport(handled=3)
    assert consumer.poll() == PollReport()
    assert got.ids == ["m0", "m1", "m2"]
    assert [m.payload for m in got.messages] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert [m.deliveries for m in got.messages] == [1, 1, 1]
    assert all(m.ts.tzinfo is UTC and abs(m.ts - datetime.now(UTC)) < timedelta(minutes=1) for m in got.messages)
    assert pending(raw, bus, "audit") == {}
    assert raw.xlen(bus.stream_key("orders")) == 3


def test_each_group_gets_every_message_and_one_consumer_of_a_group_handles_it(bus: RedisStreamsBus) -> None:
    audit, first, second = Recorder(), Recorder(), Recorder()
    a = bus.subscribe("orders", "audit", audit)
    w1 = bus.subscribe("orders", "workers", first, consumer="w1")
    w2 = bus.subscribe("orders", "workers", second, consumer="w2")
    publish_n(bus, 5)
    assert w1.poll(max_messages=2) == PollReport(handled=2)
    assert w2.poll() == PollReport(handled=3)
    assert a.poll() == PollReport(handled=5)
    assert w1.poll() == w2.poll() == a.poll() == PollReport()
    assert (first.ids, second.ids) == (["m0", "m1"], ["m2", "m3", "m4"])
    assert audit.ids == ["m0", "m1", "m2", "m3", "m4"]


def test_the_same_key_published_twice_is_stored_once(bus: RedisStreamsBus, raw: redis.Redis) -> None:
    got = Recorder()
    consumer = bus.subscribe("fills", "ledger", got)
    assert bus.publish("fills", {"trade": "T1"}, key="fill:T1") == "fill:T1"
    assert bus.publish("fills", {"trade": "T1"}, key="fill:T1") == "fill:T1"
    assert raw.xlen(bus.stream_key("fills")) == 1
    assert consumer.poll() == PollReport(handled=1)
    assert got.ids == ["fill:T1"]


def test_a_failed_handler_gets_the_message_again_on_the_next_poll(bus: RedisStreamsBus, raw: redis.Redis) -> None:
    got = Recorder(refuse={"m1"})
    consumer = bus.subscribe("orders", "audit", got, consumer="c1")
    publish_n(bus, 3)
    assert consumer.poll() == PollReport(handled=2, failed=1)
    assert pending(raw, bus, "audit") == {"c1": 1}
    got.refuse.clear()
    assert consumer.poll() == PollReport(handled=1)
    assert got.ids == ["m0", "m2", "m1"]
    assert got.messages[-1].deliveries == 2
    assert pending(raw, bus, "audit") == {}


CRASHING_CONSUMER = """
import os, signal, sys
import redis
from quantdesk.bus.redis_streams import RedisStreamsBus

url, prefix = sys.argv[1], sys.argv[2]
log = redis.Redis.from_url(url, decode_responses=True)

def handle(message):
    if message.payload["n"] == 2:
        os.kill(os.getpid(), signal.SIGKILL)  # dies mid-batch: m0 and m1 processed, nothing acknowledged yet
    log.rpush(prefix + ":handled", message.id)

RedisStreamsBus(url, prefix=prefix).subscribe("orders", "workers", handle, consumer="doomed").poll(max_messages=10)
"""


def test_messages_of_a_killed_consumer_are_taken_over_and_none_is_handled_twice(
    url: str, prefix: str, bus: RedisStreamsBus, raw: redis.Redis
) -> None:
    def handle(message: Message) -> None:
        raw.rpush(f"{prefix}:handled", message.id)
        deliveries[message.id] = message.deliveries

    deliveries: dict[str, int] = {}
    survivor = bus.subscribe("orders", "workers", handle, consumer="survivor", claim_idle=0.1)
    publish_n(bus, 5)
    child = subprocess.run(
        [sys.executable, "-c", CRASHING_CONSUMER, url, prefix], capture_output=True, text=True, timeout=60
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert raw.lrange(f"{prefix}:handled", 0, -1) == ["m0", "m1"]
    assert pending(raw, bus, "workers") == {"doomed": 5}  # read, and acknowledged none

    time.sleep(0.15)  # longer than claim_idle: the survivor may take the dead consumer's messages
    assert survivor.poll() == PollReport(handled=3, duplicates=2)
    assert raw.lrange(f"{prefix}:handled", 0, -1) == ["m0", "m1", "m2", "m3", "m4"]
    assert deliveries == {"m2": 2, "m3": 2, "m4": 2}
    assert pending(raw, bus, "workers") == {}
    assert survivor.poll() == PollReport()


def test_a_message_stored_twice_is_handled_once(url: str, prefix: str, raw: redis.Redis) -> None:
    with RedisStreamsBus(url, prefix=prefix, dedupe_ttl=0.05) as bus:  # the publisher forgets keys quickly
        got = Recorder()
        consumer = bus.subscribe("fills", "ledger", got)
        bus.publish("fills", {"trade": "T1"}, key="fill:T1")
        assert consumer.poll() == PollReport(handled=1)
        time.sleep(0.1)
        bus.publish("fills", {"trade": "T1"}, key="fill:T1")  # stored again: a retry after the dedupe window
        bus.publish("fills", {"trade": "T2"}, key="fill:T2")
        bus.publish("fills", {"trade": "T2"}, key="fill:T2")  # within the window: not stored
        time.sleep(0.1)
        bus.publish("fills", {"trade": "T2"}, key="fill:T2")  # stored again, and read in the same batch
        assert raw.xlen(bus.stream_key("fills")) == 4
        assert consumer.poll() == PollReport(handled=1, duplicates=2)
        assert got.ids == ["fill:T1", "fill:T2"]


def test_streams_are_bounded_exactly_when_asked(url: str, prefix: str, raw: redis.Redis) -> None:
    with RedisStreamsBus(url, prefix=prefix, maxlen=5, approximate=False) as bus:
        publish_n(bus, 20)
        assert raw.xlen(bus.stream_key("orders")) == 5
        got = Recorder()
        assert bus.subscribe("orders", "late", got).poll() == PollReport(handled=5)
        assert got.ids == ["m15", "m16", "m17", "m18", "m19"]


def test_streams_are_bounded_approximately_by_default(url: str, prefix: str, raw: redis.Redis) -> None:
    node = int(raw.config_get("stream-node-max-entries")["stream-node-max-entries"])
    with RedisStreamsBus(url, prefix=prefix, maxlen=10) as bus:
        for i in range(1000):
            bus.publish("equity", {"n": i})
        # MAXLEN ~ trims whole macro nodes: at least maxlen kept, at most one node more
        assert 10 <= raw.xlen(bus.stream_key("equity")) <= 10 + node


def test_a_pending_message_trimmed_from_the_stream_is_reported_and_acknowledged(
    url: str, prefix: str, raw: redis.Redis
) -> None:
    with RedisStreamsBus(url, prefix=prefix, maxlen=3, approximate=False) as bus:
        got = Recorder(refuse={"m0"})
        consumer = bus.subscribe("orders", "slow", got, consumer="c1")
        publish_n(bus, 3)
        assert consumer.poll() == PollReport(handled=2, failed=1)
        for i in range(3, 6):
            bus.publish("orders", {"n": i}, key=f"m{i}")  # m0 falls out of the bounded stream while pending
        assert consumer.poll() == PollReport(handled=3, trimmed=1)
        assert got.ids == ["m1", "m2", "m3", "m4", "m5"]
        assert pending(raw, bus, "slow") == {}


def test_a_trimmed_message_of_an_abandoned_consumer_is_reported_when_claimed(url: str, prefix: str) -> None:
    with RedisStreamsBus(url, prefix=prefix, maxlen=2, approximate=False) as bus:
        abandoned = bus.subscribe("orders", "g", Recorder(refuse={"m0", "m1"}), consumer="abandoned")
        got = Recorder()
        survivor = bus.subscribe("orders", "g", got, consumer="survivor", claim_idle=0.05)
        publish_n(bus, 2)
        assert abandoned.poll() == PollReport(failed=2)
        bus.publish("orders", {"n": 2}, key="m2")  # m0 falls out of the stream while pending
        time.sleep(0.1)
        assert survivor.poll() == PollReport(handled=2, trimmed=1)
        assert got.ids == ["m1", "m2"]
        assert got.messages[0].deliveries == 2


def test_a_message_that_keeps_failing_moves_to_the_dead_letter_topic(bus: RedisStreamsBus, raw: redis.Redis) -> None:
    consumer = bus.subscribe("orders", "audit", Recorder(refuse={"poison"}), max_deliveries=2)
    dead = Recorder()
    ops = bus.subscribe("orders.dead", "ops", dead)
    bus.publish("orders", {"bad": True}, key="poison")
    assert consumer.poll() == PollReport(failed=1)
    assert consumer.poll() == PollReport(failed=1)
    assert consumer.poll() == PollReport(dead_lettered=1)
    assert consumer.poll() == PollReport()
    assert ops.poll() == PollReport(handled=1)
    assert (dead.ids, dead.messages[0].payload) == (["poison"], {"bad": True})
    assert pending(raw, bus, "audit") == {}


def test_a_poll_with_a_timeout_returns_as_soon_as_a_message_arrives(bus: RedisStreamsBus) -> None:
    got = Recorder()
    consumer = bus.subscribe("orders", "ws", got, start="latest")
    timer = threading.Timer(0.05, lambda: bus.publish("orders", {"n": 0}, key="m0"))
    start = time.monotonic()
    timer.start()
    report = consumer.poll(timeout=5.0)
    timer.join()
    assert report == PollReport(handled=1)
    assert time.monotonic() - start < 2.0


def test_an_engine_event_round_trips_through_redis_exactly(bus: RedisStreamsBus) -> None:
    fill = Fill(
        trade_id=TradeId("paper-1-7"),
        client_order_id=ClientOrderId("dep-1:20240304T143000:AAPL:target"),
        symbol=Symbol("AAPL"),
        side=OrderSide.BUY,
        quantity=Decimal("10.000000001"),
        price=Decimal("187.123456789012345678"),
        fee=Decimal("0.94"),
        ts=datetime(2024, 3, 4, 14, 31, 0, 500000, tzinfo=UTC),
    )
    got = Recorder()
    consumer = bus.subscribe("fills", "ws", got)
    assert publish_event(bus, fill, scope="dep-1") == "dep-1/fill:paper-1-7"
    assert consumer.poll() == PollReport(handled=1)
    assert decode(got.messages[0].payload) == fill
    assert got.messages[0].payload["scope"] == "dep-1"


def test_closing_a_consumer_with_nothing_pending_removes_it_from_the_group(
    bus: RedisStreamsBus, raw: redis.Redis
) -> None:
    consumer = bus.subscribe("orders", "audit", Recorder(), consumer="c1")
    publish_n(bus, 1)
    consumer.poll()
    assert [c["name"] for c in raw.xinfo_consumers(bus.stream_key("orders"), "audit")] == ["c1"]
    consumer.close()
    assert raw.xinfo_consumers(bus.stream_key("orders"), "audit") == []
    with pytest.raises(BusError, match="consumer c1 of group audit on orders is closed"):
        consumer.poll()


def test_a_closed_bus_refuses_to_publish(url: str, prefix: str) -> None:
    bus = RedisStreamsBus(url, prefix=prefix)
    bus.close()
    with pytest.raises(BusError, match="the bus is closed"):
        bus.publish("orders", {})


@pytest.mark.parametrize(
    ("bad_url", "message"),
    [
        (
            "redis://127.0.0.1:1/0",
            r"^cannot reach Redis at redis://127\.0\.0\.1:1/0: .+; start the server \(redis-server\) or leave "
            r"QUANTDESK_REDIS_URL unset to use the in-process bus$",
        ),
        (
            "redis://:s3cret@127.0.0.1:1/0",
            r"^cannot reach Redis at redis://\*\*\*@127\.0\.0\.1:1/0: ",
        ),
        (
            "http://127.0.0.1:6379",
            r"^invalid Redis URL http://127\.0\.0\.1:6379: .+; expected redis://host:port/db",
        ),
    ],
    ids=["nothing-listening", "password-hidden", "wrong-scheme"],
)
def test_a_bad_redis_url_is_one_clear_bus_error(bad_url: str, message: str) -> None:
    with pytest.raises(BusError, match=message) as info:
        RedisStreamsBus(bad_url, connect_timeout=1.0)
    assert "s3cret" not in str(info.value)
    assert "\n" not in str(info.value)

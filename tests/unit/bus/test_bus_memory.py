"""The in-process bus: consumer groups as in Redis Streams, at-least-once delivery, idempotent consumers."""

from __future__ import annotations

import doctest
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from bustest import Recorder

import quantdesk.bus
from quantdesk.bus import BusError, MemoryBus, Message, PollReport, consume_until, create_bus

T0 = datetime(2024, 3, 4, 14, 30, tzinfo=UTC)


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def publish_n(bus: MemoryBus, n: int, topic: str = "orders") -> list[str]:
    return [bus.publish(topic, {"n": i}, key=f"m{i}") for i in range(n)]


def test_each_group_gets_every_message_once() -> None:
    bus = MemoryBus()
    audit, ws = Recorder(), Recorder()
    a = bus.subscribe("orders", "audit", audit)
    w = bus.subscribe("orders", "ws", ws)
    ids = publish_n(bus, 3)
    assert a.poll() == PollReport(handled=3)
    assert w.poll() == PollReport(handled=3)
    assert a.poll() == w.poll() == PollReport()
    assert audit.ids == ws.ids == ids == ["m0", "m1", "m2"]
    assert [m.payload for m in audit.messages] == [{"n": 0}, {"n": 1}, {"n": 2}]


def test_within_a_group_each_message_goes_to_one_consumer() -> None:
    bus = MemoryBus()
    first, second = Recorder(), Recorder()
    c1 = bus.subscribe("orders", "notify", first, consumer="c1")
    c2 = bus.subscribe("orders", "notify", second, consumer="c2")
    publish_n(bus, 5)
    assert c1.poll(max_messages=2).handled == 2
    assert c2.poll().handled == 3
    assert c1.poll() == c2.poll() == PollReport()
    assert first.ids == ["m0", "m1"]
    assert second.ids == ["m2", "m3", "m4"]


def test_messages_arrive_in_publish_order() -> None:
    bus = MemoryBus()
    got = Recorder()
    consumer = bus.subscribe("fills", "ledger", got)
    for i in range(50):
        bus.publish("fills", {"n": i})
        if i % 7 == 0:
            consumer.poll(max_messages=3)
    while consumer.poll().received:
        pass
    assert [m.payload["n"] for m in got.messages] == list(range(50))


def test_a_failed_handler_gets_the_message_again_on_the_next_poll() -> None:
    bus = MemoryBus()
    got = Recorder(refuse={"m1"})
    consumer = bus.subscribe("orders", "audit", got)
    publish_n(bus, 3)
    assert consumer.poll() == PollReport(handled=2, failed=1)
    assert got.ids == ["m0", "m2"]
    got.refuse.clear()
    assert consumer.poll() == PollReport(handled=1)
    assert got.ids == ["m0", "m2", "m1"]
    assert got.messages[-1].deliveries == 2
    assert consumer.poll() == PollReport()


def test_the_same_key_published_twice_is_delivered_once_per_group() -> None:
    bus = MemoryBus()
    a, b = Recorder(), Recorder()
    ca, cb = bus.subscribe("fills", "a", a), bus.subscribe("fills", "b", b)
    assert bus.publish("fills", {"trade": "T1"}, key="fill:T1") == "fill:T1"
    assert bus.publish("fills", {"trade": "T1"}, key="fill:T1") == "fill:T1"
    assert (ca.poll().handled, cb.poll().handled) == (1, 1)
    assert a.ids == b.ids == ["fill:T1"]


def test_a_message_the_group_already_processed_is_acknowledged_without_calling_the_handler() -> None:
    bus = MemoryBus(dedupe_size=1)  # the publisher forgets "fill:T1" once "fill:T2" is published
    got = Recorder()
    consumer = bus.subscribe("fills", "ledger", got)
    bus.publish("fills", {"trade": "T1"}, key="fill:T1")
    bus.publish("fills", {"trade": "T2"}, key="fill:T2")
    bus.publish("fills", {"trade": "T1"}, key="fill:T1")  # stored a second time
    assert consumer.poll() == PollReport(handled=2, duplicates=1)
    assert got.ids == ["fill:T1", "fill:T2"]


def test_messages_left_by_an_abandoned_consumer_are_taken_over_after_the_idle_time() -> None:
    ticks = Ticks()
    bus = MemoryBus(monotonic=ticks)
    crashed, survivor = Recorder(refuse={"m0", "m1", "m2"}), Recorder()
    doomed = bus.subscribe("orders", "notify", crashed, consumer="doomed", claim_idle=0.1)
    other = bus.subscribe("orders", "notify", survivor, consumer="other", claim_idle=0.1)
    publish_n(bus, 3)
    assert doomed.poll() == PollReport(failed=3)  # then it is never polled again
    ticks.now += 0.05
    assert other.poll() == PollReport()  # not idle long enough yet
    ticks.now += 0.06
    assert other.poll() == PollReport(handled=3)
    assert survivor.ids == ["m0", "m1", "m2"]
    assert [m.deliveries for m in survivor.messages] == [2, 2, 2]
    assert other.poll() == PollReport()


def test_a_message_that_keeps_failing_moves_to_the_dead_letter_topic() -> None:
    bus = MemoryBus()
    got = Recorder(refuse={"poison"})
    consumer = bus.subscribe("orders", "audit", got, max_deliveries=2)
    dead = Recorder()
    dead_consumer = bus.subscribe("orders.dead", "ops", dead)
    bus.publish("orders", {"bad": True}, key="poison")
    assert consumer.poll() == PollReport(failed=1)
    assert consumer.poll() == PollReport(failed=1)
    assert consumer.poll() == PollReport(dead_lettered=1)
    assert consumer.poll() == PollReport()
    assert dead_consumer.poll() == PollReport(handled=1)
    assert (dead.ids, dead.messages[0].payload) == (["poison"], {"bad": True})


def test_streams_are_bounded_and_a_new_group_starts_at_the_oldest_message_kept() -> None:
    bus = MemoryBus(maxlen=3)
    publish_n(bus, 5)
    got = Recorder()
    assert bus.subscribe("orders", "late", got).poll() == PollReport(handled=3)
    assert got.ids == ["m2", "m3", "m4"]


def test_a_group_starting_at_latest_sees_only_what_is_published_after() -> None:
    bus = MemoryBus()
    publish_n(bus, 2)
    got = Recorder()
    consumer = bus.subscribe("orders", "live", got, start="latest")
    bus.publish("orders", {"n": 2}, key="m2")
    assert consumer.poll() == PollReport(handled=1)
    assert got.ids == ["m2"]


def test_each_delivery_gets_its_own_payload_and_the_bus_clock_time() -> None:
    bus = MemoryBus(clock=lambda: T0)
    a, b = Recorder(), Recorder()
    ca, cb = bus.subscribe("equity", "a", a), bus.subscribe("equity", "b", b)
    payload = {"equity": "100"}
    bus.publish("equity", payload)
    payload["equity"] = "changed after publishing"
    ca.poll()
    a.messages[0].payload["equity"] = "changed by a handler"
    cb.poll()
    assert b.messages[0].payload == {"equity": "100"}
    assert b.messages[0].ts == T0
    assert b.messages[0].topic == "equity"


def test_a_poll_with_a_timeout_returns_as_soon_as_a_message_arrives() -> None:
    bus = MemoryBus()
    got = Recorder()
    consumer = bus.subscribe("orders", "ws", got)
    timer = threading.Timer(0.05, lambda: bus.publish("orders", {"n": 0}, key="m0"))
    start = time.monotonic()
    timer.start()
    report = consumer.poll(timeout=5.0)
    timer.join()
    assert report == PollReport(handled=1)
    assert time.monotonic() - start < 2.0


def test_two_consumer_threads_and_two_publisher_threads_lose_and_repeat_nothing() -> None:
    bus = MemoryBus()
    per_publisher = 500
    handled: Counter[str] = Counter()
    order: dict[str, list[int]] = {"p0": [], "p1": []}
    lock = threading.Lock()

    def work(message: Message) -> None:
        with lock:
            handled[message.id] += 1

    def follow(message: Message) -> None:
        order[message.payload["publisher"]].append(message.payload["n"])

    workers = [bus.subscribe("fills", "workers", work, consumer=f"w{i}") for i in range(2)]
    follower = bus.subscribe("fills", "follower", follow)
    stop = threading.Event()
    threads = [threading.Thread(target=consume_until, args=(w, stop), kwargs={"timeout": 0.01}) for w in workers]

    def publish(name: str) -> None:
        for n in range(per_publisher):
            bus.publish("fills", {"publisher": name, "n": n}, key=f"{name}-{n}")

    publishers = [threading.Thread(target=publish, args=(name,)) for name in order]
    for t in threads + publishers:
        t.start()
    for t in publishers:
        t.join()
    deadline = time.monotonic() + 10
    while sum(handled.values()) < 2 * per_publisher and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    for t in threads:
        t.join()
    while follower.poll().received:
        pass
    assert len(handled) == 2 * per_publisher
    assert set(handled.values()) == {1}
    assert order == {"p0": list(range(per_publisher)), "p1": list(range(per_publisher))}


@pytest.mark.parametrize(
    ("topic", "payload", "message"),
    [
        ("orders events", {}, r"topic must be 1-128 letters, digits or \. _ -"),
        ("orders", {"price": Decimal("1.5")}, r"payload must be JSON-safe \(encode events with quantdesk\.bus\.encode"),
        ("orders", {"price": float("nan")}, r"payload must be JSON-safe"),
        ("orders", ["not", "a", "dict"], r"a message payload must be a dict, got list"),
    ],
)
def test_bad_publish_is_refused(topic: str, payload: Any, message: str) -> None:
    with pytest.raises(BusError, match=message):
        MemoryBus().publish(topic, payload)


def test_a_key_with_whitespace_is_refused() -> None:
    with pytest.raises(BusError, match=r"a message key must be 1-512 printable characters without spaces"):
        MemoryBus().publish("orders", {}, key="fill T1")


def test_a_closed_bus_refuses_to_publish_and_to_poll() -> None:
    bus = create_bus(None)
    assert isinstance(bus, MemoryBus)
    consumer = bus.subscribe("orders", "audit", Recorder())
    bus.close()
    with pytest.raises(BusError, match="the bus is closed"):
        bus.publish("orders", {})
    with pytest.raises(BusError, match="the bus is closed"):
        consumer.poll()


def test_docstring_examples_run() -> None:
    result = doctest.testmod(quantdesk.bus)
    assert (result.attempted > 0, result.failed) == (True, 0)

"""The event bus: the engine publishes order, fill, risk and equity events; services consume them.

In-process by default (:class:`MemoryBus`); Redis Streams (:class:`RedisStreamsBus`) when several processes
share the events. Both give every consumer group every message at least once, redeliver what a handler did not
finish, and call a group's handler once per message id.

>>> from quantdesk.bus import create_bus
>>> bus = create_bus(None)
>>> seen = []
>>> consumer = bus.subscribe("orders", "audit", lambda message: seen.append(message.payload))
>>> bus.publish("orders", {"type": "note", "text": "hello"}, key="note-1")
'note-1'
>>> bus.publish("orders", {"type": "note", "text": "hello"}, key="note-1")  # the same key: stored once
'note-1'
>>> consumer.poll()
PollReport(handled=1, failed=0, duplicates=0, dead_lettered=0, trimmed=0)
>>> seen
[{'type': 'note', 'text': 'hello'}]
"""

from __future__ import annotations

from quantdesk.bus.codec import (
    EVENT_TYPES,
    TOPIC_EQUITY,
    TOPIC_FILLS,
    TOPIC_ORDERS,
    TOPIC_RISK,
    TOPICS,
    Event,
    decode,
    encode,
    event_key,
    publish_event,
    topic_for,
)
from quantdesk.bus.memory import MemoryBus, MemoryConsumer
from quantdesk.bus.port import (
    DEFAULT_CLAIM_IDLE,
    Bus,
    BusError,
    Consumer,
    Handler,
    Message,
    PollReport,
    Start,
    consume_until,
    dead_letter_topic,
)


def create_bus(redis_url: str | None = None, *, maxlen: int | None = None) -> Bus:
    """The bus a deployment uses: in-process when ``redis_url`` is None, Redis Streams at that URL otherwise
    (connecting at once; :class:`BusError` if it cannot). ``maxlen`` bounds each topic (backend default if None)."""
    if redis_url is None:
        return MemoryBus() if maxlen is None else MemoryBus(maxlen=maxlen)
    from quantdesk.bus.redis_streams import RedisStreamsBus  # imports redis only when it is used

    return RedisStreamsBus(redis_url) if maxlen is None else RedisStreamsBus(redis_url, maxlen=maxlen)


__all__ = [
    "DEFAULT_CLAIM_IDLE",
    "EVENT_TYPES",
    "TOPICS",
    "TOPIC_EQUITY",
    "TOPIC_FILLS",
    "TOPIC_ORDERS",
    "TOPIC_RISK",
    "Bus",
    "BusError",
    "Consumer",
    "Event",
    "Handler",
    "MemoryBus",
    "MemoryConsumer",
    "Message",
    "PollReport",
    "Start",
    "consume_until",
    "create_bus",
    "dead_letter_topic",
    "decode",
    "encode",
    "event_key",
    "publish_event",
    "topic_for",
]

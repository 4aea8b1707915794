"""The in-process bus (the default): consumer groups with the same semantics as the Redis Streams backend.

Each topic is a bounded log; each group has a cursor into it, the messages its consumers hold unacknowledged
(pending), and a bounded memory of the ids it has processed. One lock guards it all, so publishers and
consumers may run in different threads; handlers run outside the lock, so a handler may publish.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog

from quantdesk.bus import _wire
from quantdesk.bus.port import DEFAULT_CLAIM_IDLE, BusError, Handler, Message, PollReport, Start, dead_letter_topic

_log = structlog.stdlib.get_logger(__name__)

DEFAULT_MAXLEN = 10_000
DEFAULT_DEDUPE_SIZE = 100_000


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class _Entry:
    seq: int
    id: str
    body: str
    ts: datetime


@dataclass(slots=True)
class _Pending:
    entry: _Entry
    consumer: str
    delivered_at: float
    deliveries: int


@dataclass(slots=True)
class _Group:
    cursor: int
    pending: dict[int, _Pending] = field(default_factory=dict)
    done: OrderedDict[str, None] = field(default_factory=OrderedDict)


@dataclass(slots=True)
class _Topic:
    log: deque[_Entry] = field(default_factory=deque)
    next_seq: int = 0
    keys: OrderedDict[str, None] = field(default_factory=OrderedDict)
    groups: dict[str, _Group] = field(default_factory=dict)


def _remember(ids: OrderedDict[str, None], value: str, size: int) -> None:
    ids[value] = None
    if len(ids) > size:
        ids.popitem(last=False)


class MemoryBus:
    """A bus inside one process.

    - ``maxlen``: messages kept per topic; older ones are dropped (a group that has not read them misses them).
    - ``dedupe_size``: publish keys remembered per topic (the window of idempotent publishing).
    - ``done_size``: processed message ids remembered per group (the window of idempotent consuming).
    - ``clock``: the time stamped on messages (UTC wall clock by default); ``monotonic`` measures idleness.
    """

    def __init__(
        self,
        *,
        maxlen: int = DEFAULT_MAXLEN,
        dedupe_size: int = DEFAULT_DEDUPE_SIZE,
        done_size: int = DEFAULT_DEDUPE_SIZE,
        clock: Callable[[], datetime] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._maxlen = _wire.positive_int(maxlen, "maxlen")
        self._dedupe_size = _wire.positive_int(dedupe_size, "dedupe_size")
        self._done_size = _wire.positive_int(done_size, "done_size")
        self._clock = clock or _utc_now
        self._monotonic = monotonic
        self._cond = threading.Condition(threading.Lock())
        self._topics: dict[str, _Topic] = {}
        self._closed = False

    def __enter__(self) -> MemoryBus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def publish(self, topic: str, payload: Mapping[str, Any], *, key: str | None = None) -> str:
        """See :meth:`quantdesk.bus.Bus.publish`."""
        _wire.name(topic, "topic")
        body = _wire.dumps(payload)
        message_id = _wire.message_id(key)
        ts = self._clock()
        with self._cond:
            self._check_open()
            t = self._topics.setdefault(topic, _Topic())
            if key is not None:
                if message_id in t.keys:
                    return message_id
                _remember(t.keys, message_id, self._dedupe_size)
            t.log.append(_Entry(t.next_seq, message_id, body, ts))
            t.next_seq += 1
            if len(t.log) > self._maxlen:
                t.log.popleft()
            self._cond.notify_all()
        return message_id

    def subscribe(
        self,
        topic: str,
        group: str,
        handler: Handler,
        *,
        consumer: str | None = None,
        start: Start = "earliest",
        claim_idle: float = DEFAULT_CLAIM_IDLE,
        max_deliveries: int | None = None,
    ) -> MemoryConsumer:
        """See :meth:`quantdesk.bus.Bus.subscribe`."""
        _wire.name(topic, "topic")
        _wire.name(group, "group")
        if max_deliveries is not None:
            _wire.name(dead_letter_topic(topic), "dead-letter topic")
        idle, limit = _wire.options(claim_idle, max_deliveries)
        begin = _wire.start(start)
        name = _wire.consumer_name(consumer)
        with self._cond:
            self._check_open()
            t = self._topics.setdefault(topic, _Topic())
            if group not in t.groups:
                t.groups[group] = _Group(cursor=t.log[0].seq if begin == "earliest" and t.log else t.next_seq)
        return MemoryConsumer(self, topic, group, name, handler, idle, limit)

    def close(self) -> None:
        """See :meth:`quantdesk.bus.Bus.close`; wakes consumers waiting in a poll."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    # -- used by MemoryConsumer -----------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise BusError("the bus is closed")

    def _take(self, topic: str, group: str, consumer: str, limit: int, claim_idle: float) -> list[_Pending]:
        """The next messages for ``consumer``: its own pending ones, then those idle too long elsewhere, then
        new ones; each counted as delivered again and now held by ``consumer``."""
        with self._cond:
            self._check_open()
            t = self._topics[topic]
            g = t.groups[group]
            now = self._monotonic()
            mine = [p for p in g.pending.values() if p.consumer == consumer]
            stale = [p for p in g.pending.values() if p.consumer != consumer and now - p.delivered_at >= claim_idle]
            batch = sorted(mine, key=lambda p: p.entry.seq) + sorted(stale, key=lambda p: p.entry.seq)
            batch = batch[:limit]
            for p in batch:
                p.consumer, p.delivered_at, p.deliveries = consumer, now, p.deliveries + 1
            first = t.log[0].seq if t.log else t.next_seq
            g.cursor = max(g.cursor, first)
            while len(batch) < limit and g.cursor < t.next_seq:
                entry = t.log[g.cursor - first]
                pending = _Pending(entry, consumer, now, 1)
                g.pending[entry.seq] = pending
                batch.append(pending)
                g.cursor += 1
            return batch

    def _wait(self, topic: str, group: str, timeout: float) -> None:
        with self._cond:
            t = self._topics[topic]
            g = t.groups[group]
            self._cond.wait_for(lambda: self._closed or t.next_seq > g.cursor, timeout)

    def _is_done(self, topic: str, group: str, message_id: str) -> bool:
        with self._cond:
            return message_id in self._topics[topic].groups[group].done

    def _ack(self, topic: str, group: str, seq: int, message_id: str) -> None:
        with self._cond:
            g = self._topics[topic].groups[group]
            g.pending.pop(seq, None)
            _remember(g.done, message_id, self._done_size)


class MemoryConsumer:
    """A member of a consumer group of a :class:`MemoryBus`; see :class:`quantdesk.bus.Consumer`."""

    def __init__(
        self,
        bus: MemoryBus,
        topic: str,
        group: str,
        name: str,
        handler: Handler,
        claim_idle: float,
        max_deliveries: int | None,
    ) -> None:
        self._bus = bus
        self._topic, self._group, self._name = topic, group, name
        self._handler = handler
        self._claim_idle = claim_idle
        self._max_deliveries = max_deliveries
        self._closed = False

    @property
    def topic(self) -> str:
        return self._topic

    @property
    def group(self) -> str:
        return self._group

    @property
    def name(self) -> str:
        return self._name

    def poll(self, *, max_messages: int = 100, timeout: float = 0.0) -> PollReport:
        """See :meth:`quantdesk.bus.Consumer.poll`."""
        limit, wait = _wire.poll_args(max_messages, timeout)
        if self._closed:
            raise BusError(f"consumer {self._name} of group {self._group} on {self._topic} is closed")
        batch = self._bus._take(self._topic, self._group, self._name, limit, self._claim_idle)
        if not batch and wait > 0:
            self._bus._wait(self._topic, self._group, wait)
            batch = self._bus._take(self._topic, self._group, self._name, limit, self._claim_idle)
        handled = failed = duplicates = dead = 0
        for p in batch:
            entry = p.entry
            if self._bus._is_done(self._topic, self._group, entry.id):
                duplicates += 1
            elif self._max_deliveries is not None and p.deliveries > self._max_deliveries:
                self._bus.publish(dead_letter_topic(self._topic), _wire.loads(entry.body), key=entry.id)
                dead += 1
            else:
                message = Message(entry.id, self._topic, _wire.loads(entry.body), entry.ts, p.deliveries)
                try:
                    self._handler(message)
                except Exception:
                    failed += 1
                    _log.warning(
                        "bus handler failed; the message will be delivered again",
                        topic=self._topic,
                        group=self._group,
                        message_id=entry.id,
                        deliveries=p.deliveries,
                        exc_info=True,
                    )
                    continue
                handled += 1
            self._bus._ack(self._topic, self._group, entry.seq, entry.id)
        return PollReport(handled=handled, failed=failed, duplicates=duplicates, dead_lettered=dead)

    def close(self) -> None:
        """See :meth:`quantdesk.bus.Consumer.close`."""
        self._closed = True

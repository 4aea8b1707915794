"""The bus on Redis Streams, for several processes: one stream per topic, consumer groups, acknowledgements.

How nothing is lost: a message stays in its group's pending list until a consumer acknowledges it (XACK),
which happens only after the handler returned. A consumer re-reads its own pending messages on every poll,
and takes over (XAUTOCLAIM) those another consumer has held longer than ``claim_idle``, e.g. after it crashed.

How nothing is processed twice: after the handler returns, the consumer marks the message id as done for the
group (a key with a TTL) before it acknowledges; a message delivered again with a done mark (the consumer
died between the two, or the publisher stored it twice after its dedupe window) is acknowledged without
calling the handler. Publishing with a key stores the message and the key's mark in one Lua script, so a
retried publish cannot add a second copy, nor a crash leave a mark without its message.

Streams are bounded: XADD trims to ``maxlen`` (approximately by default, which is cheaper). A consumer that
falls further behind than ``maxlen`` messages loses the oldest; size ``maxlen`` for the slowest group.

Keys: ``<prefix>:stream:{<topic>}``, ``<prefix>:key:{<topic>}:<key>`` and
``<prefix>:done:{<topic>}:<group>:<id>``; the braces keep a topic's keys in one Redis Cluster slot.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import redis
import structlog

from quantdesk.bus import _wire
from quantdesk.bus.port import DEFAULT_CLAIM_IDLE, BusError, Handler, Message, PollReport, Start, dead_letter_topic

_log = structlog.stdlib.get_logger(__name__)

DEFAULT_MAXLEN = 100_000
DEFAULT_DEDUPE_TTL = 24 * 3600.0
DEFAULT_DONE_TTL = 7 * 24 * 3600.0

# KEYS[1] stream, KEYS[2] the key's mark; ARGV: trim mode ('~' or '='), maxlen, message id, payload, mark TTL (ms)
_PUBLISH_ONCE = """
if redis.call('EXISTS', KEYS[2]) == 1 then
  return 0
end
redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[1], ARGV[2], '*', 'id', ARGV[3], 'payload', ARGV[4])
redis.call('SET', KEYS[2], '1', 'PX', ARGV[5])
return 1
"""


def _safe_url(url: str) -> str:
    return re.sub(r"//[^@/]*@", "//***@", url)


class RedisStreamsBus:
    """A bus on the Redis server at ``url`` (``redis://[:password@]host:port/db``); connects at once, so a wrong
    URL or a stopped server fails here with a :class:`BusError`.

    - ``prefix``: namespace of every key (several platforms or tests may share one server).
    - ``maxlen``, ``approximate``: the bound of each stream (``MAXLEN ~`` when approximate).
    - ``dedupe_ttl``: seconds a publish key is remembered; ``done_ttl``: seconds a processed id is remembered.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "quantdesk",
        maxlen: int = DEFAULT_MAXLEN,
        approximate: bool = True,
        dedupe_ttl: float = DEFAULT_DEDUPE_TTL,
        done_ttl: float = DEFAULT_DONE_TTL,
        connect_timeout: float = 2.0,
        socket_timeout: float = 30.0,
    ) -> None:
        self._url = _safe_url(url) if isinstance(url, str) else repr(url)
        self._prefix = _wire.name(prefix, "prefix")
        self._maxlen = _wire.positive_int(maxlen, "maxlen")
        self._trim = "~" if approximate else "="
        self._dedupe_ms = self._positive_ms(dedupe_ttl, "dedupe_ttl")
        self._done_s = max(1, round(self._positive_ms(done_ttl, "done_ttl") / 1000))
        self._socket_timeout = socket_timeout
        self._closed = False
        try:
            self._client: redis.Redis = redis.Redis.from_url(
                url,
                decode_responses=True,
                socket_connect_timeout=connect_timeout,
                socket_timeout=socket_timeout,
            )
        except (ValueError, TypeError, AttributeError) as exc:
            raise BusError(
                f"invalid Redis URL {self._url}: {exc}; expected redis://host:port/db (or rediss:// for TLS)"
            ) from None
        self._publish_once = self._client.register_script(_PUBLISH_ONCE)
        with self._errors():
            self._client.ping()

    def __enter__(self) -> RedisStreamsBus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def publish(self, topic: str, payload: Mapping[str, Any], *, key: str | None = None) -> str:
        """See :meth:`quantdesk.bus.Bus.publish`."""
        stream = self.stream_key(_wire.name(topic, "topic"))
        body = _wire.dumps(payload)
        message_id = _wire.message_id(key)
        with self._errors():
            self.check_open()
            if key is None:
                self._client.xadd(
                    stream,
                    {"id": message_id, "payload": body},
                    maxlen=self._maxlen,
                    approximate=self._trim == "~",
                )
            else:
                mark = f"{self._prefix}:key:{{{topic}}}:{message_id}"
                self._publish_once(
                    keys=[stream, mark], args=[self._trim, self._maxlen, message_id, body, self._dedupe_ms]
                )
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
    ) -> RedisConsumer:
        """See :meth:`quantdesk.bus.Bus.subscribe`; the group is created with XGROUP CREATE MKSTREAM."""
        stream = self.stream_key(_wire.name(topic, "topic"))
        _wire.name(group, "group")
        if max_deliveries is not None:
            _wire.name(dead_letter_topic(topic), "dead-letter topic")
        idle, limit = _wire.options(claim_idle, max_deliveries)
        begin = "0" if _wire.start(start) == "earliest" else "$"
        name = _wire.consumer_name(consumer)
        with self._errors():
            self.check_open()
            try:
                self._client.xgroup_create(stream, group, id=begin, mkstream=True)
            except redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise
        return RedisConsumer(self, topic, group, name, handler, idle, limit)

    def close(self) -> None:
        """See :meth:`quantdesk.bus.Bus.close`."""
        self._closed = True
        self._client.close()
        self._client.connection_pool.disconnect()

    def stream_key(self, topic: str) -> str:
        """The Redis key of ``topic``'s stream (for inspection: ``XLEN``, ``XINFO``)."""
        return f"{self._prefix}:stream:{{{topic}}}"

    # -- used by RedisConsumer ------------------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def check_open(self) -> None:
        """Raise :class:`BusError` once the bus is closed (redis-py would silently reconnect)."""
        if self._closed:
            raise BusError("the bus is closed")

    @property
    def client(self) -> redis.Redis:
        """The redis-py client (thread-safe; shared by this bus's consumers)."""
        return self._client

    def done_key(self, topic: str, group: str, message_id: str) -> str:
        """The mark that ``group`` has processed ``message_id``."""
        return f"{self._prefix}:done:{{{topic}}}:{group}:{message_id}"

    @property
    def done_ttl(self) -> int:
        """Seconds a processed id is remembered."""
        return self._done_s

    @property
    def socket_timeout(self) -> float:
        """Seconds a command may take; a blocking read must return before it."""
        return self._socket_timeout

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """Redis failures as one-line bus errors that say what to do."""
        try:
            yield
        except redis.AuthenticationError as exc:  # before ConnectionError, its base class
            raise BusError(f"Redis at {self._url} refused the credentials: {exc}; check the URL's password") from None
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise BusError(
                f"cannot reach Redis at {self._url}: {exc}; start the server (redis-server) or leave "
                "QUANTDESK_REDIS_URL unset to use the in-process bus"
            ) from None
        except redis.RedisError as exc:
            raise BusError(f"Redis at {self._url} refused a command: {exc}") from exc

    @staticmethod
    def _positive_ms(seconds: object, what: str) -> int:
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds > 0:
            raise BusError(f"{what} must be a number of seconds > 0, got {seconds!r}")
        return max(1, round(seconds * 1000))


class RedisConsumer:
    """A member of a consumer group on a :class:`RedisStreamsBus`; see :class:`quantdesk.bus.Consumer`."""

    def __init__(
        self,
        bus: RedisStreamsBus,
        topic: str,
        group: str,
        name: str,
        handler: Handler,
        claim_idle: float,
        max_deliveries: int | None,
    ) -> None:
        self._bus = bus
        self._r = bus.client
        self._stream = bus.stream_key(topic)
        self._topic, self._group, self._name = topic, group, name
        self._handler = handler
        self._claim_idle_ms = round(claim_idle * 1000)
        self._max_deliveries = max_deliveries
        self._claim_from = "0-0"
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
        """See :meth:`quantdesk.bus.Consumer.poll`: XREADGROUP of own pending (id 0), XAUTOCLAIM, then
        XREADGROUP of new messages (``>``, blocking up to ``timeout``)."""
        limit, wait = _wire.poll_args(max_messages, timeout)
        if wait >= self._bus.socket_timeout:
            raise BusError(f"timeout must be below the socket timeout ({self._bus.socket_timeout} s), got {wait}")
        if self._closed:
            raise BusError(f"consumer {self._name} of group {self._group} on {self._topic} is closed")
        self._bus.check_open()
        with self._bus._errors():
            batch = self._read("0", limit, None)
            if len(batch) < limit:
                mine = {sid for sid, _, _ in batch}  # with claim_idle 0, XAUTOCLAIM returns them again
                batch += [entry for entry in self._claim(limit - len(batch)) if entry[0] not in mine]
            redelivered = [sid for sid, _, _ in batch]
            if len(batch) < limit:
                block = round(wait * 1000) if wait > 0 and not batch else None
                batch += [(sid, fields, 1) for sid, fields, _ in self._read(">", limit - len(batch), block)]
            counts = self._deliveries(redelivered)
            batch = [(sid, fields, counts.get(sid, n)) for sid, fields, n in batch]
            return self._process(batch)

    def close(self) -> None:
        """See :meth:`quantdesk.bus.Consumer.close`; a consumer with nothing pending is removed from the group."""
        if self._closed:
            return
        self._closed = True
        if self._bus.closed:
            return
        with self._bus._errors():
            if not self._r.xpending_range(self._stream, self._group, "-", "+", 1, consumername=self._name):
                self._r.xgroup_delconsumer(self._stream, self._group, self._name)

    # ------------------------------------------------------------------------------------------------------
    def _read(self, start: str, count: int, block: int | None) -> list[tuple[str, dict[str, str], int]]:
        reply = self._r.xreadgroup(self._group, self._name, {self._stream: start}, count=count, block=block)
        return [(sid, fields or {}, 0) for _, entries in reply or [] for sid, fields in entries]

    def _claim(self, count: int) -> list[tuple[str, dict[str, str], int]]:
        """Messages other consumers have held longer than ``claim_idle``, scanning the pending list from where
        the last claim stopped (XAUTOCLAIM's cursor) and wrapping around once."""
        claimed: list[tuple[str, dict[str, str], int]] = []
        for _ in range(2):
            cursor, entries, *rest = self._r.xautoclaim(
                self._stream, self._group, self._name, self._claim_idle_ms, start_id=self._claim_from, count=count
            )
            claimed += [(sid, fields or {}, 0) for sid, fields in entries]
            claimed += [(sid, {}, 0) for sid in (rest[0] if rest else [])]  # pending but trimmed (Redis 7)
            wrapped = self._claim_from != "0-0" and cursor == "0-0"
            self._claim_from = cursor
            if claimed or not wrapped:
                break
        return claimed

    def _deliveries(self, ids: list[str]) -> dict[str, int]:
        """How often each pending message has been delivered (XPENDING), for ``Message.deliveries``."""
        if not ids:
            return {}
        pipe = self._r.pipeline(transaction=False)
        for sid in ids:
            pipe.xpending_range(self._stream, self._group, sid, sid, 1)
        return {row["message_id"]: row["times_delivered"] for rows in pipe.execute() for row in rows}

    def _process(self, batch: list[tuple[str, dict[str, str], int]]) -> PollReport:
        handled = failed = duplicates = dead = trimmed = 0
        done = self._done([fields.get("id", "") for _, fields, _ in batch])
        seen: set[str] = set()  # the same id twice in one batch (stored twice by the publisher)
        acks: list[str] = []
        for (sid, fields, deliveries), already in zip(batch, done, strict=True):
            if "id" not in fields or "payload" not in fields:  # trimmed from the stream while pending
                trimmed += 1
            elif already or fields["id"] in seen:
                duplicates += 1
            elif self._max_deliveries is not None and deliveries > self._max_deliveries:
                self._bus.publish(dead_letter_topic(self._topic), _wire.loads(fields["payload"]), key=fields["id"])
                dead += 1
            else:
                if not self._handle(sid, fields, deliveries):
                    failed += 1
                    continue
                # marked before the ack: if we die between the two, the redelivery is recognised
                self._r.set(self._bus.done_key(self._topic, self._group, fields["id"]), "1", ex=self._bus.done_ttl)
                seen.add(fields["id"])
                handled += 1
            acks.append(sid)
        if acks:
            self._r.xack(self._stream, self._group, *acks)
        return PollReport(handled=handled, failed=failed, duplicates=duplicates, dead_lettered=dead, trimmed=trimmed)

    def _done(self, ids: list[str]) -> list[bool]:
        if not ids:
            return []
        pipe = self._r.pipeline(transaction=False)
        for message_id in ids:
            pipe.exists(self._bus.done_key(self._topic, self._group, message_id))
        return [bool(n) for n in pipe.execute()]

    def _handle(self, sid: str, fields: dict[str, str], deliveries: int) -> bool:
        ms = int(sid.split("-", 1)[0])
        ts = datetime.fromtimestamp(ms / 1000, tz=UTC)
        message = Message(fields["id"], self._topic, _wire.loads(fields["payload"]), ts, deliveries)
        try:
            self._handler(message)
        except Exception:
            _log.warning(
                "bus handler failed; the message will be delivered again",
                topic=self._topic,
                group=self._group,
                message_id=message.id,
                deliveries=deliveries,
                exc_info=True,
            )
            return False
        return True

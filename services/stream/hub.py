"""The fan-out from the bus to WebSocket clients.

One consumer group per app instance (a fresh name, starting at the latest message) takes every topic the
engine publishes on, each in a thread of its own; a message goes to the clients subscribed to the deployment
in its ``scope``, after a fill with that deployment's positions as stored with it. Handing a message to a
client only puts it in that client's bounded queue, on the client's event loop: a slow client fills its own
queue and is disconnected (close code 1013), a closed one is dropped; neither holds up the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import uuid
from typing import Any

from quantdesk.bus import TOPIC_FILLS, TOPICS, Bus, Consumer, Message
from quantdesk.model import DeploymentId
from quantdesk.persistence import transaction
from services.common.context import ApiContext
from services.common.trading import PositionOut

logger = logging.getLogger("services")
QUEUE_SIZE = 1000
POLL_SECONDS = 0.2
OVERFLOW: dict[str, Any] = {"type": "overflow"}


class Subscriber:
    """One WebSocket client: its queue of messages to send, filled from any thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop, size: int = QUEUE_SIZE) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(size)
        self.overflowed = False

    def offer(self, message: dict[str, Any]) -> None:
        """Queue ``message`` from any thread (never blocks)."""
        with contextlib.suppress(RuntimeError):  # the client's loop is closed: it is gone
            self.loop.call_soon_threadsafe(self.put, message)

    def put(self, message: dict[str, Any]) -> None:
        """Queue ``message`` (on the client's loop); a full queue marks the client as too slow."""
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed = True
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(OVERFLOW)


class StreamHub:
    """Consumes the bus for this app and fans events out to the :class:`Subscriber` of each deployment."""

    def __init__(self, bus: Bus, ctx: ApiContext, topics: tuple[str, ...] = TOPICS) -> None:
        self.bus, self.ctx, self.topics = bus, ctx, topics
        self.group = f"api-stream-{uuid.uuid4().hex[:12]}"
        self._subscribers: dict[str, set[Subscriber]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for topic in self.topics:
            consumer = self.bus.subscribe(topic, self.group, self._handle, start="latest")
            thread = threading.Thread(target=self._consume, args=(consumer,), name=f"{self.group}-{topic}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def add(self, subscriber: Subscriber, deployment_id: str) -> None:
        with self._lock:
            self._subscribers.setdefault(deployment_id, set()).add(subscriber)

    def remove(self, subscriber: Subscriber, deployment_id: str | None = None) -> None:
        """Unsubscribe from one deployment, or from all when None."""
        with self._lock:
            scopes = list(self._subscribers) if deployment_id is None else [deployment_id]
            for scope in scopes:
                members = self._subscribers.get(scope)
                if members is not None:
                    members.discard(subscriber)
                    if not members:
                        del self._subscribers[scope]

    def _consume(self, consumer: Consumer) -> None:
        while not self._stop.is_set():
            try:
                consumer.poll(timeout=POLL_SECONDS)
            except Exception:  # the bus is down or closed: keep trying, without spinning
                logger.warning("stream: polling %s failed", consumer.topic, exc_info=True)
                self._stop.wait(1.0)
        with contextlib.suppress(Exception):
            consumer.close()

    def _handle(self, message: Message) -> None:
        scope = message.payload.get("scope")
        if not isinstance(scope, str):
            return
        with self._lock:
            members = list(self._subscribers.get(scope, ()))
        if not members:
            return
        event = {"type": "event", "topic": message.topic, "deployment": scope, "data": message.payload}
        self._send(members, event)
        if message.topic == TOPIC_FILLS:
            self._send(members, {"type": "event", "topic": "positions", "deployment": scope,
                                 "data": {"type": "positions", "positions": self._positions(scope)}})  # fmt: skip

    def _positions(self, deployment_id: str) -> list[dict[str, Any]]:
        # the fill is published after the bar's transaction, which stored its positions too
        with transaction(self.ctx.sessions) as uow:
            held = uow.positions.all(DeploymentId(deployment_id))
        return [PositionOut.of(p).model_dump(mode="json") for p in held.values()]

    @staticmethod
    def _send(members: list[Subscriber], message: dict[str, Any]) -> None:
        for subscriber in members:
            subscriber.offer(message)

"""The WebSocket /ws over a real socket: a subscriber gets its deployment's events as the runner publishes
them; a bad or expired token closes the socket with 1008; another user's deployment is refused."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from typing import Any

import pytest
from apitest import *  # noqa: F403 - the API fixtures
from apitest import FAST_PASSWORDS, Api, MovableClock
from fastapi import FastAPI
from tradingtest import deploy, finished, members, records, seed_version, settings  # noqa: F401
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from quantdesk.bus import MemoryBus
from quantdesk.config import Settings
from services.app import create_app
from services.stream.hub import OVERFLOW, Subscriber

PACED = 86_400 / 0.02  # a bar every 20 ms


class RecordingBus(MemoryBus):
    """The in-process bus, noting when each payload was published."""

    def __init__(self) -> None:
        super().__init__()
        self.published: dict[str, float] = {}

    def publish(self, topic: str, payload: Mapping[str, Any], *, key: str | None = None) -> str:
        message_id = super().publish(topic, payload, key=key)
        self.published.setdefault(_canonical(topic, payload), time.monotonic())
        return message_id


def _canonical(topic: str, payload: Mapping[str, Any]) -> str:
    return topic + json.dumps(payload, sort_keys=True)


@pytest.fixture
def bus() -> RecordingBus:
    return RecordingBus()


@pytest.fixture
def app(settings: Settings, clock: MovableClock, bus: RecordingBus) -> FastAPI:  # noqa: F811 - the fixture
    return create_app(settings, clock=clock, passwords=FAST_PASSWORDS, bus=bus)


def _socket(live_url: str, token: str) -> ClientConnection:
    return connect(f"{live_url.replace('http', 'ws', 1)}/ws?token={token}", open_timeout=5)


def _ask(ws: ClientConnection, action: str, deployment: str) -> dict[str, Any]:
    ws.send(json.dumps({"action": action, "deployment": deployment}))
    return json.loads(ws.recv(timeout=5))


def test_a_subscriber_receives_its_deployment_s_fills_and_equity_within_a_second_of_publication(
    live_api: Api, live_url: str, database_url: str, bus: RecordingBus
) -> None:
    seed_version(database_url)
    people = members(live_api, database_url, "alice", "bob")
    alice, bob = people["alice"].access, people["bob"].access
    dep = deploy(live_api, alice, speed=PACED)
    with _socket(live_url, alice) as ws, _socket(live_url, bob) as intruder:
        assert _ask(ws, "subscribe", dep) == {"type": "subscribed", "deployment": dep}
        assert _ask(intruder, "subscribe", dep) == {"type": "error", "detail": f"no deployment {dep}"}
        assert live_api.post(f"/deployments/{dep}/start", token=alice).status_code == 202
        received: list[tuple[float, dict[str, Any]]] = []
        while sum(1 for _, m in received if m["topic"] == "equity") < 82:
            message = json.loads(ws.recv(timeout=10))
            received.append((time.monotonic(), message))
        with pytest.raises(TimeoutError):
            intruder.recv(timeout=0.3)  # refused: nothing of alice's deployment reaches bob
    finished(live_api, alice, dep)

    assert {m["type"] for _, m in received} == {"event"}
    assert {m["deployment"] for _, m in received} == {dep}
    fills = records(database_url, dep, lambda uow, d: uow.fills.for_deployment(d))
    pushed_fills = [m["data"] for _, m in received if m["topic"] == "fills"]
    assert [f["trade_id"] for f in pushed_fills] == [str(f.trade_id) for f in fills]
    assert fills
    assert any(m["topic"] == "orders" and m["data"]["type"] == "order_filled" for _, m in received)
    topics = [m["topic"] for _, m in received]
    # each fill is followed by the positions it leaves (other topics' messages may come in between: one
    # thread per topic)
    assert topics.count("positions") == topics.count("fills")
    assert topics.index("positions") > topics.index("fills")
    positions = next(m["data"] for _, m in received if m["topic"] == "positions")
    assert positions["type"] == "positions"
    assert positions["positions"][0]["symbol"] == "IBM"
    for arrived, message in received:
        if message["topic"] in ("fills", "equity", "orders"):
            latency = arrived - bus.published[_canonical(message["topic"], message["data"])]
            assert 0 <= latency < 1.0, (message, latency)


def test_a_bad_or_expired_token_closes_the_socket_with_1008(
    live_api: Api, live_url: str, database_url: str, clock: MovableClock
) -> None:
    alice = members(live_api, database_url, "alice")["alice"].access
    for token, reason in (("not-a-token", "invalid access token"), ("", "not authenticated")):
        with _socket(live_url, token) as ws, pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1008
        assert closed.value.rcvd.reason.startswith(reason)
    with _socket(live_url, alice) as ws:
        assert _ask(ws, "subscribe", "dep-000000000000")["type"] == "error"
        clock.advance(minutes=16)  # the token expires while the socket is open: the next message ends it
        ws.send(json.dumps({"action": "subscribe", "deployment": "dep-000000000000"}))
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
        assert closed.value.rcvd is not None
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1008, "access token expired")
    with _socket(live_url, alice) as ws, pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1008


def test_bad_messages_get_an_error_and_the_session_goes_on(live_api: Api, live_url: str, database_url: str) -> None:
    seed_version(database_url)
    alice = members(live_api, database_url, "alice")["alice"].access
    dep = deploy(live_api, alice)
    with _socket(live_url, alice) as ws:
        for text in ("{oops", json.dumps({"action": "dance"}), json.dumps({"action": "subscribe", "deployment": 3})):
            ws.send(text)
            assert json.loads(ws.recv(timeout=5))["type"] == "error"
        ws.send(b"\x00binary")
        assert json.loads(ws.recv(timeout=5)) == {"type": "error", "detail": "send text messages (JSON)"}
        assert _ask(ws, "subscribe", dep) == {"type": "subscribed", "deployment": dep}
        assert _ask(ws, "unsubscribe", dep) == {"type": "unsubscribed", "deployment": dep}


def test_a_client_that_cannot_keep_up_is_cut_off_without_holding_up_the_others() -> None:
    loop = asyncio.new_event_loop()
    slow, quick = Subscriber(loop, size=3), Subscriber(loop, size=100)
    for n in range(10):
        for subscriber in (slow, quick):
            subscriber.put({"n": n})
    assert slow.overflowed
    assert slow.queue.get_nowait() is OVERFLOW  # what was queued is dropped: the socket is closed with 1013
    assert slow.queue.empty()
    assert [quick.queue.get_nowait()["n"] for _ in range(10)] == list(range(10))
    loop.close()
    quick.offer({"n": 10})  # a client whose loop is gone is skipped, not an error

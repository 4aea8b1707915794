"""``/ws?token=<access token>``: live events of the caller's deployments.

Send ``{"action": "subscribe", "deployment": "dep-..."}`` (or ``"unsubscribe"``); the server answers
``{"type": "subscribed", "deployment": ...}`` or ``{"type": "error", "detail": ...}`` (another user's
deployment is refused like a missing one), then pushes ``{"type": "event", "topic": "orders" | "fills" |
"risk" | "equity" | "positions", "deployment": ..., "data": {...}}`` as the deployment's runner publishes
them. A missing, invalid or expired token closes the socket with code 1008; a client too slow to take its
messages is closed with 1013.
"""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status
from fastapi.concurrency import run_in_threadpool

from quantdesk.persistence import UserAccount
from services.common.context import ApiContext
from services.common.errors import ApiError, Unauthorized
from services.stream import service
from services.stream.hub import OVERFLOW, StreamHub, Subscriber

router = APIRouter()


@router.websocket("/ws")
async def stream(websocket: WebSocket, token: str | None = None) -> None:
    ctx, hub = websocket.app.state.context, websocket.app.state.stream
    await websocket.accept()
    try:
        user = await run_in_threadpool(service.authenticate, ctx, token)
    except Unauthorized as exc:
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason=exc.detail)
        return
    subscriber = Subscriber(asyncio.get_running_loop())
    sender = asyncio.create_task(_send(websocket, subscriber))
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            if text is None:
                subscriber.put({"type": "error", "detail": "send text messages (JSON)"})
                continue
            try:
                ctx.access_tokens.verify(token or "")  # a token that expired meanwhile ends the session
            except Unauthorized as exc:
                await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason=exc.detail)
                break
            subscriber.put(await _act(hub, ctx, user, subscriber, text))
    except (WebSocketDisconnect, RuntimeError):
        pass  # the client went away (or the socket was closed under the receive)
    finally:
        hub.remove(subscriber)
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender


async def _act(hub: StreamHub, ctx: ApiContext, user: UserAccount, subscriber: Subscriber, text: str) -> dict[str, str]:
    try:
        action, deployment = service.parse(text)
        if action == "unsubscribe":
            hub.remove(subscriber, deployment)
            return {"type": "unsubscribed", "deployment": deployment}
        await run_in_threadpool(service.check_owner, ctx, user, deployment)
    except ApiError as exc:
        return {"type": "error", "detail": exc.detail}
    hub.add(subscriber, deployment)
    return {"type": "subscribed", "deployment": deployment}


async def _send(websocket: WebSocket, subscriber: Subscriber) -> None:
    """Send the client's queue in order; a full queue (the client cannot keep up) ends the session."""
    try:
        while True:
            message = await subscriber.queue.get()
            if message is OVERFLOW:
                await websocket.close(code=status.WS_1013_TRY_AGAIN_LATER, reason="too slow: messages were lost")
                return
            await websocket.send_json(message)
    except Exception:  # closed under us (a disconnect, a reset): the receive loop ends the session
        return

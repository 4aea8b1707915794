"""API speed (issue 5 targets), measured against a running server on 127.0.0.1.

    python benchmarks/bench_api.py [--seconds 10] [--concurrency 32] [--clients 200]

1. authenticated GET of a deployment's positions: requests per second and p95 latency from a load of
   ``--concurrency`` concurrent connections (target ≥ 500 req/s on one worker with SQLite, p95 ≤ 50 ms);
2. WebSocket: ``--clients`` sockets subscribed to one deployment; events published on the server's bus;
   p99 of publish → received over every client and event (target ≤ 100 ms).

The server is uvicorn (one worker, httptools, uvloop when installed) in a subprocess, on a fresh SQLite
database under a temporary data folder with the bundled catalog; a deployment is run to the end once so
it has positions. Events for 2. are put on the server's in-process bus by a tiny endpoint added for this
benchmark only (``/bench/publish``), so publication and reception share one clock.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]

SERVER = r"""
import sys, time
from datetime import UTC, datetime
import uvicorn
from fastapi import FastAPI
from quantdesk.bus import MemoryBus
from quantdesk.config import load_settings
from services.app import create_app

bus = MemoryBus()
app = create_app(load_settings(), bus=bus)

@app.post("/bench/publish/{deployment}")
def publish(deployment: str, n: int = 0) -> dict:
    snap = {"type": "equity_snapshot", "ts": datetime.now(UTC).isoformat(), "cash": "1", "equity": "1",
            "gross": "0", "net": "0", "scope": deployment, "sent": time.time()}
    bus.publish("equity", snap, key=f"bench-{deployment}-{n}")
    return {"ok": True}

uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prepare(data_dir: Path) -> tuple[str, str]:
    """A user with a finished deployment; returns (username, deployment id)."""
    from datetime import UTC, datetime

    from quantdesk.data.bundle import ensure_bundled
    from quantdesk.data.catalog import Catalog
    from quantdesk.persistence import create_engine_for, password_hasher, session_factory, transaction, upgrade
    from quantdesk.runtime.deployment import DeploymentRunner, create_deployment

    catalog = Catalog(data_dir / "catalog")
    ensure_bundled(catalog, REPO / "data" / "bundled", data_dir / "quarantine")
    url = f"sqlite:///{data_dir / 'quantdesk.db'}"
    upgrade(url)
    with transaction(session_factory(create_engine_for(url))) as uow:
        uow.users.add("bench", password_hasher().hash("bench-password-1"), "trader")
        uow.strategies.create(
            "mr", "strategies.mean_reversion:MeanReversion",
            params={"window": 10, "entry": 1.5, "exit": 0.2, "symbols": ["IBM"]}, code_hash="bench",
            data_range_start=datetime(2012, 1, 1, tzinfo=UTC), data_range_end=datetime(2012, 12, 31, tzinfo=UTC),
        )  # fmt: skip
    dep = str(create_deployment(url, "mr", user_id="bench").id)
    DeploymentRunner(url, dep, catalog).run()
    return "bench", dep


async def _load(base: str, token: str, path: str, seconds: float, concurrency: int) -> list[float]:
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, limits=limits) as c:
        stop = time.perf_counter() + seconds

        async def one() -> None:
            while time.perf_counter() < stop:
                started = time.perf_counter()
                response = await c.get(path)
                response.raise_for_status()
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(one() for _ in range(concurrency)))
    return latencies


async def _fanout(base: str, token: str, dep: str, clients: int, events: int) -> list[float]:
    import websockets

    url = base.replace("http", "ws") + f"/ws?token={token}"
    sockets = [await websockets.connect(url, max_queue=None) for _ in range(clients)]
    for ws in sockets:
        await ws.send(json.dumps({"action": "subscribe", "deployment": dep}))
        json.loads(await ws.recv())
    delays: list[float] = []

    async def listen(ws: websockets.ClientConnection) -> None:
        for _ in range(events):
            message = json.loads(await ws.recv())
            delays.append(time.time() - float(message["data"]["sent"]))

    listeners = [asyncio.create_task(listen(ws)) for ws in sockets]
    async with httpx.AsyncClient(base_url=base) as c:
        for n in range(events):
            await c.post(f"/bench/publish/{dep}", params={"n": n})
            await asyncio.sleep(0.05)
    await asyncio.wait_for(asyncio.gather(*listeners), timeout=60)
    for ws in sockets:
        await ws.close()
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--events", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        user, dep = _prepare(data_dir)
        port = _free_port()
        env = {**os.environ, "QUANTDESK_DATA_DIR": str(data_dir), "QUANTDESK_SECRET_KEY": "b" * 40}
        server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], env=env, cwd=REPO)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    httpx.get(f"{base}/health/live", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            token = httpx.post(f"{base}/auth/token", data={"username": user, "password": "bench-password-1"}).json()
            access = token["access_token"]
            asyncio.run(_load(base, access, f"/deployments/{dep}/positions", 1.0, 4))  # warm up
            latencies = asyncio.run(
                _load(base, access, f"/deployments/{dep}/positions", args.seconds, args.concurrency)
            )
            latencies.sort()
            p95 = latencies[int(0.95 * (len(latencies) - 1))] * 1e3
            print(f"GET /deployments/{{id}}/positions, {args.concurrency} concurrent, {args.seconds:g} s: "
                  f"{len(latencies) / args.seconds:,.0f} req/s, p50 {statistics.median(latencies) * 1e3:.1f} ms, "
                  f"p95 {p95:.1f} ms (target >= 500 req/s, p95 <= 50 ms)")  # fmt: skip
            delays = sorted(asyncio.run(_fanout(base, access, dep, args.clients, args.events)))
            p99 = delays[int(0.99 * (len(delays) - 1))] * 1e3
            print(f"WebSocket, {args.clients} clients x {args.events} events: p50 "
                  f"{statistics.median(delays) * 1e3:.1f} ms, p99 {p99:.1f} ms (target p99 <= 100 ms)")  # fmt: skip
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()

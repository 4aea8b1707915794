"""`quantdesk up`: the whole platform from an empty data folder — log in with the printed password, watch
fills arrive through the API, get notified, and stop it all cleanly with Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _read_until(process: subprocess.Popen[str], marker: str, timeout: float) -> str:
    seen, deadline = [], time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise AssertionError(f"quantdesk up ended early: {''.join(seen)}")
        seen.append(line)
        if marker in line:
            # the banner's lines follow the marker
            seen.extend(process.stdout.readline() for _ in range(2))
            return "".join(seen)
    raise AssertionError(f"no {marker!r} within {timeout} s: {''.join(seen)}")


def test_up_runs_the_platform_and_ctrl_c_stops_it(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "QUANTDESK_DATA_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "quantdesk.runtime.cli.main", "up", "--port", str(port), "--bars-per-second", "50"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        banner = _read_until(process, "QuantDesk is up", timeout=180)
        deployment = re.search(r"demo deployment: (dep-[0-9a-f]+)", banner).group(1)  # type: ignore[union-attr]
        password = re.search(r"user: demo\s+password: (\S+)", banner).group(1)  # type: ignore[union-attr]
        api = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
        deadline = time.monotonic() + 30
        while True:  # the banner comes just before the server starts listening
            try:
                health = api.get("/health")
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline, "the API did not start listening"
                time.sleep(0.2)
        assert health.json() == {"status": "ok", "database": "ok"}
        token = api.post("/auth/token", data={"username": "demo", "password": password}).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        fills: list[dict[str, str]] = []
        deadline = time.monotonic() + 60
        while len(fills) < 2 and time.monotonic() < deadline:
            time.sleep(0.5)
            fills = api.get(f"/deployments/{deployment}/fills", headers=auth).json()
        assert len(fills) >= 2, "no fills within a minute"
        assert {f["symbol"] for f in fills} == {"MSFT"}
        deadline = time.monotonic() + 30
        notes: list[dict[str, str]] = []
        while not notes and time.monotonic() < deadline:
            time.sleep(0.5)
            notes = api.get("/notifications", headers=auth).json()["items"]
        assert notes
        assert notes[0]["kind"] == "fill"
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, out
    assert "stopped: the deployment is paused" in out
    assert "Traceback" not in out

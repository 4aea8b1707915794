"""``quantdesk worker`` in a process of its own: without Redis it relays the shared database's outbox, notifies,
delivers, and stops cleanly on Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from quantdesk.model import DeploymentId, Symbol, UserId
from quantdesk.persistence import create_engine_for, session_factory, transaction, upgrade
from quantdesk.risk import RiskEvent, RiskEventKind
from quantdesk.runtime.outbox import stage_events

T0 = datetime(2024, 3, 4, 21, 0, tzinfo=UTC)


def test_the_worker_notifies_what_a_runner_staged_and_stops_on_ctrl_c(data_dir: Path) -> None:
    url = f"sqlite:///{data_dir / 'quantdesk.db'}"
    upgrade(url)
    engine = create_engine_for(url)
    sessions = session_factory(engine)
    with transaction(sessions) as uow:
        version = uow.strategies.create("mr", "strategies.mean_reversion:MeanReversion", params={}, code_hash="t")
        uow.deployments.create(
            version.id, UserId("alice"), "paper", [Symbol("IBM")], Decimal(1000), deployment_id=DeploymentId("dep-a1")
        )
        uow.notifications.set_target("alice", ts=T0, phone="+41791234567")
        kill = RiskEvent(T0, RiskEventKind.KILL_SWITCH, None, "stopped by hand", {"from": "active", "to": "halted"})
        stage_events(uow, [kill], scope="dep-a1")  # as `quantdesk run` does without a bus
    env = {**os.environ, "QUANTDESK_DATA_DIR": str(data_dir)}
    for name in ("QUANTDESK_DATABASE_URL", "QUANTDESK_REDIS_URL", "QUANTDESK_SMTP_HOST"):
        env.pop(name, None)
    command = [sys.executable, "-m", "quantdesk.runtime.cli.main", "worker", "--idle", "0.1"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        found: list[str] = []
        while time.monotonic() < deadline and process.poll() is None:
            with transaction(sessions) as uow:
                found = [n.kind for n in uow.notifications.page("alice")]
                pending = uow.outbox.pending()
            if found and not pending:
                break
            time.sleep(0.1)
        assert found == ["kill_switch"], process.stderr.read() if process.poll() is not None else found
        sms = data_dir / "notifications" / "sms-outbox.jsonl"
        while time.monotonic() < deadline and not sms.exists():
            time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        engine.dispose()
    assert process.returncode == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("notification worker on sqlite:///")
    assert lines[0].endswith(
        "(in-process bus, relaying the database's outbox); channels: in_app, webhook, sms; Ctrl-C stops it"
    )
    assert lines[-1] == "notification worker stopped"
    (line,) = sms.read_text().splitlines()
    assert {k: v for k, v in json.loads(line).items() if k != "ts"} == {
        "to": "+41791234567",
        "text": "QuantDesk CRITICAL: Kill switch: trading halted",
    }

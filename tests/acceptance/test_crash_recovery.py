"""A deployment killed with SIGKILL at random moments loses no order, duplicates none, and ends where an
uninterrupted run ends: same orders, same fills, same positions and cash."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from quantdesk.model import DeploymentId, UserId
from quantdesk.persistence import RISK_PROFILE_FIELDS, create_engine_for, session_factory, transaction, upgrade
from quantdesk.runtime.deployment import DeploymentRunner, create_deployment

COSTS = {"fees": {"rate": 0.001, "fixed": 0.0}, "slippage": {"rate": 0.0005}}


def register(url: str) -> None:
    upgrade(url)
    with transaction(session_factory(create_engine_for(url))) as uow:
        uow.strategies.create(
            "mr",
            "strategies.mean_reversion:MeanReversion",
            params={"window": 10, "entry": 1.5, "exit": 0.2, "allow_short": True, "symbols": ["MSFT"]},
            code_hash="test",
            data_range_start=datetime(2009, 1, 1, tzinfo=UTC),
            data_range_end=datetime(2013, 3, 1, tzinfo=UTC),
            metrics={"costs": COSTS},
        )
        profile = dict.fromkeys(RISK_PROFILE_FIELDS)
        profile.update(
            max_weight_per_symbol=1.0, max_gross_exposure=1.0, max_orders_per_minute=60, price_collar_pct=0.1,
            duplicate_window_seconds=0.0, allowed_symbols=[], allow_short=True,
        )  # fmt: skip
        uow.risk.save_profile(UserId("local"), "default", profile)


def state(url: str, deployment: str) -> dict:
    dep = DeploymentId(deployment)
    with transaction(session_factory(create_engine_for(url))) as uow:
        orders = uow.orders.for_deployment(dep)
        fills = uow.fills.for_deployment(dep)
        positions = uow.positions.all(dep)
        curve = uow.equity.curve(dep)
    strip = len(deployment) + 1
    return {
        "orders": [(str(o.client_order_id)[strip:], str(o.side), o.quantity, str(o.status)) for o in orders],
        "fills": [(str(f.client_order_id)[strip:], str(f.side), f.quantity, f.price, f.fee) for f in fills],
        "positions": {str(s): p.quantity for s, p in positions.items()},
        "final": curve[-1][1:],
        "bars": len(curve),
    }


@pytest.mark.slow
def test_sigkill_at_twenty_random_points_loses_and_duplicates_nothing(bundled_catalog, data_dir: Path) -> None:
    url = f"sqlite:///{data_dir / 'quantdesk.db'}"
    register(url)
    reference = create_deployment(url, "mr", account="margin")  # the strategy sells short
    reference_id = str(reference.id)
    DeploymentRunner(url, reference_id, bundled_catalog).run()
    expected = state(url, reference_id)
    assert len(expected["fills"]) > 100

    # ~7 ms a bar: runs long enough to be hit
    crashed = create_deployment(url, "mr", speed=86_400 * 150, account="margin")
    env = {**os.environ, "QUANTDESK_DATA_DIR": str(data_dir)}
    command = [sys.executable, "-m", "quantdesk.runtime.cli.main", "run", str(crashed.id)]
    rng = random.Random(20261125)
    kills = 0
    while kills < 20:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.8, 2.6))
        if process.poll() is not None:
            assert process.returncode == 0, process.stderr.read().decode()
            pytest.fail(f"the run finished after {kills} kills: slow the replay so that 20 kills land")
        process.send_signal(signal.SIGKILL)
        process.wait()
        kills += 1
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip().endswith("finished")
    got = state(url, str(crashed.id))
    assert got["orders"] == expected["orders"]  # none lost, none doubled, same decisions
    assert got["fills"] == expected["fills"]
    assert got["positions"] == expected["positions"]
    assert got["final"] == expected["final"]
    assert got["bars"] == expected["bars"]

"""Deployments from the command line: deploy, run in steps, orders, stop, and the kill switch."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from quantdesk.model import DeploymentId
from quantdesk.persistence import create_engine_for, session_factory, transaction, upgrade


def register(url: str) -> None:
    upgrade(url)
    with transaction(session_factory(create_engine_for(url))) as uow:
        uow.strategies.create(
            "mr",
            "strategies.mean_reversion:MeanReversion",
            params={"window": 10, "entry": 1.5, "exit": 0.2, "symbols": ["IBM"]},
            code_hash="test",
            data_range_start=datetime(2012, 1, 1, tzinfo=UTC),
            data_range_end=datetime(2013, 3, 1, tzinfo=UTC),
            metrics={"costs": {"fees": {"rate": 0.001, "fixed": 0.0}, "slippage": {"rate": 0.0}}},
        )


def wait_for_progress(url: str, dep: str, timeout: float = 90.0) -> None:
    """Until the runner has committed at least one bar (its start-up can take seconds on a busy machine)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with transaction(session_factory(create_engine_for(url))) as uow:
            deployment = uow.deployments.get(DeploymentId(dep))
        if deployment is not None and deployment.last_bar_ts is not None:
            return
        time.sleep(0.2)
    raise AssertionError(f"deployment {dep} made no progress in {timeout} s")


def cli(data_dir: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QUANTDESK_DATA_DIR": str(data_dir)}
    command = [sys.executable, "-m", "quantdesk.runtime.cli.main", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, input=stdin)


def test_deploy_run_in_two_steps_and_list_orders(data_dir: Path) -> None:
    register(f"sqlite:///{data_dir / 'quantdesk.db'}")
    deployed = cli(data_dir, "deploy", "mr")
    assert deployed.returncode == 0, deployed.stderr
    dep = deployed.stdout.strip()
    assert dep.startswith("dep-")
    first = cli(data_dir, "run", dep, "--max-bars", "100")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(f"{dep}: 100 bars")
    second = cli(data_dir, "run", dep)
    assert second.returncode == 0, second.stderr
    assert "resumed after 2012-05-" in second.stdout
    assert second.stdout.strip().endswith("finished")
    orders = json.loads(cli(data_dir, "orders", dep, "--json").stdout)
    assert len(orders) > 5
    assert {o["status"] for o in orders} <= {"filled", "canceled"}
    # a canceled one is a buy cut to the cash there was at the open (the rest is canceled, as in the backtest)
    assert all(o["side"] == "buy" and float(o["filled_quantity"]) > 0 for o in orders if o["status"] == "canceled")
    assert all(o["client_order_id"].startswith(f"{dep}:2012") or o["client_order_id"].startswith(f"{dep}:2013")
               for o in orders)  # fmt: skip


def test_unknown_registry_name_and_unknown_deployment_are_one_line_errors(data_dir: Path) -> None:
    register(f"sqlite:///{data_dir / 'quantdesk.db'}")
    missing = cli(data_dir, "deploy", "nope")
    assert missing.returncode == 2
    assert missing.stderr.strip() == (
        "error: no promoted strategy nope in the registry (promoted: mr); run `quantdesk promote` first"
    )
    assert cli(data_dir, "run", "dep-000000000000").stderr.strip() == (
        "error: no deployment dep-000000000000: see `quantdesk deploy`"
    )
    assert cli(data_dir, "deploy", "mr", "--mode", "live").returncode == 2


def test_kill_switch_asks_first_then_halts_and_cancels_open_orders(data_dir: Path) -> None:
    url = f"sqlite:///{data_dir / 'quantdesk.db'}"
    register(url)
    dep = cli(data_dir, "deploy", "mr").stdout.strip()
    declined = cli(data_dir, "kill-switch", dep, stdin="n\n")
    assert declined.returncode == 1  # click aborts when the confirmation is refused
    assert "Halt trading and cancel every open order" in declined.stdout
    assert cli(data_dir, "run", dep, "--max-bars", "60").returncode == 0
    confirmed = cli(data_dir, "kill-switch", dep, "--yes")
    assert confirmed.returncode == 0
    assert "kill switch on (HALTED)" in confirmed.stdout
    refused = cli(data_dir, "run", dep)
    assert refused.returncode == 2
    assert "is halted by its kill switch" in refused.stderr
    with transaction(session_factory(create_engine_for(url))) as uow:
        deployment = uow.deployments.get(DeploymentId(dep))
        open_orders = uow.orders.open_orders(DeploymentId(dep))
    assert deployment.trading_state == "halted"
    assert open_orders == []


def test_stop_request_is_honoured_at_the_next_bar_and_a_later_run_resumes(data_dir: Path) -> None:
    register(f"sqlite:///{data_dir / 'quantdesk.db'}")
    dep = cli(data_dir, "deploy", "mr", "--speed", str(86_400 * 20)).stdout.strip()  # 50 ms a bar
    env = {**os.environ, "QUANTDESK_DATA_DIR": str(data_dir)}
    runner = subprocess.Popen(
        [sys.executable, "-m", "quantdesk.runtime.cli.main", "run", dep], env=env, stdout=subprocess.PIPE, text=True
    )
    wait_for_progress(f"sqlite:///{data_dir / 'quantdesk.db'}", dep)
    assert cli(data_dir, "stop", dep).stdout.strip() == f"{dep}: stop requested"
    out, _ = runner.communicate(timeout=60)
    assert runner.returncode == 0
    assert out.strip().endswith("stopped")
    done = int(out.split(": ")[1].split(" bars")[0])
    assert 0 < done < 290  # stopped part-way through the 2012-01..2013-03 bars
    resumed = cli(data_dir, "run", dep)
    assert "resumed after" in resumed.stdout
    assert resumed.stdout.strip().endswith("finished")


def test_a_database_outage_halts_trading_instead_of_trading_unrecorded(data_dir: Path) -> None:
    url = f"sqlite:///{data_dir / 'quantdesk.db'}"
    register(url)
    dep = cli(data_dir, "deploy", "mr", "--speed", str(86_400 * 20)).stdout.strip()  # 50 ms a bar
    env = {**os.environ, "QUANTDESK_DATA_DIR": str(data_dir)}
    runner = subprocess.Popen(
        [sys.executable, "-m", "quantdesk.runtime.cli.main", "run", dep],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    wait_for_progress(url, dep)
    blocker = sqlite3.connect(data_dir / "quantdesk.db", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")  # another process holds the database: the runner's writes now fail
    try:
        _, err = runner.communicate(timeout=60)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert runner.returncode == 2
    assert err.startswith("error: trading halted at 2012-")
    assert "the database is unavailable" in err
    with transaction(session_factory(create_engine_for(url))) as uow:
        recorded = {str(o.client_order_id) for o in uow.orders.for_deployment(DeploymentId(dep))}
    resumed = cli(data_dir, "run", dep)  # the database is back: it carries on from its records
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.strip().endswith("finished")
    with transaction(session_factory(create_engine_for(url))) as uow:
        after = [str(o.client_order_id) for o in uow.orders.for_deployment(DeploymentId(dep))]
    assert recorded <= set(after)
    assert len(set(after)) == len(after)


def test_the_users_risk_profile_is_enforced_and_every_denial_recorded(data_dir: Path) -> None:
    url = f"sqlite:///{data_dir / 'quantdesk.db'}"
    register(url)
    assert cli(data_dir, "risk", "set", "--max-order-notional", "5000").returncode == 0
    shown = json.loads(cli(data_dir, "risk", "show", "--json").stdout)
    assert (shown["saved"], shown["profile"]["max_order_notional"]) == (True, "5000.0")
    dep = cli(data_dir, "deploy", "mr").stdout.strip()
    assert cli(data_dir, "run", dep).returncode == 0
    with transaction(session_factory(create_engine_for(url))) as uow:
        orders = uow.orders.for_deployment(DeploymentId(dep))
        events = uow.risk.events(DeploymentId(dep))
    assert orders == []  # every order of a 100,000 account is larger than 5,000: none reached the broker
    denials = [e for e in events if str(e.kind) == "denied"]
    assert len(denials) > 5
    assert {e.rule for e in denials} == {"MaxOrderNotional"}
    assert "exceeds max_order_notional 5,000.00" in denials[0].reason


def test_a_bad_risk_limit_is_one_clear_line(data_dir: Path) -> None:
    out = cli(data_dir, "risk", "set", "--max-gross-exposure", "10")
    assert out.returncode == 2
    assert out.stderr.startswith("error: invalid risk profile: max_gross_exposure must be at most 4")


def test_a_notebook_starts_a_deployment_without_blocking_and_stops_it(data_dir: Path, bundled_catalog) -> None:
    import asyncio

    from quantdesk.runtime.deployment import create_deployment, start_deployment

    url = f"sqlite:///{data_dir / 'quantdesk.db'}"
    register(url)
    dep = str(create_deployment(url, "mr", speed=86_400 * 20).id)  # 50 ms a bar

    async def kernel() -> tuple[bool, int]:
        handle = start_deployment(url, dep, bundled_catalog)
        ticks = 0
        while handle.bars == 0:
            await asyncio.sleep(0.05)  # the event loop keeps turning while the deployment trades
            ticks += 1
        handle.stop()
        summary = await asyncio.to_thread(handle.wait, 60)
        return summary.status == "stopped", ticks

    stopped, ticks = asyncio.run(kernel())
    assert stopped
    assert ticks > 0

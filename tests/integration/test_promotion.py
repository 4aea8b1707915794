"""Promotion: gates decide whether a strategy version enters the registry, and what is recorded."""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

import quantdesk
import strategies.mean_reversion
from quantdesk.data.panel import load_panel
from quantdesk.persistence import create_engine_for, session_factory, transaction
from quantdesk.runtime.promotion import Minimums, promote
from quantdesk.strategy import StrategyError
from strategies.mean_reversion import MeanReversion


def versions(url: str) -> list:
    engine = create_engine_for(url)
    try:
        with transaction(session_factory(engine)) as uow:
            return uow.strategies.all()
    finally:
        engine.dispose()


def test_a_strategy_that_passes_every_gate_is_recorded_with_its_provenance(bundled_catalog, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    bars = load_panel(bundled_catalog, ["MSFT"], "1d", adjustment="adjusted")
    strategy = MeanReversion(symbols=["MSFT"])
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    result = promote(strategy, bars, name="mr-msft", database_url=url, oos_start="2010-01-01",
                     minimums=Minimums(min_trades=3), now=now)  # fmt: skip
    assert result.promoted
    assert [(g.name, g.passed) for g in result.gates] == [("causality", True), ("parity", True), ("min_trades", True)]
    (saved,) = versions(url)
    assert (saved.name, saved.version, saved.strategy_path) == ("mr-msft", 1, "strategies.mean_reversion:MeanReversion")
    assert saved.params == {"window": 20, "entry": 2.0, "exit": 0.5, "allow_short": False, "symbols": ["MSFT"]}
    assert saved.code_hash == hashlib.sha256(inspect.getsource(strategies.mean_reversion).encode()).hexdigest()
    assert saved.data_range_start == datetime(2000, 3, 1, tzinfo=UTC)
    assert saved.data_range_end == datetime(2013, 3, 1, tzinfo=UTC)
    assert saved.gates["parity"]["passed"] is True
    assert saved.metrics["full"]["trades"] == 54
    assert saved.metrics["out_of_sample"]["trades"] == result.oos_metrics["trades"] >= 3
    assert saved.created_at == now
    again = promote(strategy.with_params(window=30), bars, name="mr-msft", database_url=url)
    assert again.version == 2


def test_a_failed_out_of_sample_minimum_records_nothing(bundled_catalog, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    bars = load_panel(bundled_catalog, ["MSFT"], "1d", adjustment="adjusted")
    result = promote(MeanReversion(symbols=["MSFT"]), bars, name="mr", database_url=url, oos_start="2010-01-01",
                     minimums=Minimums(min_sharpe=5.0))  # fmt: skip
    assert not result.promoted
    gate = result.gates[-1]
    assert (gate.name, gate.passed) == ("min_sharpe", False)
    assert gate.detail.startswith("out-of-sample Sharpe: ")
    assert not (tmp_path / "registry.db").exists() or versions(url) == []


def test_lookahead_fails_the_causality_and_parity_gates(bundled_catalog, tmp_path: Path, peeking_strategy) -> None:
    bars = load_panel(bundled_catalog, ["MSFT"], "1d", "2012-01-01", adjustment="adjusted")
    result = promote(
        peeking_strategy(symbols=["MSFT"]), bars, name="peek", database_url=f"sqlite:///{tmp_path / 'r.db'}"
    )
    assert [(g.name, g.passed) for g in result.gates] == [("causality", False), ("parity", False)]
    assert result.gates[0].detail.startswith("lookahead at 2012-")


def test_minimums_without_a_held_out_period_are_refused(bundled_catalog, tmp_path: Path) -> None:
    bars = load_panel(bundled_catalog, ["MSFT"], "1d", "2012-01-01", adjustment="adjusted")
    with pytest.raises(StrategyError, match="need an out-of-sample start"):
        promote(MeanReversion(symbols=["MSFT"]), bars, name="mr", database_url=f"sqlite:///{tmp_path / 'r.db'}",
                minimums=Minimums(min_sharpe=0.1))  # fmt: skip


def test_quantdesk_promote_from_a_notebook_uses_the_configured_catalog_and_database(data_dir: Path) -> None:
    result = quantdesk.promote(MeanReversion(symbols=["IBM"]), name="mr-ibm")
    assert result.promoted
    assert [v.name for v in versions(f"sqlite:///{data_dir / 'quantdesk.db'}")] == ["mr-ibm"]


def test_promote_cli_exits_one_on_a_failed_gate_and_registry_lists_versions(data_dir: Path) -> None:
    env = {**os.environ, "QUANTDESK_DATA_DIR": str(data_dir)}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "quantdesk.runtime.cli.main", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)

    failed = run("promote", "mean_reversion", "--name", "mr", "--oos-start", "2010-01-01", "--min-sharpe", "5")
    assert failed.returncode == 1
    assert "FAIL  min_sharpe" in failed.stdout
    assert "not promoted: mr (a gate failed; nothing was recorded)" in failed.stdout
    passed = run("promote", "mean_reversion", "--name", "mr", "--start", "2008-01-01")
    assert passed.returncode == 0, passed.stderr
    assert "promoted: mr version 1" in passed.stdout
    listed = json.loads(run("registry", "list", "--json").stdout)
    assert [(v["name"], v["version"], v["params"]["window"]) for v in listed] == [("mr", 1, 20)]

"""``quantdesk strategies / backtest / sweep`` as a user runs them: real processes on the bundled data."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# stored expected results (zipline-style): MSFT or MSFT/IBM daily 2000-03-01..2013-03-01, adjusted prices,
# 0.1% fees, 100,000 cash; the engine is held to vectorbt and to a plain loop by other tests
EXPECTED = {
    "buy_and_hold": (0, 1, 80696.34088694418),
    "trend_following": (57, 115, 137132.33483855),
    "mean_reversion": (54, 108, 124730.01836375514),
    "pairs_arbitrage": (230, 460, 26298.065400712596),
    "regime_selector": (35, 70, 120710.708505071),
}


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QUANTDESK_DATA_DIR": str(data_dir)}
    command = [sys.executable, "-m", "quantdesk.runtime.cli.main", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def test_strategies_list_names_every_strategy(data_dir: Path) -> None:
    out = run(data_dir, "strategies", "list", "--json")
    assert out.returncode == 0, out.stderr
    listed = json.loads(out.stdout)
    assert [s["name"] for s in listed] == sorted(EXPECTED)
    trend = next(s for s in listed if s["name"] == "trend_following")
    assert trend["params"] == {"fast": 10, "slow": 30, "kind": "sma", "allow_short": False}
    assert trend["path"] == "strategies.trend_following:TrendFollowing"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_backtest_json_reports_metrics_trades_and_final_equity(data_dir: Path, name: str) -> None:
    out = run(data_dir, "backtest", name, "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    trades, fills, final_equity = EXPECTED[name]
    assert (report["trades"], report["fills"]) == (trades, fills)
    assert report["final_equity"] == pytest.approx(final_equity, rel=1e-9)
    assert report["adjustment"] == "adjusted"
    assert set(report["metrics"]) >= {"total_return", "cagr", "sharpe", "sortino", "max_drawdown", "calmar", "win_rate"}
    assert report["metrics"]["total_return"] == pytest.approx(final_equity / 100_000 - 1, rel=1e-9)


def test_backtest_of_a_csv_file_equals_the_catalog_run_on_raw_prices(tmp_path: Path, data_dir: Path) -> None:
    bundled = Path(__file__).resolve().parents[2] / "data" / "bundled" / "daily_ohlcv.csv.gz"
    lines = gzip.decompress(bundled.read_bytes()).decode().splitlines()
    csv = tmp_path / "msft.csv"
    csv.write_text("\n".join([lines[0], *(line for line in lines[1:] if line.startswith("MSFT,"))]) + "\n")
    from_file = run(data_dir, "backtest", "trend_following", "--data", str(csv), "--json")
    from_catalog = run(data_dir, "backtest", "trend_following", "--raw", "--json")
    assert from_file.returncode == from_catalog.returncode == 0, from_file.stderr + from_catalog.stderr
    file_report, catalog_report = json.loads(from_file.stdout), json.loads(from_catalog.stdout)
    assert file_report["final_equity"] == pytest.approx(catalog_report["final_equity"], rel=1e-12)
    assert file_report["trades"] == catalog_report["trades"] > 0


def test_backtest_writes_an_html_report(tmp_path: Path, data_dir: Path) -> None:
    report = tmp_path / "reports" / "trend.html"
    out = run(data_dir, "backtest", "trend_following", "--param", "fast=20", "--param", "slow=100",
              "--html", str(report))  # fmt: skip
    assert out.returncode == 0, out.stderr
    text = report.read_text()
    assert "trend_following(fast=20, slow=100" in text
    assert "Bokeh" in text
    assert f"report: {report}" in out.stdout


def test_sweep_json_has_one_row_per_valid_combination(data_dir: Path) -> None:
    out = run(data_dir, "sweep", "trend_following", "--grid", "fast=5:25:5", "--grid", "slow=10:40:10", "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    combos = [(r["fast"], r["slow"]) for r in report["rows"]]
    assert combos == [(5, 10), (5, 20), (5, 30), (10, 20), (10, 30), (15, 20), (15, 30), (20, 30)]
    assert report["skipped"] == 4
    default = next(r for r in report["rows"] if (r["fast"], r["slow"]) == (10, 30))
    assert default["final_equity"] == pytest.approx(EXPECTED["trend_following"][2], rel=1e-9)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["backtest", "nope"], "error: unknown strategy 'nope': choose one of buy_and_hold"),
        (["backtest", "trend_following", "-p", "fast=50"], "slow (30) must be greater than fast (50)"),
        (["backtest", "trend_following", "-p", "speed=3"], "unknown parameter 'speed' (valid: fast, slow, kind"),
        (["backtest", "trend_following", "-p", "fast=0"], "fast: Input should be greater than or equal to 1"),
        (["backtest", "trend_following", "--symbols", "XYZ"], "error: unknown symbol XYZ"),
        (["backtest", "trend_following", "--start", "2020-01-01"], "error: no bars between 2020-01-01 and the end"),
        (["backtest", "trend_following", "--start", "2013-02-01"], "needs at least 30 bars of history"),
        (["backtest", "pairs_arbitrage", "--symbols", "MSFT"], "trades 2 symbol(s) at once, got 1"),
        (["backtest", "trend_following", "--fees", "-1"], "fee rate must be in [0, 1)"),
        (["sweep", "trend_following", "--grid", "fast=50"], "no valid parameter combination"),
        (["sweep", "trend_following", "--grid", "fast"], "is not NAME=start:stop:step"),
    ],
)
def test_user_mistakes_get_one_clear_line(data_dir: Path, args: list[str], message: str) -> None:
    out = run(data_dir, *args)
    assert out.returncode == 2
    assert message in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert "Traceback" not in out.stderr


def test_a_data_file_with_bad_rows_is_refused_with_its_quarantine(tmp_path: Path, data_dir: Path) -> None:
    csv = tmp_path / "bad.csv"
    rows = [f"2024-01-{d:02d},10,11,9,10.5,100" for d in (2, 3, 4, 5, 8, 9, 10, 11, 12, 16, 17, 18, 19, 22, 23, 24)]
    rows[3] = "2024-01-05,10,9,11,10.5,100"
    csv.write_text("ts,open,high,low,close,volume\n" + "\n".join(rows * 3) + "\n")
    out = run(data_dir, "backtest", "buy_and_hold", "--symbols", "ACME", "--data", str(csv))
    assert out.returncode == 2
    assert "has bad rows for ACME" in out.stderr
    assert "quarantine report:" in out.stderr

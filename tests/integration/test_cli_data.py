"""The ``quantdesk`` command line as a user runs it: a real process, a real data dir, exact output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]

# every defect kind once (row 12 has three), between good rows; 2024-01-11 is absent (a one-bar gap)
DEFECTS_CSV = """\
ts,open,high,low,close,volume
2024-01-02,10,11,9,10.5,100
2024-01-03,10.5,12,10,11,200
2024-01-04,,12,10,11,200
2024-01-05,11,12,-2,-1,200
2024-01-08,11,10.5,10,11,200
2024-01-09,11,12,11.5,11,200
2024-01-10,11,12,10,11,-5
2024-01-10,11,12,10,11,200
2023-12-29,11,12,10,11,200
2024-01-12,11,12,10,11,200
2024-01-13,11,12,10,11,200
2024-01-16,11,12,10,11,200
2024-01-17,11,10,12,11,200
2024-01-18,11,12,10,11,200
"""
EXPECTED_REASONS = {
    2: "missing_value",
    3: "non_positive_price",
    4: "high_below_open_close",
    5: "low_above_open_close",
    6: "negative_volume",
    7: "duplicate_timestamp",
    8: "out_of_order",
    10: "outside_session",
    12: "high_below_open_close;low_above_open_close;high_below_low",
}
EXPECTED_SUMMARY = [
    "  missing_value: 1 row",
    "  non_positive_price: 1 row",
    "  high_below_open_close: 2 rows",
    "  low_above_open_close: 2 rows",
    "  high_below_low: 1 row",
    "  negative_volume: 1 row",
    "  duplicate_timestamp: 1 row",
    "  out_of_order: 1 row",
    "  outside_session: 1 row",
    "  gap: 1 missing bar in 1 gap",
]


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QUANTDESK_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "quantdesk.runtime.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def test_help_and_version(data_dir: Path) -> None:
    out = run(data_dir, "--help")
    assert out.returncode == 0
    assert "QuantDesk: research, backtest" in out.stdout
    assert "data" in out.stdout
    version = run(data_dir, "--version")
    assert version.returncode == 0
    assert version.stdout.strip() == "quantdesk, version 0.1.0"


def test_file_with_every_defect_stores_good_rows_once_and_quarantines_the_rest(tmp_path: Path, data_dir: Path) -> None:
    source = tmp_path / "acme.csv"
    source.write_text(DEFECTS_CSV)

    first = run(data_dir, "data", "import", str(source), "--symbol", "ACME")
    assert first.returncode == 1, first.stderr
    lines = first.stdout.splitlines()
    assert lines[0] == "ACME 1d: 5 valid bars (5 new, 0 replaced); 5 stored"
    assert lines[1:11] == EXPECTED_SUMMARY
    quarantine = data_dir / "quarantine" / "acme.ACME.1d.quarantine.csv"
    assert lines[11] == f"  quarantine report: {quarantine}"
    assert first.stderr == ""

    report = pd.read_csv(quarantine)
    bad_rows = report[report["reason"] != "gap"]
    assert dict(zip(bad_rows["row"].astype(int), bad_rows["reason"], strict=True)) == EXPECTED_REASONS
    gap = report[report["reason"] == "gap"]
    assert gap["detail"].tolist() == ["1 missing bar from 2024-01-11T00:00:00+00:00 to 2024-01-11T00:00:00+00:00"]

    second = run(data_dir, "data", "import", str(source), "--symbol", "ACME")
    assert second.returncode == 1
    assert second.stdout.splitlines()[0] == "ACME 1d: 5 valid bars (already stored, nothing changed); 5 stored"

    listed = json.loads(run(data_dir, "data", "list", "--json").stdout)
    acme = next(s for s in listed if s["symbol"] == "ACME")
    assert (acme["rows"], acme["start"], acme["end"]) == (
        5,
        "2024-01-02T00:00:00+00:00",
        "2024-01-18T00:00:00+00:00",
    )


def test_validate_reports_defects_without_storing(tmp_path: Path, data_dir: Path) -> None:
    source = tmp_path / "acme.csv"
    source.write_text(DEFECTS_CSV)
    out = run(data_dir, "data", "validate", str(source))
    assert out.returncode == 1
    assert out.stdout.splitlines()[0] == "acme.csv: 14 rows (1d), 9 quarantined"
    assert out.stdout.splitlines()[1:11] == EXPECTED_SUMMARY
    assert not (data_dir / "catalog" / "bars" / "timeframe=1d" / "symbol=ACME").exists()


def test_validate_clean_file_exits_zero(tmp_path: Path, data_dir: Path) -> None:
    source = tmp_path / "clean.csv"
    source.write_text("ts,open,high,low,close,volume\n2024-01-02,10,11,9,10.5,100\n2024-01-03,10.5,12,10,11,200\n")
    out = run(data_dir, "data", "validate", str(source))
    assert (out.returncode, out.stdout.strip()) == (0, f"{source}: 2 bars (1d), no defects")


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        (None, [], "error: no such file: "),
        (
            "ts,open,high,low,close,volume\n2024-01-02,1,2,0.5,1.5,7\n",
            ["--column", "close=Price"],
            "error: column 'Price' (mapped to close) is not in ",
        ),
        (
            "ts,open,high,low,close,volume\n2024-01-02,1,2,0.5,1.5,7\n2024-31-12,1,2,0.5,1.5,7\n",
            [],
            "error: cannot parse timestamp '2024-31-12' in column 'ts' at data row 2",
        ),
        (
            "ts,open,high,low,close,volume\n2024-01-02,1,2,0.5,1.5,7\n",
            ["--calendar", "MOON"],
            "error: unknown trading calendar 'MOON'",
        ),
        (
            "ts,open,high,low,close,volume\n2024-01-02,1,2,0.5,1.5,7\n",
            ["--timeframe", "7x"],
            "error: invalid timeframe '7x'",
        ),
        (
            "ts,open,high,low,close,volume\n2024-01-02,1,2,0.5,1.5,7\n",
            ["--column", "close"],
            "Error: Invalid value",
        ),
    ],
    ids=[
        "missing-file",
        "unknown-column",
        "unparsable-timestamp",
        "unknown-calendar",
        "bad-timeframe",
        "bad-mapping",
    ],
)
def test_user_mistakes_get_one_clear_line_and_nonzero_exit(
    tmp_path: Path, data_dir: Path, content: str | None, extra: list[str], message: str
) -> None:
    source = tmp_path / "bars.csv"
    if content is not None:
        source.write_text(content)
    out = run(data_dir, "data", "import", str(source), "--symbol", "ACME", *extra)
    assert out.returncode == 2
    assert message in out.stderr
    assert "Traceback" not in out.stderr
    assert out.stdout == ""
    assert not (data_dir / "catalog" / "bars" / "timeframe=1d" / "symbol=ACME").exists()


def test_show_prints_requested_range_in_the_chosen_adjustment(data_dir: Path) -> None:
    out = run(data_dir, "data", "show", "MSFT", "--start", "2003-02-14", "--end", "2003-02-18", "--adjusted")
    assert out.returncode == 0, out.stderr
    assert "MSFT 1d · 2 bars · adjusted prices" in out.stdout
    assert "2003-02-14" in out.stdout
    assert "2003-02-18" in out.stdout


def test_show_unknown_symbol_and_empty_range_are_errors(data_dir: Path) -> None:
    unknown = run(data_dir, "data", "show", "XYZ")
    assert unknown.returncode == 2
    assert unknown.stderr.startswith("error: unknown symbol XYZ: the catalog at ")
    empty = run(data_dir, "data", "show", "MSFT", "--start", "2020-01-01")
    assert empty.returncode == 2
    assert empty.stderr.strip() == "error: no MSFT bars between 2020-01-01 and the end"


def test_bad_setting_is_one_line(data_dir: Path) -> None:
    env = {**os.environ, "QUANTDESK_DATA_DIR": str(data_dir), "QUANTDESK_LOG_LEVEL": "LOUD"}
    out = subprocess.run(
        [sys.executable, "-m", "quantdesk.runtime.cli.main", "data", "list"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    assert out.stderr.startswith("error: QUANTDESK_LOG_LEVEL: ")


def test_tour_imports_the_bundled_universe_and_shows_the_split(data_dir: Path) -> None:
    out = run(data_dir, "data", "tour")
    assert out.returncode == 0, out.stderr
    assert [line for line in out.stdout.splitlines() if line.startswith("imported")] == [
        "imported AAPL 1d: 3270 bars",
        "imported GOOG 1d: 2148 bars",
        "imported IBM 1d: 3270 bars",
        "imported MSFT 1d: 3270 bars",
        "imported EURUSD 1h: 6225 bars",
    ]
    assert "  gap: 15 missing bars in 2 gaps" in out.stdout
    assert "  2003-02-14  raw    48.30   adjusted  16.0764" in out.stdout
    assert "  2003-02-18  raw    24.96   adjusted  16.6157" in out.stdout
    again = run(data_dir, "data", "tour")
    assert "bundled data already in the catalog (use --force to re-import)" in again.stdout


def test_json_logs_at_info_describe_each_import(data_dir: Path) -> None:
    env = {**os.environ, "QUANTDESK_DATA_DIR": str(data_dir), "QUANTDESK_LOG_LEVEL": "info", "QUANTDESK_LOG_JSON": "1"}
    out = subprocess.run(
        [sys.executable, "-m", "quantdesk.runtime.cli.main", "data", "list"], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    events = [json.loads(line) for line in out.stderr.splitlines()]
    imported = [(e["symbol"], e["valid"], e["missing_bars"]) for e in events if e["event"] == "bars imported"]
    assert imported == [("AAPL", 3270, 0), ("GOOG", 2148, 0), ("IBM", 3270, 0), ("MSFT", 3270, 0), ("EURUSD", 6225, 15)]
    assert {e["level"] for e in events} == {"info"}

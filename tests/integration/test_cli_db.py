"""``quantdesk db ...`` as a user runs it: a real process, a real data dir, exact output."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run(data_dir: Path, *args: str, database_url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QUANTDESK_DATA_DIR": str(data_dir)}
    env.pop("QUANTDESK_DATABASE_URL", None)
    if database_url is not None:
        env["QUANTDESK_DATABASE_URL"] = database_url
    command = [sys.executable, "-m", "quantdesk.runtime.cli.main", *args]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def test_upgrade_creates_the_sqlite_database_at_head_and_can_run_again(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    url = f"sqlite:///{data_dir / 'quantdesk.db'}"

    before = run(data_dir, "db", "current")
    assert (before.returncode, before.stderr) == (0, "")
    assert before.stdout == f"{url}: not migrated (run `quantdesk db upgrade`)\n"

    for _ in range(2):
        upgraded = run(data_dir, "db", "upgrade")
        assert (upgraded.returncode, upgraded.stderr) == (0, "")
        assert upgraded.stdout == f"{url}: at revision 0004 (head)\n"

    with sqlite3.connect(data_dir / "quantdesk.db") as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [("0004",)]
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"orders", "order_events", "fills", "positions", "deployments", "sim_broker_state"} <= tables

    after = run(data_dir, "db", "current")
    assert after.stdout == f"{url}: at revision 0004 (head)\n"


def test_an_unreachable_database_is_one_line_on_stderr_and_exit_2(tmp_path: Path) -> None:
    for command in ("upgrade", "current"):
        result = run(tmp_path, "db", command, database_url="postgresql+psycopg://nobody:pw@127.0.0.1:1/x")
        assert result.returncode == 2
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("error: cannot reach the database at postgresql+psycopg://nobody:***@127.0.0.1:1/x")
        assert "Traceback" not in result.stderr
        assert "pw@" not in result.stderr


def test_a_malformed_database_url_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run(tmp_path, "db", "upgrade", database_url="not a url")
    assert result.returncode == 2
    assert result.stderr == "error: not a database URL: 'not a url' (expected sqlite:///path or postgresql://...)\n"

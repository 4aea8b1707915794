"""The README's examples run as written, so the documentation cannot drift from the code."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text()


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_research_example_runs_a_backtest_against_buy_and_hold() -> None:
    namespace: dict[str, object] = {}
    exec(compile(blocks("python")[0], "README.md", "exec"), namespace)
    result = namespace["result"]
    assert list(result.summary().columns) == ["trend_following", "buy_and_hold"]
    assert result.metrics.trades > 0
    assert result.symbols == ("MSFT",)


def test_data_example_runs_and_reads_what_it_says() -> None:
    namespace: dict[str, object] = {}
    exec(compile(blocks("python")[1], "README.md", "exec"), namespace)
    msft = namespace["msft"]
    assert isinstance(msft, pd.DataFrame)
    assert (len(msft), msft.attrs["adjustment"]) == (252, "adjusted")
    assert namespace["minute"].attrs["synthetic"] is True
    assert len(namespace["minute"]) == 1_000_000
    assert namespace["weekly"].attrs["timeframe"] == "1w"


def test_cli_examples_run(tmp_path: Path) -> None:
    bars = tmp_path / "my_bars.csv"
    bars.write_text("Date,Open,High,Low,Close,Volume\n2024-01-02,10,11,9,10.5,100\n2024-01-03,10.5,12,10,11,200\n")
    commands = [line.split("#")[0].strip() for line in blocks("bash")[1].splitlines()]
    commands = [c for c in commands if c.startswith("quantdesk ")]
    assert len(commands) == 10
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    for command in commands:
        args = shlex.split(command)
        out = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, (command, out.stdout, out.stderr)

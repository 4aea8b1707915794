"""The research notebooks run top to bottom on the bundled data, and are committed without outputs.

Each notebook ends with a cell of ``assert`` statements pinning facts about its results (trades happen, the
strategy is causal, a sweep row equals its single backtest, vectorbt agrees), so executing it is a test.
The kernel is ipykernel's built-in ``python3`` spec, which starts on this interpreter (``sys.executable``):
whatever kernelspecs the machine has installed, the notebooks run on the environment under test.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
EXPECTED = (
    "01_quickstart.ipynb",
    "02_mean_reversion.ipynb",
    "03_trend_following.ipynb",
    "04_pairs_arbitrage.ipynb",
    "05_regime_selector.ipynb",
    "06_parameter_sweep.ipynb",
)
NOTEBOOK_PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
CELL_TIMEOUT = 300  # seconds per cell
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _client(nb: nbformat.NotebookNode) -> NotebookClient:
    # no kernel directories: only ipykernel's native spec, whose command line is this interpreter
    specs = KernelSpecManager(kernel_dirs=[])
    manager = KernelManager(kernel_name="python3", kernel_spec_manager=specs)
    return NotebookClient(
        nb,
        km=manager,
        kernel_name="python3",
        timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(NOTEBOOKS)}},  # the kernel's working directory
    )


@pytest.fixture
def kernel_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The kernel inherits this process's environment: a fresh data dir and the shared numba cache."""
    data_dir = tmp_path / "qd-data"
    monkeypatch.setenv("QUANTDESK_DATA_DIR", str(data_dir))
    monkeypatch.setenv("NUMBA_CACHE_DIR", os.environ.get("NUMBA_CACHE_DIR") or str(REPO / ".cache" / "numba"))
    return data_dir


def test_the_six_research_notebooks_exist() -> None:
    missing = [name for name in EXPECTED if not (NOTEBOOKS / name).is_file()]
    assert not missing, f"missing notebooks: {missing}"


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    assert not dirty, f"{path.name}: cells {dirty} keep outputs or execution counts; clear them before committing"
    assert "widgets" not in nb.metadata, f"{path.name} stores widget state in its metadata"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.slow
def test_notebooks_run_on_this_interpreter(kernel_env: Path) -> None:
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("import os, sys\nprint(sys.prefix)\nprint(os.environ['QUANTDESK_DATA_DIR'])")]
    )
    _client(nb).execute()
    prefix, data_dir = nb.cells[0].outputs[0]["text"].splitlines()
    assert prefix == sys.prefix
    assert data_dir == str(kernel_env)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.name)
def test_notebook_executes(path: Path, kernel_env: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    failure = None
    try:
        _client(nb).execute()
    except CellExecutionError as exc:
        failure = _ANSI.sub("", str(exc))  # the failing cell's source and its traceback
    if failure is not None:
        pytest.fail(f"{path.name} failed:\n{failure}", pytrace=False)
    assert (kernel_env / "catalog").is_dir(), "the notebook should read the catalog under QUANTDESK_DATA_DIR"

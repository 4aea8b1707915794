"""Shared fixtures: isolated data dirs, a catalog holding the bundled universe, and server URLs for CI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BUNDLE_DIR = REPO / "data" / "bundled"
# compiled kernels are cached in one place for every test process (and the subprocesses they start)
os.environ.setdefault("NUMBA_CACHE_DIR", str(REPO / ".cache" / "numba"))


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test touches the checkout's data/: QUANTDESK_DATA_DIR points at a fresh folder."""
    data_dir = tmp_path / "qd-data"
    monkeypatch.setenv("QUANTDESK_DATA_DIR", str(data_dir))
    return data_dir


@pytest.fixture(scope="session")
def bundled_catalog(tmp_path_factory: pytest.TempPathFactory):
    """A catalog with the bundled universe imported once per session (read-only for tests)."""
    from quantdesk.data.bundle import ensure_bundled
    from quantdesk.data.catalog import Catalog

    root = tmp_path_factory.mktemp("bundled")
    catalog = Catalog(root / "catalog")
    ensure_bundled(catalog, BUNDLE_DIR, root / "quarantine")
    return catalog


def server_url(name: str) -> str:
    """URL of a server a test needs (QUANTDESK_TEST_<NAME>_URL); skip without it, except under CI=true."""
    url = os.environ.get(f"QUANTDESK_TEST_{name.upper()}_URL")
    if not url:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but QUANTDESK_TEST_{name.upper()}_URL is not set: start {name} (see .ci/run)")
        pytest.skip(f"no {name} server: set QUANTDESK_TEST_{name.upper()}_URL (CI starts one)")
    return url


@pytest.fixture(scope="session")
def peeking_strategy() -> type:
    """A strategy with lookahead (long when tomorrow's close is higher), which every gate must catch."""
    import pandas as pd

    from quantdesk.strategy import Params, Strategy

    class Peeking(Strategy[Params]):
        """Long when tomorrow's close is higher."""

        name = "peeking"
        params_model = Params

        @property
        def warmup(self) -> int:
            return 1

        def target(self, bars: pd.DataFrame) -> pd.DataFrame:
            close = bars["close"][list(self.symbols)]
            return (close.shift(-1) > close).astype(float)

    return Peeking

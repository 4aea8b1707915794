"""The indicators package: its public surface, its errors, and that importing it does no work."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import quantdesk.indicators as indicators
from quantdesk.indicators import IndicatorError
from quantdesk.model.errors import QuantdeskError

PUBLIC = {
    "IndicatorError",
    "adx",
    "atr",
    "bollinger",
    "crossover_weights",
    "ema",
    "hurst",
    "rolling_ols",
    "rolling_std",
    "rsi",
    "sma",
    "true_range",
    "variance_ratio",
    "volatility_percentile",
    "zscore",
}


def test_package_exports_the_wrappers() -> None:
    assert set(indicators.__all__) == PUBLIC
    for name in PUBLIC:
        assert callable(getattr(indicators, name))


def test_indicator_error_is_a_quantdesk_error_and_a_value_error() -> None:
    assert issubclass(IndicatorError, QuantdeskError)
    assert issubclass(IndicatorError, ValueError)


def test_import_compiles_nothing_and_pulls_in_only_the_model() -> None:
    code = (
        "import json, sys\n"
        "import quantdesk.indicators\n"
        "from quantdesk.indicators import moving, oscillators, regime, regression, signals, trend, volatility\n"
        "kernels = [getattr(m, n) for m in (moving, oscillators, regime, regression, signals, trend, volatility)"
        " for n in dir(m) if n.endswith('_nb')]\n"
        "ours = sorted(m for m in sys.modules if m.startswith('quantdesk.'))\n"
        "print(json.dumps({'kernels': len(kernels), 'compiled': sum(len(k.signatures) for k in kernels),"
        " 'modules': ours}))\n"
    )
    out = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert out["kernels"] >= 12
    assert out["compiled"] == 0
    assert all(m.startswith(("quantdesk.indicators", "quantdesk.model")) for m in out["modules"])


def _bars() -> pd.DataFrame:
    index = pd.date_range("2024-01-02", periods=60, tz="UTC", name="ts")
    close = 100 + np.cumsum(np.random.default_rng(0).normal(size=60))
    return pd.DataFrame({"high": close + 1, "low": close - 1, "close": close}, index=index)


CALLS = {
    "sma": lambda b, w: indicators.sma(b["close"], w),
    "ema": lambda b, w: indicators.ema(b["close"], w),
    "rolling_std": lambda b, w: indicators.rolling_std(b["close"], w),
    "zscore": lambda b, w: indicators.zscore(b["close"], w),
    "bollinger": lambda b, w: indicators.bollinger(b["close"], w),
    "rsi": lambda b, w: indicators.rsi(b["close"], w),
    "atr": lambda b, w: indicators.atr(b["high"], b["low"], b["close"], w),
    "adx": lambda b, w: indicators.adx(b["high"], b["low"], b["close"], w),
    "volatility_percentile": lambda b, w: indicators.volatility_percentile(b["close"], w, 10),
    "rolling_ols": lambda b, w: indicators.rolling_ols(b["close"], b["high"] ** 2, w),
    "hurst": lambda b, w: indicators.hurst(b["close"], w, 2),
    "variance_ratio": lambda b, w: indicators.variance_ratio(b["close"], w, 2),
}


@pytest.mark.parametrize("name", sorted(CALLS))
@pytest.mark.parametrize("window", [0, -5, 3.0, "20", None, True])
def test_every_indicator_refuses_a_window_that_is_not_a_positive_integer(name: str, window: object) -> None:
    with pytest.raises(IndicatorError, match=r"window must be an integer >= \d+, got "):
        CALLS[name](_bars(), window)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_every_indicator_keeps_the_index_and_is_causal(name: str) -> None:
    bars = _bars()
    full = CALLS[name](bars, 5)
    assert full.index.equals(bars.index)
    prefix = CALLS[name](bars.iloc[:40], 5)
    pd.testing.assert_index_equal(prefix.index, bars.index[:40])
    np.testing.assert_array_equal(np.asarray(prefix), np.asarray(full)[:40])

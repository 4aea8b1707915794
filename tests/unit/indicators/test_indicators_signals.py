"""crossover_weights against a plain elementwise reference, on arrays, Series and DataFrames."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from quantdesk.indicators import IndicatorError, crossover_weights, sma

NAN, INF = math.nan, math.inf


def _reference(fast: list[float], slow: list[float], above: float, below: float) -> list[float]:
    out = []
    for f, s in zip(fast, slow, strict=True):
        out.append(NAN if not (math.isfinite(f) and math.isfinite(s)) else (above if f > s else below))
    return out


def test_above_below_and_missing_on_a_small_table() -> None:
    fast = np.array([NAN, 2.0, 1.0, 3.0, INF, 5.0, 4.0])
    slow = np.array([1.0, NAN, 1.0, 2.0, 1.0, -INF, 4.5])
    got = crossover_weights(fast, slow, 1.0, -1.0)
    assert np.array_equal(got, [NAN, NAN, -1.0, 1.0, NAN, NAN, -1.0], equal_nan=True)  # equal is "not above"


def test_random_series_match_the_reference_and_keep_the_index() -> None:
    rng = np.random.default_rng(3)
    values = rng.normal(size=500)
    values[rng.random(500) < 0.05] = NAN
    index = pd.date_range("2024-01-01", periods=500, freq="min", tz="UTC")
    close = pd.Series(100 + np.nancumsum(values), index=index, name="close")
    close[np.isnan(values)] = NAN
    fast, slow = sma(close, 5), sma(close, 20)
    got = crossover_weights(fast, slow, 0.5, 0.0)
    assert isinstance(got, pd.Series)
    assert got.index.equals(index)
    assert got.name == "close"
    expected = _reference(fast.tolist(), slow.tolist(), 0.5, 0.0)
    assert np.array_equal(got.to_numpy(), expected, equal_nan=True)


def test_frames_column_by_column_in_any_memory_layout() -> None:
    rng = np.random.default_rng(4)
    fast = pd.DataFrame(np.asfortranarray(rng.normal(size=(50, 3))), columns=["A", "B", "C"])
    slow = pd.DataFrame(rng.normal(size=(50, 3)), columns=["A", "B", "C"])
    got = crossover_weights(fast, slow)
    for column in fast.columns:
        assert got[column].tolist() == _reference(fast[column].tolist(), slow[column].tolist(), 1.0, 0.0)


@pytest.mark.parametrize("above", [NAN, INF, True, "1"])
def test_weights_must_be_finite_numbers(above: object) -> None:
    with pytest.raises(IndicatorError, match="above must be a finite number"):
        crossover_weights(np.ones(3), np.zeros(3), above)  # type: ignore[arg-type]


def test_inputs_of_different_shapes_are_refused() -> None:
    with pytest.raises(IndicatorError, match="slow has shape"):
        crossover_weights(np.ones(3), np.zeros(4))

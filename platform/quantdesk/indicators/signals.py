"""Signals from two indicator series: the state of a crossover as target weights.

``crossover_weights(fast, slow, above, below)`` is ``above`` where ``fast > slow``, ``below`` where
``fast <= slow`` and NaN where either input is missing (NaN or ±inf) — the "keep" of a strategy's target
while its averages warm up. It is elementwise, so causal whenever its inputs are; one compiled pass
instead of the three numpy passes ``np.where`` plus two NaN masks would take.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from quantdesk.indicators._inputs import Data, like, to_arrays
from quantdesk.indicators.errors import IndicatorError


@njit(cache=True)
def crossover_weights_nb(fast: np.ndarray, slow: np.ndarray, above: float, below: float, out: np.ndarray) -> None:
    """Elementwise on 1-D arrays of one length (see the module docstring)."""
    for i in range(fast.shape[0]):
        f, s = fast[i], slow[i]
        if not (np.isfinite(f) and np.isfinite(s)):
            out[i] = np.nan
        else:
            out[i] = above if f > s else below


def crossover_weights(fast: Data, slow: Data, above: float = 1.0, below: float = 0.0) -> Data:
    """``above`` where ``fast > slow``, ``below`` where ``fast <= slow``, NaN where either is missing."""
    for name, value in (("above", above), ("below", below)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise IndicatorError(f"{name} must be a finite number, got {value!r}")
    f, s = (np.ascontiguousarray(values) for values in to_arrays(fast=fast, slow=slow))
    out = np.empty(f.shape)
    crossover_weights_nb(f.reshape(-1), s.reshape(-1), float(above), float(below), out.reshape(-1))
    return like(out, fast)

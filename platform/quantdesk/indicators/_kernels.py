"""Numba helpers shared by the indicator kernels."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def empty_output(a: np.ndarray) -> np.ndarray:
    """An uninitialised float64 result shaped like ``a``; 2-D results are column-major (each column
    contiguous, as in a DataFrame block)."""
    if a.ndim == 1:
        return np.empty(a.shape[0], dtype=np.float64)
    return np.empty((a.shape[1], a.shape[0]), dtype=np.float64).T

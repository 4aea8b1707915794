"""Argument checks shared by the reporting functions (no numerics here)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from quantdesk.reporting.errors import MetricsError

BLOCK_ROWS = 512
"""Rows the kernels take at a time: each block stays in cache while its columns are walked one by one in
bar order, so C- and F-ordered arrays are both read at memory speed without a copy."""


def positive_number(value: object, name: str) -> float:
    """``value`` as a float if it is a finite real number > 0 (bools and text are refused)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise MetricsError(f"{name} must be a positive number, got {value!r}")
    number = float(value)
    if not (math.isfinite(number) and number > 0.0):
        raise MetricsError(f"{name} must be a finite number > 0, got {number}")
    return number


def float_array(data: object, name: str, ndims: tuple[int, ...] = (1, 2)) -> np.ndarray:
    """The float64 values of an array, Series or DataFrame; refused unless numeric, finite, ``ndims``-D."""
    if not isinstance(data, np.ndarray | pd.Series | pd.DataFrame | list | tuple):
        raise MetricsError(f"{name} must be an array, a Series or a DataFrame, got {type(data).__name__}")
    try:
        if isinstance(data, pd.Series | pd.DataFrame):
            # float64 data is used as it is (no copy); anything else is converted, missing values to NaN
            plain = isinstance(data, pd.Series) and data.dtype == np.float64
            values = data.to_numpy() if plain else data.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            values = np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise MetricsError(f"{name} must hold numbers: {exc}") from None
    if values.ndim not in ndims:
        raise MetricsError(f"{name} must have {' or '.join(map(str, ndims))} dimension(s), got {values.ndim}")
    finite = np.isfinite(values)
    if not finite.all():
        first = int(np.argmin(finite.reshape(len(values), -1).all(axis=1)))
        bad = values.size - int(finite.sum())
        raise MetricsError(f"{name} holds {bad} NaN or infinite value(s), the first at row {first}")
    return values


def equity_columns(equity: object, name: str = "equity") -> np.ndarray:
    """Equity as a contiguous (C or F) float64 (T, K) array: a 1-D curve becomes one column; T >= 1."""
    values = float_array(equity, name)
    if values.shape[0] == 0:
        raise MetricsError(f"{name} is empty: metrics need at least one bar")
    if values.ndim == 1:
        values = values[:, np.newaxis]
    if values.flags.c_contiguous or values.flags.f_contiguous:
        return values
    return np.ascontiguousarray(values)

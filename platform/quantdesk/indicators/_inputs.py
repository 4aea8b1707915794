"""Argument checks and the pandas glue shared by the indicator wrappers (no numerics here)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numpy as np
import pandas as pd

from quantdesk.indicators.errors import IndicatorError

Data = TypeVar("Data", pd.Series, pd.DataFrame, np.ndarray)


def check_int(value: object, name: str = "window", minimum: int = 1, why: str = "") -> int:
    """``value`` as an int if it is an integer >= ``minimum`` (bools and floats are refused); ``why``
    is appended to the message, in parentheses."""
    reason = f" ({why})" if why else ""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise IndicatorError(f"{name} must be an integer >= {minimum}, got {value!r}{reason}")
    if value < minimum:
        raise IndicatorError(f"{name} must be an integer >= {minimum}, got {value}{reason}")
    return int(value)


def to_array(data: object, name: str = "x") -> np.ndarray:
    """The float64 values of a Series, DataFrame or 1-D / 2-D array, without a copy where possible."""
    if not isinstance(data, pd.Series | pd.DataFrame | np.ndarray):
        raise IndicatorError(f"{name} must be a pandas Series, a DataFrame or a numpy array, got {type(data).__name__}")
    try:
        if isinstance(data, np.ndarray):
            values = np.asarray(data, dtype=np.float64)
        else:
            values = data.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise IndicatorError(f"{name} must hold numbers: {exc}") from None
    if values.ndim not in (1, 2):
        raise IndicatorError(f"{name} must be 1-D or 2-D, got {values.ndim} dimensions")
    return values


def to_series_array(data: object, name: str = "x") -> np.ndarray:
    """The float64 values of ``data``, which must be a Series (indicators with several outputs)."""
    if not isinstance(data, pd.Series):
        raise IndicatorError(
            f"{name} must be a pandas Series (this indicator has several outputs), got {type(data).__name__}"
        )
    return to_array(data, name)


def to_arrays(**named: object) -> list[np.ndarray]:
    """The values of several inputs of one kind (all Series, all DataFrames or all arrays), aligned."""
    items = list(named.items())
    first_name, first = items[0]
    for name, other in items[1:]:
        if type(other) is not type(first):
            raise IndicatorError(
                f"{name} is a {type(other).__name__} but {first_name} is a {type(first).__name__}; "
                "pass inputs of one kind"
            )
        if isinstance(first, pd.Series | pd.DataFrame) and not first.index.equals(other.index):
            raise IndicatorError(f"{name} and {first_name} must have the same index")
        if isinstance(first, pd.DataFrame) and not first.columns.equals(other.columns):
            raise IndicatorError(f"{name} and {first_name} must have the same columns")
    arrays = [to_array(value, name) for name, value in items]
    for (name, _), values in zip(items[1:], arrays[1:], strict=True):
        if values.shape != arrays[0].shape:
            raise IndicatorError(f"{name} has shape {values.shape} but {first_name} has {arrays[0].shape}")
    return arrays


def like(values: np.ndarray, data: Data) -> Data:
    """``values`` dressed as ``data``: the same type, index, name or columns."""
    if isinstance(data, pd.Series):
        return pd.Series(values, index=data.index, name=data.name, copy=False)
    if isinstance(data, pd.DataFrame):
        return pd.DataFrame(values, index=data.index, columns=data.columns, copy=False)
    return values


def frame(columns: dict[str, np.ndarray], data: pd.Series) -> pd.DataFrame:
    """Several outputs of one indicator on the Series ``data``: a DataFrame on its index."""
    return pd.DataFrame(columns, index=data.index, copy=False)


def run_kernel(kernel: Callable[..., np.ndarray], values: np.ndarray, *args: object) -> np.ndarray:
    """``kernel(values, *args)`` for a 1-D or 2-D kernel; a single column is passed as a contiguous 1-D
    array (the compiled 1-D loop is faster than a strided column of a 2-D one) and reshaped back."""
    if values.ndim == 2 and values.shape[1] == 1:
        return kernel(np.ascontiguousarray(values[:, 0]), *args).reshape(-1, 1)
    return kernel(values, *args)


def per_column(kernel: Callable[..., np.ndarray], values: np.ndarray, *args: object) -> np.ndarray:
    """Apply a 1-D kernel to ``values``, or to each column of a 2-D ``values``."""
    if values.ndim == 1:
        return kernel(values, *args)
    out = np.empty(values.shape, dtype=np.float64, order="F")
    for j in range(values.shape[1]):
        out[:, j] = kernel(np.ascontiguousarray(values[:, j]), *args)
    return out

"""Reading bar files (CSV or Parquet) into the canonical columns: column mapping, time zones, timeframe.

The result keeps the file's row order and its bad rows (validation decides what to quarantine); only a
problem with the file as a whole (missing, unreadable, no usable column, unparsable timestamps) raises.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from quantdesk.data.errors import DataFileError
from quantdesk.data.frames import ADJ_CLOSE, INDEX_NAME, OHLCV
from quantdesk.model import Timeframe

SYMBOL_FIELD = "symbol"
FIELDS: tuple[str, ...] = (INDEX_NAME, *OHLCV, ADJ_CLOSE, SYMBOL_FIELD)
REQUIRED: tuple[str, ...] = (INDEX_NAME, "open", "high", "low", "close")
_ALIASES: dict[str, tuple[str, ...]] = {
    INDEX_NAME: ("ts", "timestamp", "datetime", "date", "time", "date_time", "t"),
    "open": ("open", "o"),
    "high": ("high", "h"),
    "low": ("low", "l"),
    "close": ("close", "c", "last"),
    "volume": ("volume", "vol", "v"),
    ADJ_CLOSE: ("adj_close", "adjclose", "adjusted_close", "adj"),
    SYMBOL_FIELD: ("symbol", "ticker"),
}
_KNOWN_STEPS = ("1m", "5m", "15m", "30m", "1h", "4h", "1d", "1w")


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


def read_table(path: Path | str) -> pd.DataFrame:
    """The file's rows as they are: CSV (optionally compressed) or Parquet, all values as read."""
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"no such file: {path}")
    try:
        if path.suffix.lower() in {".parquet", ".pq"}:
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise DataFileError(f"cannot read {path}: {exc}") from None


def resolve_columns(
    columns: list[str], mapping: Mapping[str, str] | None = None, *, source: str = "the file"
) -> dict[str, str]:
    """Which file column feeds each canonical field: the explicit ``mapping`` first, then common names."""
    mapping = dict(mapping or {})
    unknown_fields = sorted(set(mapping) - set(FIELDS))
    if unknown_fields:
        raise DataFileError(
            f"unknown field {unknown_fields[0]!r} in the column mapping; fields are {', '.join(FIELDS)}"
        )
    for field, column in mapping.items():
        if column not in columns:
            raise DataFileError(
                f"column {column!r} (mapped to {field}) is not in {source}; "
                f"its columns are {', '.join(map(str, columns))}"
            )
    resolved = dict(mapping)
    by_key = {_key(c): c for c in columns}
    for field in FIELDS:
        if field in resolved:
            continue
        match = next((by_key[a] for a in _ALIASES[field] if a in by_key and by_key[a] not in resolved.values()), None)
        if match is not None:
            resolved[field] = match
    for field in REQUIRED:
        if field not in resolved:
            raise DataFileError(
                f"{source} has no column for {field!r} (columns: {', '.join(map(str, columns))}); "
                f"name it with --column {field}=COLUMN"
            )
    return resolved


def parse_timestamps(values: pd.Series, *, tz: str = "UTC", column: str = INDEX_NAME) -> pd.DatetimeIndex:
    """UTC times from strings, datetimes or epoch numbers; a naive time is read in ``tz``.

    Empty cells become NaT (validation quarantines them); a value that is present but not a time raises,
    naming the row.
    """
    if pd.api.types.is_numeric_dtype(values):
        parsed = pd.to_datetime(values, unit=_epoch_unit(values), utc=True)
    else:
        try:
            parsed = pd.to_datetime(values, format="ISO8601", errors="coerce", utc=False)
        except (ValueError, TypeError):  # mixed offsets or types: parse each element, then normalise to UTC
            parsed = pd.to_datetime(values, format="ISO8601", errors="coerce", utc=True)
        bad = parsed.isna() & values.notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataFileError(
                f"cannot parse timestamp {values.iloc[row]!r} in column {column!r} at data row {row + 1} "
                f"({int(bad.sum())} such rows); expected ISO 8601 such as 2024-01-02 or 2024-01-02T14:30:00Z"
            )
    index = pd.DatetimeIndex(parsed)
    try:
        if index.tz is None:
            index = index.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    except Exception as exc:  # pytz/zoneinfo raise assorted types for an unknown zone
        raise DataFileError(f"unknown time zone {tz!r}: use an IANA name such as America/New_York") from exc
    return index.tz_convert("UTC").as_unit("ns").rename(INDEX_NAME)


def session_labels(index: pd.DatetimeIndex, tz: str = "UTC") -> pd.DatetimeIndex:
    """Daily-or-coarser labels: the date in ``tz`` at midnight UTC (exchange-calendars' session labels)."""
    return index.tz_convert(tz).tz_localize(None).normalize().tz_localize("UTC").as_unit("ns").rename(INDEX_NAME)


def _epoch_unit(values: pd.Series) -> str:
    magnitude = float(np.nanmax(np.abs(values.to_numpy(dtype="float64")))) if len(values) else 0.0
    for unit, limit in (("s", 1e11), ("ms", 1e14), ("us", 1e17)):
        if magnitude < limit:
            return unit
    return "ns"


def infer_timeframe(index: pd.DatetimeIndex) -> Timeframe:
    """The most common spacing between consecutive labels, as a known timeframe."""
    steps = np.diff(np.unique(index.dropna().asi8))
    if not len(steps):
        raise DataFileError("cannot infer the timeframe from fewer than two bars: pass --timeframe")
    step = pd.Timedelta(int(pd.Series(steps).mode().iloc[0]), unit="ns")
    if step >= pd.Timedelta(hours=20):
        return Timeframe.parse("1w" if step >= pd.Timedelta(days=6) else "1d")
    for name in _KNOWN_STEPS:
        if pd.Timedelta(seconds=Timeframe.parse(name).seconds) == step:
            return Timeframe.parse(name)
    raise DataFileError(f"bars are {step} apart, which is no known timeframe: pass --timeframe")


def to_bar_rows(
    table: pd.DataFrame,
    *,
    mapping: Mapping[str, str] | None = None,
    tz: str = "UTC",
    timeframe: Timeframe | str | None = None,
    symbol: str | None = None,
    source: str = "the file",
) -> tuple[pd.DataFrame, Timeframe]:
    """Canonical rows in file order (``ts`` column, float OHLCV, optional adj_close) and their timeframe.

    When the file holds several symbols (a ``symbol``/``ticker`` column), only ``symbol``'s rows are kept.
    A missing volume column is read as volume 0; cells that are not numbers become NaN (then quarantined).
    """
    columns = resolve_columns(list(table.columns), mapping, source=source)
    if SYMBOL_FIELD in columns:
        table = _rows_of(table, columns[SYMBOL_FIELD], symbol, source)
    times = parse_timestamps(table[columns[INDEX_NAME]], tz=tz, column=columns[INDEX_NAME])
    tf = Timeframe.parse(timeframe) if timeframe is not None else infer_timeframe(times)
    rows = pd.DataFrame({INDEX_NAME: times if tf.is_intraday else session_labels(times, tz)})
    for field in (*OHLCV, ADJ_CLOSE):
        if field in columns:
            rows[field] = pd.to_numeric(table[columns[field]], errors="coerce").astype("float64").to_numpy()
        elif field == "volume":
            rows[field] = 0.0
    return rows, tf


def _rows_of(table: pd.DataFrame, column: str, symbol: str | None, source: str) -> pd.DataFrame:
    tickers = table[column].astype(str).str.strip().str.upper()
    present = sorted(tickers.unique())
    if symbol is None:
        if len(present) > 1:
            raise DataFileError(f"{source} holds symbols {', '.join(present)}: choose one with --symbol")
        return table
    if symbol.upper() not in present:
        raise DataFileError(f"{source} has no rows for {symbol.upper()}; it holds {', '.join(present)}")
    return table[(tickers == symbol.upper()).to_numpy()].reset_index(drop=True)

"""The Parquet catalog: bars per symbol and timeframe under one root.

Layout (Hive-style, so pyarrow, DuckDB or Spark read it as a dataset)::

    <root>/bars/timeframe=1d/symbol=AAPL/data.parquet

Each file holds one series sorted by ``ts``; its description (calendar, asset class, source, synthetic
flag) travels in the Parquet schema metadata, so a file is complete on its own. Writes merge with what is
stored (the same bars written twice are stored once) and replace the file atomically, so a reader never
sees half a write.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from quantdesk.data.adjust import Adjustment, apply_adjustment
from quantdesk.data.errors import DataError, UnknownSymbol
from quantdesk.data.frames import INDEX_NAME, bar_columns
from quantdesk.data.resample import resample
from quantdesk.model import Symbol, Timeframe

_META_KEY = b"quantdesk"
_ROW_GROUP = 131_072


@dataclass(frozen=True)
class SeriesMeta:
    """What a stored series is: where it trades and where it came from."""

    calendar: str
    asset_class: str
    source: str
    synthetic: bool = False


@dataclass(frozen=True)
class SeriesInfo:
    """One stored series, as listed by :meth:`Catalog.series`."""

    symbol: str
    timeframe: str
    rows: int
    start: pd.Timestamp
    end: pd.Timestamp
    has_adjusted: bool
    meta: SeriesMeta
    path: Path


@dataclass(frozen=True)
class WriteResult:
    """What a write changed: bars added, bars whose values were replaced, and the stored total."""

    added: int
    replaced: int
    total: int

    @property
    def unchanged(self) -> bool:
        return self.added == 0 and self.replaced == 0


class Catalog:
    """Bars on disk; cheap to construct (nothing is read until asked)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def path(self, symbol: Symbol | str, timeframe: Timeframe | str) -> Path:
        tf = Timeframe.parse(timeframe)
        return self.root / "bars" / f"timeframe={tf}" / f"symbol={Symbol(str(symbol))}" / "data.parquet"

    def has(self, symbol: Symbol | str, timeframe: Timeframe | str) -> bool:
        return self.path(symbol, timeframe).is_file()

    def write(
        self, symbol: Symbol | str, timeframe: Timeframe | str, bars: pd.DataFrame, meta: SeriesMeta
    ) -> WriteResult:
        """Merge ``bars`` (a clean bar frame) into the stored series; bars at the same ``ts`` are replaced."""
        path = self.path(symbol, timeframe)
        new = _normalise(bars)
        if path.is_file():
            old = self._read_frame(path)
            if bar_columns(old) != bar_columns(new):
                raise DataError(
                    f"{symbol} {Timeframe.parse(timeframe)}: stored columns {bar_columns(old)} differ from "
                    f"the new bars' {bar_columns(new)}"
                )
            overlap = new.index.intersection(old.index)
            same = (old.loc[overlap].to_numpy() == new.loc[overlap].to_numpy()).all(axis=1)
            replaced = int((~same).sum())
            added = len(new) - len(overlap)
            if added == 0 and replaced == 0:
                return WriteResult(0, 0, len(old))
            merged = pd.concat([old.drop(index=overlap), new]).sort_index()
        else:
            added, replaced, merged = len(new), 0, new
        _write_atomic(path, merged, meta)
        return WriteResult(added, replaced, len(merged))

    def read(
        self,
        symbol: Symbol | str,
        timeframe: Timeframe | str = "1d",
        start: pd.Timestamp | str | None = None,
        end: pd.Timestamp | str | None = None,
        *,
        adjustment: Adjustment | str | None = None,
    ) -> pd.DataFrame:
        """Bars of ``symbol`` with labels in [start, end], in the explicit price ``adjustment``.

        A timeframe that is not stored is built by resampling the finest stored one that is finer.
        """
        tf = Timeframe.parse(timeframe)
        source_tf = self._source_timeframe(symbol, tf)
        path = self.path(symbol, source_tf)
        lo, hi = _bound(start), _bound(end)
        if lo is not None and hi is not None and lo > hi:
            raise DataError(f"empty date range: start {lo.date()} is after end {hi.date()}")
        bars = self._read_frame(path, lo, hi)
        meta = _read_meta(path)
        bars.attrs = {
            "symbol": str(Symbol(str(symbol))),
            "timeframe": str(source_tf),
            "synthetic": meta.synthetic,
        }
        if source_tf != tf:
            bars = resample(bars, tf)
        return apply_adjustment(bars, adjustment, symbol=str(symbol))

    def series(self) -> list[SeriesInfo]:
        """Every stored series, sorted by symbol then timeframe."""
        return sorted(self._iter_series(), key=lambda s: (s.symbol, Timeframe.parse(s.timeframe).seconds))

    def info(self, symbol: Symbol | str, timeframe: Timeframe | str) -> SeriesInfo:
        path = self.path(symbol, timeframe)
        if not path.is_file():
            raise self._unknown(symbol)
        return _info(path)

    def symbols(self) -> list[str]:
        return sorted({s.symbol for s in self._iter_series()})

    def _iter_series(self) -> Iterator[SeriesInfo]:
        for path in sorted((self.root / "bars").glob("timeframe=*/symbol=*/data.parquet")):
            yield _info(path)

    def _source_timeframe(self, symbol: Symbol | str, tf: Timeframe) -> Timeframe:
        if self.has(symbol, tf):
            return tf
        stored = [Timeframe.parse(s.timeframe) for s in self._iter_series() if s.symbol == str(Symbol(str(symbol)))]
        if not stored:
            raise self._unknown(symbol)
        finer = [s for s in stored if s.seconds < tf.seconds and tf.seconds % s.seconds == 0]
        if not finer:
            have = ", ".join(str(s) for s in sorted(stored))
            raise DataError(f"{symbol} has no {tf} bars and none finer to build them from (stored: {have})")
        return max(finer, key=lambda s: s.seconds)

    def _unknown(self, symbol: Symbol | str) -> UnknownSymbol:
        known = ", ".join(self.symbols()) or "none"
        return UnknownSymbol(f"unknown symbol {symbol!s}: the catalog at {self.root} holds {known}")

    @staticmethod
    def _read_frame(path: Path, lo: pd.Timestamp | None = None, hi: pd.Timestamp | None = None) -> pd.DataFrame:
        filters = []
        if lo is not None:
            filters.append((INDEX_NAME, ">=", lo))
        if hi is not None:
            filters.append((INDEX_NAME, "<=", hi))
        table = pq.read_table(path, filters=filters or None)
        frame = table.to_pandas()
        frame.index = pd.DatetimeIndex(frame.index, name=INDEX_NAME)
        return frame


def _bound(value: pd.Timestamp | str | None) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise DataError(f"cannot read {value!r} as a date or time (use YYYY-MM-DD or ISO 8601)") from None
    return (ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")).as_unit("ns")


def _normalise(bars: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(bars.index, pd.DatetimeIndex) or bars.index.tz is None:
        raise DataError("bars must have a tz-aware DatetimeIndex (UTC)")
    if not bars.index.is_monotonic_increasing or bars.index.has_duplicates:
        raise DataError("bars must be sorted by time without duplicates: validate them before storing")
    out = bars.loc[:, bar_columns(bars)].astype("float64")
    out.index = bars.index.tz_convert("UTC").as_unit("ns").rename(INDEX_NAME)
    return out


def _write_atomic(path: Path, frame: pd.DataFrame, meta: SeriesMeta) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame, preserve_index=True)
    table = table.replace_schema_metadata({**table.schema.metadata, _META_KEY: json.dumps(asdict(meta)).encode()})
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".data-", suffix=".parquet.tmp")
    os.close(fd)
    try:
        pq.write_table(table, tmp, row_group_size=_ROW_GROUP, compression="snappy")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_meta(path: Path) -> SeriesMeta:
    raw = pq.read_schema(path).metadata or {}
    if _META_KEY not in raw:
        raise DataError(f"{path} is not a QuantDesk catalog file (no series metadata)")
    return SeriesMeta(**json.loads(raw[_META_KEY]))


def _info(path: Path) -> SeriesInfo:
    parquet = pq.ParquetFile(path)
    metadata = parquet.metadata
    tf = path.parent.parent.name.removeprefix("timeframe=")
    symbol = path.parent.name.removeprefix("symbol=")
    rows = metadata.num_rows
    start = end = pd.NaT
    if rows:
        # files are sorted by ts, so the first and last row groups' statistics bound the series
        column = parquet.schema_arrow.get_field_index(INDEX_NAME)
        start = pd.Timestamp(metadata.row_group(0).column(column).statistics.min).tz_convert("UTC")
        end = pd.Timestamp(metadata.row_group(metadata.num_row_groups - 1).column(column).statistics.max)
        end = end.tz_convert("UTC")
    has_adjusted = "adj_close" in parquet.schema_arrow.names
    return SeriesInfo(symbol, tf, rows, start, end, has_adjusted, _read_meta(path), path)


__all__ = ["Catalog", "SeriesInfo", "SeriesMeta", "WriteResult"]

"""Import bars into the catalog: read, validate, quarantine the bad rows with a report, store the good ones."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import structlog

from quantdesk.data.calendars import get_calendar
from quantdesk.data.catalog import Catalog, SeriesMeta, WriteResult
from quantdesk.data.sources import read_table, to_bar_rows
from quantdesk.data.validation import ValidationReport, validate, write_quarantine
from quantdesk.model import Symbol, Timeframe

ASSET_CLASS_OF_CALENDAR = {"XNYS": "equity", "FX": "fx", "24/7": "crypto"}
_log = structlog.stdlib.get_logger(__name__)


@dataclass(frozen=True)
class IngestResult:
    """What an import did: the validation report, what was stored, and where the quarantine went."""

    symbol: str
    timeframe: Timeframe
    calendar: str
    report: ValidationReport
    write: WriteResult | None
    quarantine_path: Path | None

    @property
    def ok(self) -> bool:
        return self.report.ok


def quarantine_path_for(quarantine_dir: Path, source: str, symbol: str, timeframe: Timeframe) -> Path:
    stem = Path(source).name.split(".")[0] or "bars"
    return Path(quarantine_dir) / f"{stem}.{symbol}.{timeframe}.quarantine.csv"


def ingest_rows(
    catalog: Catalog,
    rows: pd.DataFrame,
    *,
    symbol: str,
    timeframe: Timeframe,
    meta: SeriesMeta,
    quarantine_dir: Path,
) -> IngestResult:
    """Validate canonical rows (file order, ``ts`` column) and store the clean ones; nothing is dropped unseen."""
    symbol = str(Symbol(symbol))
    report = validate(rows, freq=timeframe.pandas_freq, calendar=get_calendar(meta.calendar))
    target = quarantine_path_for(quarantine_dir, meta.source, symbol, timeframe)
    if report.ok:
        target.unlink(missing_ok=True)  # a report from an earlier, faulty import of the same file is stale
        quarantined = None
    else:
        quarantined = write_quarantine(report, target)
    written = catalog.write(symbol, timeframe, report.clean, meta) if len(report.clean) else None
    _log.info(
        "bars imported",
        symbol=symbol,
        timeframe=str(timeframe),
        source=meta.source,
        valid=len(report.clean),
        quarantined=len(report.quarantine),
        missing_bars=report.counts.get("gap", 0),
        added=written.added if written else 0,
    )
    return IngestResult(symbol, timeframe, meta.calendar, report, written, quarantined)


def ingest_file(
    catalog: Catalog,
    path: Path | str,
    *,
    symbol: str,
    quarantine_dir: Path,
    timeframe: Timeframe | str | None = None,
    mapping: Mapping[str, str] | None = None,
    tz: str = "UTC",
    calendar: str = "XNYS",
    asset_class: str | None = None,
) -> IngestResult:
    """Import one symbol from a CSV or Parquet file (see :func:`quantdesk.data.sources.to_bar_rows`)."""
    path = Path(path)
    get_calendar(calendar)  # an unknown calendar fails before any work
    rows, tf = to_bar_rows(
        read_table(path), mapping=mapping, tz=tz, timeframe=timeframe, symbol=symbol, source=str(path)
    )
    meta = SeriesMeta(
        calendar=calendar,
        asset_class=asset_class or ASSET_CLASS_OF_CALENDAR.get(calendar, "equity"),
        source=path.name,
    )
    return ingest_rows(catalog, rows, symbol=symbol, timeframe=tf, meta=meta, quarantine_dir=quarantine_dir)


@dataclass(frozen=True)
class FileCheck:
    """A bar file checked without storing it: its validation report and the quarantine report written."""

    timeframe: Timeframe
    report: ValidationReport
    quarantine_path: Path | None


def check_file(
    path: Path | str,
    *,
    quarantine_dir: Path,
    symbol: str | None = None,
    timeframe: Timeframe | str | None = None,
    mapping: Mapping[str, str] | None = None,
    tz: str = "UTC",
    calendar: str | None = "XNYS",
    table: pd.DataFrame | None = None,
) -> FileCheck:
    """Validate one symbol of a CSV or Parquet file; write its quarantine report when it has defects.

    ``calendar=None`` picks XNYS for daily-or-coarser bars and 24/7 for intraday ones; ``table`` is the file
    already read (several symbols of one file).
    """
    path = Path(path)
    if calendar is not None:
        get_calendar(calendar)  # an unknown calendar fails before any work
    source = read_table(path) if table is None else table
    rows, tf = to_bar_rows(source, mapping=mapping, tz=tz, timeframe=timeframe, symbol=symbol, source=str(path))
    chosen = calendar if calendar is not None else ("24/7" if tf.is_intraday else "XNYS")
    report = validate(rows, freq=tf.pandas_freq, calendar=get_calendar(chosen))
    written = None
    if not report.ok:
        target = quarantine_path_for(quarantine_dir, str(path), (symbol or "ALL").upper(), tf)
        written = write_quarantine(report, target)
    return FileCheck(tf, report, written)

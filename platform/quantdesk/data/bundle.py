"""The bundled sample data (``data/bundled``): the default universe, available offline with no set-up."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from quantdesk.data.catalog import Catalog, SeriesMeta
from quantdesk.data.ingest import IngestResult, ingest_rows
from quantdesk.data.sources import read_table, to_bar_rows
from quantdesk.model import Timeframe


@dataclass(frozen=True)
class BundledSeries:
    symbol: str
    file: str
    timeframe: str
    calendar: str
    asset_class: str


BUNDLED: tuple[BundledSeries, ...] = (
    BundledSeries("AAPL", "daily_ohlcv.csv.gz", "1d", "XNYS", "equity"),
    BundledSeries("GOOG", "daily_ohlcv.csv.gz", "1d", "XNYS", "equity"),
    BundledSeries("IBM", "daily_ohlcv.csv.gz", "1d", "XNYS", "equity"),
    BundledSeries("MSFT", "daily_ohlcv.csv.gz", "1d", "XNYS", "equity"),
    BundledSeries("EURUSD", "eurusd_1h_2017.csv.gz", "1h", "FX", "fx"),
)
DEFAULT_UNIVERSE: tuple[str, ...] = tuple(s.symbol for s in BUNDLED)


def ensure_bundled(
    catalog: Catalog, bundle_dir: Path, quarantine_dir: Path, *, force: bool = False
) -> list[IngestResult]:
    """Import every bundled series the catalog lacks (all of them with ``force``); returns what was imported."""
    missing = [s for s in BUNDLED if force or not catalog.has(s.symbol, s.timeframe)]
    results = []
    tables = {}
    for series in missing:
        path = Path(bundle_dir) / series.file
        if series.file not in tables:
            tables[series.file] = read_table(path)
        rows, tf = to_bar_rows(tables[series.file], timeframe=series.timeframe, symbol=series.symbol, source=str(path))
        meta = SeriesMeta(calendar=series.calendar, asset_class=series.asset_class, source=series.file)
        results.append(
            ingest_rows(
                catalog,
                rows,
                symbol=series.symbol,
                timeframe=Timeframe.parse(tf),
                meta=meta,
                quarantine_dir=quarantine_dir,
            )
        )
    return results

"""Market data: the Parquet catalog, sources, validation and cleaning, calendars and synthetic bars.

>>> from quantdesk.data import Catalog, synthetic_bars, validate, resample
"""

from quantdesk.data.adjust import Adjustment, apply_adjustment
from quantdesk.data.bundle import DEFAULT_UNIVERSE, ensure_bundled
from quantdesk.data.calendars import TradingCalendar, get_calendar
from quantdesk.data.catalog import Catalog, SeriesInfo, SeriesMeta, WriteResult
from quantdesk.data.errors import DataError
from quantdesk.data.ingest import IngestResult, ingest_file
from quantdesk.data.resample import resample
from quantdesk.data.synthetic import synthetic_bars
from quantdesk.data.validation import Defect, ValidationReport, validate, write_quarantine

__all__ = [
    "DEFAULT_UNIVERSE",
    "Adjustment",
    "Catalog",
    "DataError",
    "Defect",
    "IngestResult",
    "SeriesInfo",
    "SeriesMeta",
    "TradingCalendar",
    "ValidationReport",
    "WriteResult",
    "apply_adjustment",
    "ensure_bundled",
    "get_calendar",
    "ingest_file",
    "resample",
    "synthetic_bars",
    "validate",
    "write_quarantine",
]

"""The Parquet catalog: round trips, idempotent merges, ranges, resampling on read, explicit adjustment."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from quantdesk.data.catalog import Catalog, SeriesMeta
from quantdesk.data.errors import AdjustmentRequired, DataError, UnknownSymbol

META = SeriesMeta(calendar="24/7", asset_class="crypto", source="test")


def bars(start: str, n: int, freq: str = "1D", base: float = 100.0, adj: bool = False) -> pd.DataFrame:
    index = pd.date_range(start, periods=n, freq=freq, tz="UTC", name="ts", unit="ns")
    close = base + np.arange(n, dtype="float64")
    frame = pd.DataFrame(
        {"open": close - 0.5, "high": close + 1.0, "low": close - 1.0, "close": close, "volume": 1000.0 + np.arange(n)},
        index=index,
    )
    if adj:
        frame["adj_close"] = close / 2
    return frame


def test_written_bars_read_back_identically(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path)
    original = bars("2024-01-01", 10)
    result = catalog.write("abc", "1d", original, META)
    assert (result.added, result.replaced, result.total) == (10, 0, 10)
    back = catalog.read("ABC", "1d", adjustment="raw")
    pd.testing.assert_frame_equal(back, original, check_freq=False)
    assert back.attrs == {"symbol": "ABC", "timeframe": "1d", "synthetic": False, "adjustment": "raw"}
    assert catalog.path("ABC", "1d") == tmp_path / "bars" / "timeframe=1d" / "symbol=ABC" / "data.parquet"


def test_writing_the_same_bars_twice_stores_them_once(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path)
    catalog.write("ABC", "1d", bars("2024-01-01", 10), META)
    mtime = catalog.path("ABC", "1d").stat().st_mtime_ns
    again = catalog.write("ABC", "1d", bars("2024-01-01", 10), META)
    assert again.unchanged
    assert again.total == 10
    assert catalog.path("ABC", "1d").stat().st_mtime_ns == mtime


def test_append_merges_overlap_and_counts_replaced_values(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path)
    catalog.write("ABC", "1d", bars("2024-01-01", 10), META)
    newer = bars("2024-01-08", 6, base=200.0)  # 3 overlapping days with different prices, 3 new days
    result = catalog.write("ABC", "1d", newer, META)
    assert (result.added, result.replaced, result.total) == (3, 3, 13)
    stored = catalog.read("ABC", "1d", adjustment="raw")
    assert stored.index.is_monotonic_increasing
    assert stored.loc["2024-01-08", "close"].item() == 200.0
    assert stored.loc["2024-01-07", "close"].item() == 106.0


def test_read_by_time_range_is_inclusive(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path)
    catalog.write("ABC", "1h", bars("2024-01-01", 48, freq="1h"), META)
    window = catalog.read("ABC", "1h", "2024-01-01 10:00", "2024-01-01 12:00", adjustment="raw")
    assert list(window.index.hour) == [10, 11, 12]


def test_empty_range_and_bad_dates_are_clear_errors(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path)
    catalog.write("ABC", "1d", bars("2024-01-01", 5), META)
    with pytest.raises(DataError, match="empty date range"):
        catalog.read("ABC", "1d", "2024-02-01", "2024-01-01", adjustment="raw")
    with pytest.raises(DataError, match="cannot read 'yesterday'"):
        catalog.read("ABC", "1d", "yesterday", adjustment="raw")


def test_unknown_symbol_names_what_the_catalog_holds(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path)
    catalog.write("ABC", "1d", bars("2024-01-01", 5), META)
    with pytest.raises(UnknownSymbol, match=r"unknown symbol XYZ: the catalog at .* holds ABC"):
        catalog.read("XYZ", "1d", adjustment="raw")


def test_series_with_adjusted_prices_must_be_read_with_an_explicit_adjustment(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path)
    catalog.write("ABC", "1d", bars("2024-01-01", 5, adj=True), META)
    with pytest.raises(AdjustmentRequired, match="adjustment='raw' or adjustment='adjusted'"):
        catalog.read("ABC", "1d")
    raw = catalog.read("ABC", "1d", adjustment="raw")
    adjusted = catalog.read("ABC", "1d", adjustment="adjusted")
    assert list(raw.columns) == ["open", "high", "low", "close", "volume"]
    assert adjusted["close"].tolist() == (raw["close"] / 2).tolist()
    assert adjusted["open"].tolist() == (raw["open"] / 2).tolist()
    assert adjusted["volume"].tolist() == (raw["volume"] * 2).tolist()
    assert adjusted.attrs["adjustment"] == "adjusted"


def test_coarser_timeframe_is_resampled_from_the_finest_stored(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path)
    catalog.write("ABC", "1h", bars("2024-01-01", 48, freq="1h"), META)
    daily = catalog.read("ABC", "1d", adjustment="raw")
    assert len(daily) == 2
    first = daily.iloc[0]
    assert (first["open"], first["high"], first["low"], first["close"]) == (99.5, 124.0, 99.0, 123.0)
    assert first["volume"] == sum(1000.0 + i for i in range(24))
    assert daily.attrs["timeframe"] == "1d"


def test_finer_timeframe_than_stored_is_refused(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path)
    catalog.write("ABC", "1d", bars("2024-01-01", 5), META)
    with pytest.raises(DataError, match="ABC has no 1h bars and none finer"):
        catalog.read("ABC", "1h", adjustment="raw")


def test_series_lists_range_rows_and_metadata(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path)
    catalog.write("ABC", "1d", bars("2024-01-01", 5), META)
    catalog.write("SYNTH", "1m", bars("2024-01-01", 3, freq="1min"), SeriesMeta("24/7", "synthetic", "generator", True))
    listed = catalog.series()
    assert [(s.symbol, s.timeframe, s.rows) for s in listed] == [("ABC", "1d", 5), ("SYNTH", "1m", 3)]
    assert listed[0].start == pd.Timestamp("2024-01-01", tz="UTC")
    assert listed[0].end == pd.Timestamp("2024-01-05", tz="UTC")
    assert listed[1].meta.synthetic is True
    assert catalog.read("SYNTH", "1m", adjustment="raw").attrs["synthetic"] is True


def test_unsorted_bars_are_refused_by_the_store(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path)
    with pytest.raises(DataError, match="validate them before storing"):
        catalog.write("ABC", "1d", bars("2024-01-01", 5).iloc[::-1], META)
    assert not catalog.has("ABC", "1d")


def test_a_failed_write_leaves_the_stored_file_and_no_temporary_files(tmp_path: Path, monkeypatch) -> None:
    catalog = Catalog(tmp_path)
    catalog.write("ABC", "1d", bars("2024-01-01", 5), META)
    before = catalog.path("ABC", "1d").read_bytes()

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("quantdesk.data.catalog.pq.write_table", explode)
    with pytest.raises(OSError, match="disk full"):
        catalog.write("ABC", "1d", bars("2024-01-06", 5), META)
    assert catalog.path("ABC", "1d").read_bytes() == before
    assert [p.name for p in catalog.path("ABC", "1d").parent.iterdir()] == ["data.parquet"]

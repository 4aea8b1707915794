"""Reading users' bar files: column mapping, common names, time zones, timeframes and file-level errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from quantdesk.data.errors import DataFileError
from quantdesk.data.sources import read_table, to_bar_rows


def write(tmp_path: Path, text: str, name: str = "bars.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_common_column_names_are_recognised_case_insensitively(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Date,Open,High,Low,Close,Adj Close,Volume\n"
        "2024-01-02,10,11,9,10.5,5.25,100\n2024-01-03,10.5,12,10,11,5.5,200\n",
    )
    rows, tf = to_bar_rows(read_table(path))
    assert str(tf) == "1d"
    assert list(rows.columns) == ["ts", "open", "high", "low", "close", "volume", "adj_close"]
    assert rows["ts"].tolist() == [pd.Timestamp("2024-01-02", tz="UTC"), pd.Timestamp("2024-01-03", tz="UTC")]
    assert rows["adj_close"].tolist() == [5.25, 5.5]


def test_explicit_mapping_wins_over_guessing(tmp_path: Path) -> None:
    path = write(tmp_path, "when,o,h,l,c,last,v\n2024-01-02 14:30,1,2,0.5,1.5,9,7\n2024-01-02 14:31,1.5,2,1,1.8,9,8\n")
    rows, tf = to_bar_rows(read_table(path), mapping={"ts": "when", "close": "c"})
    assert str(tf) == "1m"
    assert rows["close"].tolist() == [1.5, 1.8]


def test_mapping_to_an_unknown_column_names_the_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "ts,open,high,low,close,volume\n2024-01-02,1,2,0.5,1.5,7\n")
    with pytest.raises(
        DataFileError, match=r"column 'Price' \(mapped to close\) is not in .*; its columns are ts, open"
    ):
        to_bar_rows(read_table(path), mapping={"close": "Price"}, source=str(path))


def test_mapping_an_unknown_field_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "ts,open,high,low,close,volume\n2024-01-02,1,2,0.5,1.5,7\n")
    with pytest.raises(DataFileError, match="unknown field 'price'"):
        to_bar_rows(read_table(path), mapping={"price": "close"})


def test_a_missing_required_column_says_how_to_map_it(tmp_path: Path) -> None:
    path = write(tmp_path, "ts,open,high,low,price\n2024-01-02,1,2,0.5,1.5\n")
    with pytest.raises(DataFileError, match=r"no column for 'close' .* name it with --column close=COLUMN"):
        to_bar_rows(read_table(path))


def test_missing_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match=r"no such file: .*nope\.csv"):
        read_table(tmp_path / "nope.csv")


def test_unparsable_timestamp_names_value_and_row(tmp_path: Path) -> None:
    path = write(tmp_path, "ts,open,high,low,close,volume\n2024-01-02,1,2,0.5,1.5,7\nnot-a-date,1,2,0.5,1.5,7\n")
    with pytest.raises(DataFileError, match=r"cannot parse timestamp 'not-a-date' in column 'ts' at data row 2"):
        to_bar_rows(read_table(path))


def test_naive_intraday_times_are_read_in_the_given_zone_and_stored_in_utc(tmp_path: Path) -> None:
    path = write(
        tmp_path, "ts,open,high,low,close,volume\n2024-07-01 09:30,1,2,0.5,1.5,7\n2024-07-01 09:31,1,2,0.5,1.5,7\n"
    )
    rows, _ = to_bar_rows(read_table(path), tz="America/New_York")
    assert rows["ts"].iloc[0] == pd.Timestamp("2024-07-01 13:30", tz="UTC")


def test_offsets_in_the_file_are_honoured(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "ts,open,high,low,close,volume\n2024-01-02T09:30:00-05:00,1,2,0.5,1.5,7\n2024-01-02T09:31:00-05:00,1,2,0.5,1.5,7\n",
    )
    rows, _ = to_bar_rows(read_table(path), tz="Asia/Tokyo")
    assert rows["ts"].iloc[0] == pd.Timestamp("2024-01-02 14:30", tz="UTC")


def test_daily_labels_are_the_local_session_date_at_midnight_utc(tmp_path: Path) -> None:
    path = write(
        tmp_path, "ts,open,high,low,close,volume\n2024-01-02 16:00,1,2,0.5,1.5,7\n2024-01-03 16:00,1,2,0.5,1.5,7\n"
    )
    rows, tf = to_bar_rows(read_table(path), tz="America/New_York", timeframe="1d")
    assert str(tf) == "1d"
    assert rows["ts"].tolist() == [pd.Timestamp("2024-01-02", tz="UTC"), pd.Timestamp("2024-01-03", tz="UTC")]


def test_unknown_time_zone_is_a_clear_error(tmp_path: Path) -> None:
    path = write(tmp_path, "ts,open,high,low,close,volume\n2024-01-02,1,2,0.5,1.5,7\n2024-01-03,1,2,0.5,1.5,7\n")
    with pytest.raises(DataFileError, match="unknown time zone 'Mars/Olympus'"):
        to_bar_rows(read_table(path), tz="Mars/Olympus")


def test_epoch_seconds_are_understood(tmp_path: Path) -> None:
    path = write(tmp_path, "ts,open,high,low,close,volume\n1704205800,1,2,0.5,1.5,7\n1704205860,1,2,0.5,1.5,7\n")
    table = pd.read_csv(path)
    rows, tf = to_bar_rows(table)
    assert rows["ts"].iloc[0] == pd.Timestamp("2024-01-02 14:30", tz="UTC")
    assert str(tf) == "1m"


def test_non_numeric_cells_become_missing_values_for_validation(tmp_path: Path) -> None:
    path = write(tmp_path, "ts,open,high,low,close,volume\n2024-01-02,1,2,0.5,n/a,7\n2024-01-03,1,2,0.5,1.5,\n")
    rows, _ = to_bar_rows(read_table(path))
    assert rows["close"].isna().tolist() == [True, False]
    assert rows["volume"].isna().tolist() == [False, True]


def test_a_multi_symbol_file_needs_a_symbol_and_keeps_only_its_rows(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "ticker,date,open,high,low,close,volume\nAAA,2024-01-02,1,2,0.5,1.5,7\nBBB,2024-01-02,3,4,2,3,9\nAAA,2024-01-03,1,2,0.5,1.6,7\n",
    )
    with pytest.raises(DataFileError, match="holds symbols AAA, BBB: choose one with --symbol"):
        to_bar_rows(read_table(path))
    with pytest.raises(DataFileError, match="has no rows for CCC; it holds AAA, BBB"):
        to_bar_rows(read_table(path), symbol="ccc")
    rows, _ = to_bar_rows(read_table(path), symbol="aaa")
    assert rows["close"].tolist() == [1.5, 1.6]


def test_parquet_files_are_read_like_csv(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "time": pd.date_range("2024-01-02", periods=3, freq="1h", tz="UTC"),
            "open": 1.0,
            "high": 2.0,
            "low": 0.5,
            "close": 1.5,
            "volume": 3.0,
        }
    )
    path = tmp_path / "bars.parquet"
    frame.to_parquet(path)
    rows, tf = to_bar_rows(read_table(path))
    assert str(tf) == "1h"
    assert rows["ts"].tolist() == list(frame["time"])


def test_missing_volume_is_read_as_zero(tmp_path: Path) -> None:
    path = write(tmp_path, "ts,open,high,low,close\n2024-01-02,1,2,0.5,1.5\n2024-01-03,1,2,0.5,1.5\n")
    rows, _ = to_bar_rows(read_table(path))
    assert rows["volume"].tolist() == [0.0, 0.0]

"""Bar validation: every defect kind is quarantined with its reasons, gaps are found, nothing is dropped."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantdesk.data.calendars import AlwaysOpen, ExchangeCalendar, FX24x5
from quantdesk.data.errors import DataError, InvalidBarFrame
from quantdesk.data.validation import Defect, ValidationReport, validate, write_quarantine

REPO = Path(__file__).resolve().parents[3]
NAN = float("nan")


def bundled(name: str) -> Path:
    """A bundled data file: the project's copy, or the shared original until it is copied in."""
    for folder in (REPO / "data" / "bundled", Path("/work/shared/data")):
        if (folder / name).is_file():
            return folder / name
    pytest.fail(f"bundled data file {name} not found under data/bundled")


def bars(rows: list[tuple[str | None, float, float, float, float, float]]) -> pd.DataFrame:
    ts, o, h, low, c, v = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "ts": pd.to_datetime(list(ts), utc=True, format="ISO8601"),
            "open": o,
            "high": h,
            "low": low,
            "close": c,
            "volume": v,
        }
    )


# XNYS, Tuesday 2024-01-02: the session opens 14:30 UTC. One row per defect kind, in file order.
CANDLES = bars(
    [
        ("2024-01-02 14:30", 100.0, 101.0, 99.0, 100.5, 10),  # 0 good
        ("2024-01-02 14:31", NAN, 101.0, 99.0, 100.5, 10),  # 1 missing_value
        ("2024-01-02 14:32", 100.0, 101.0, 0.0, 100.5, 10),  # 2 non_positive_price
        ("2024-01-02 14:33", 100.0, 100.5, 99.0, 101.0, 10),  # 3 high_below_open_close
        ("2024-01-02 14:34", 99.0, 101.0, 99.5, 100.0, 10),  # 4 low_above_open_close
        ("2024-01-02 14:35", 100.0, 99.0, 101.0, 100.0, 10),  # 5 inverted: high < low, so three defects
        ("2024-01-02 14:36", 100.0, 101.0, 99.0, 100.5, -5),  # 6 negative_volume
        ("2024-01-02 14:30", 100.0, 101.0, 99.0, 100.5, 10),  # 7 duplicate_timestamp (of row 0)
        ("2024-01-02 14:39", 100.0, 101.0, 99.0, 100.5, 10),  # 8 good
        ("2024-01-02 14:38", 100.0, 101.0, 99.0, 100.5, 10),  # 9 out_of_order
        ("2024-01-02 14:40:30", 100.0, 101.0, 99.0, 100.5, 10),  # 10 outside_session (off the 1min grid)
        (None, 100.0, 101.0, 99.0, 100.5, 10),  # 11 missing_value (NaT)
        ("2024-01-02 14:42", 100.0, 101.0, 99.0, 100.5, 10),  # 12 good
        ("2024-01-06 15:00", 100.0, 101.0, 99.0, 100.5, 10),  # 13 outside_session (Saturday)
    ]
)
EXPECTED_QUARANTINE = [
    (1, "missing_value"),
    (2, "non_positive_price"),
    (3, "high_below_open_close"),
    (4, "low_above_open_close"),
    (5, "high_below_open_close;low_above_open_close;high_below_low"),
    (6, "negative_volume"),
    (7, "duplicate_timestamp"),
    (9, "out_of_order"),
    (10, "outside_session"),
    (11, "missing_value"),
    (13, "outside_session"),
]
EXPECTED_COUNTS = {
    Defect.MISSING_VALUE: 2,
    Defect.NON_POSITIVE_PRICE: 1,
    Defect.HIGH_BELOW_OPEN_CLOSE: 2,
    Defect.LOW_ABOVE_OPEN_CLOSE: 2,
    Defect.HIGH_BELOW_LOW: 1,
    Defect.NEGATIVE_VOLUME: 1,
    Defect.DUPLICATE_TIMESTAMP: 1,
    Defect.OUT_OF_ORDER: 1,
    Defect.OUTSIDE_SESSION: 2,
    Defect.GAP: 3,
}


@pytest.fixture(scope="module")
def report() -> ValidationReport:
    return validate(CANDLES, freq="1min", calendar=ExchangeCalendar("XNYS"))


def test_each_defect_kind_is_quarantined_with_all_its_reasons(report: ValidationReport) -> None:
    assert list(zip(report.quarantine["row"], report.quarantine["reason"], strict=True)) == EXPECTED_QUARANTINE
    assert list(report.quarantine.columns) == [
        "row",
        "ts",
        "open",
        "high",
        "low",
        "close",
        "volume",
        "reason",
    ]
    assert report.quarantine["volume"].tolist()[5] == -5.0  # raw values are kept as they came
    assert report.counts == EXPECTED_COUNTS
    assert not report.ok


def test_clean_keeps_only_good_rows_as_a_canonical_bar_frame(report: ValidationReport) -> None:
    expected_ts = pd.DatetimeIndex(["2024-01-02 14:30", "2024-01-02 14:39", "2024-01-02 14:42"], tz="UTC")
    assert report.clean.index.equals(expected_ts)
    assert report.clean.index.name == "ts"
    assert list(report.clean.columns) == ["open", "high", "low", "close", "volume"]
    assert (report.clean.dtypes == "float64").all()
    assert report.clean["close"].tolist() == [100.5, 100.5, 100.5]


def test_gaps_are_bars_absent_from_the_source_not_quarantined_rows(report: ValidationReport) -> None:
    assert report.gaps.to_dict("records") == [
        {
            "start": pd.Timestamp("2024-01-02 14:37", tz="UTC"),
            "end": pd.Timestamp("2024-01-02 14:37", tz="UTC"),
            "missing": 1,
        },
        {
            "start": pd.Timestamp("2024-01-02 14:40", tz="UTC"),
            "end": pd.Timestamp("2024-01-02 14:41", tz="UTC"),
            "missing": 2,
        },
    ]


def test_summary_has_one_line_per_defect_kind_found(report: ValidationReport) -> None:
    assert report.summary_lines() == [
        "missing_value: 2 rows",
        "non_positive_price: 1 row",
        "high_below_open_close: 2 rows",
        "low_above_open_close: 2 rows",
        "high_below_low: 1 row",
        "negative_volume: 1 row",
        "duplicate_timestamp: 1 row",
        "out_of_order: 1 row",
        "outside_session: 2 rows",
        "gap: 3 missing bars in 2 gaps",
    ]


def test_nothing_is_silently_dropped(report: ValidationReport) -> None:
    assert report.rows_in == len(CANDLES) == len(report.clean) + len(report.quarantine)


def test_first_occurrence_of_a_timestamp_is_kept_and_later_ones_are_duplicates() -> None:
    frame = bars([(f"2024-01-02 00:0{m}", 1.0, 1.0, 1.0, 1.0, 1.0) for m in (1, 3, 2, 3, 2)])
    report = validate(frame, freq="1min", calendar=AlwaysOpen())
    assert list(zip(report.quarantine["row"], report.quarantine["reason"], strict=True)) == [
        (2, "out_of_order"),
        (3, "duplicate_timestamp"),
        (4, "duplicate_timestamp"),  # its first occurrence (row 2) was out of order, yet it was seen
    ]
    assert report.gaps.empty  # minute 2 is in the source (quarantined), so it is not a gap


def test_clean_frame_passes_with_its_summary_saying_so() -> None:
    frame = bars([(f"2024-01-02 00:0{m}", 1.0, 2.0, 0.5, 1.5, 0.0) for m in range(5)])
    report = validate(frame, freq="1min", calendar=AlwaysOpen())
    assert report.ok
    assert report.counts == dict.fromkeys(Defect, 0)
    assert report.summary_lines() == ["ok: 5 rows, no defects"]
    assert report.quarantine.empty
    assert report.gaps.empty


def test_adj_close_is_checked_like_a_price_and_kept_in_clean() -> None:
    frame = bars([(f"2024-01-0{d}", 10.0, 11.0, 9.0, 10.5, 100.0) for d in (2, 3, 4, 5)])
    frame["adj_close"] = [5.0, -1.0, NAN, 5.5]
    report = validate(frame, freq="1D", calendar=ExchangeCalendar("XNYS"))
    assert report.quarantine["reason"].tolist() == ["non_positive_price", "missing_value"]
    assert list(report.clean.columns) == ["open", "high", "low", "close", "volume", "adj_close"]
    assert report.clean["adj_close"].tolist() == [5.0, 5.5]


def test_infinite_values_count_as_missing() -> None:
    frame = bars([("2024-01-02 00:00", 1.0, np.inf, 1.0, 1.0, 1.0), ("2024-01-02 00:01", 1.0, 1.0, 1.0, 1.0, -np.inf)])
    report = validate(frame, freq="1min", calendar=AlwaysOpen())
    assert report.quarantine["reason"].tolist() == ["missing_value", "missing_value;negative_volume"]


def test_a_label_beyond_the_nanosecond_range_is_outside_session_not_a_crash() -> None:
    ts = pd.to_datetime(["2024-01-02 00:00", "2924-01-02 00:01", "2024-01-02 00:01"], utc=True).as_unit("us")
    frame = pd.DataFrame({"ts": ts, "open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "volume": 1.0})
    report = validate(frame, freq="1min", calendar=None)
    assert report.quarantine[["row", "reason"]].values.tolist() == [[1, "outside_session"]]
    assert report.quarantine["ts"].iloc[0] == pd.Timestamp("2924-01-02 00:01", tz="UTC")  # shown as it came
    assert str(report.clean.index.dtype) == "datetime64[ns, UTC]"


def test_without_a_calendar_only_the_freq_grid_is_checked_and_no_gaps_are_sought() -> None:
    frame = bars(
        [("2024-01-06 00:00", 1.0, 1.0, 1.0, 1.0, 1.0), ("2024-01-06 00:30", 1.0, 1.0, 1.0, 1.0, 1.0),
         ("2024-01-06 01:15", 1.0, 1.0, 1.0, 1.0, 1.0), ("2024-01-06 05:00", 1.0, 1.0, 1.0, 1.0, 1.0)]
    )  # fmt: skip
    report = validate(frame, freq="1h", calendar=None)
    assert report.quarantine["reason"].tolist() == ["outside_session", "outside_session"]
    assert report.gaps.empty
    assert report.counts[Defect.GAP] == 0


def test_ts_may_be_the_index_and_is_converted_to_utc() -> None:
    frame = bars([("2024-01-02 14:30", 1.0, 1.0, 1.0, 1.0, 1.0)]).set_index("ts")
    frame.index = frame.index.tz_convert("America/New_York")
    report = validate(frame, freq="1min", calendar=ExchangeCalendar("XNYS"))
    assert report.ok
    assert str(report.clean.index.tz) == "UTC"


def test_provenance_attrs_are_carried_into_clean() -> None:
    frame = bars([("2024-01-02", 1.0, 1.0, 1.0, 1.0, 1.0)])
    frame.attrs = {"symbol": "AAPL", "adjustment": "raw"}
    report = validate(frame, freq="1D", calendar=ExchangeCalendar("XNYS"))
    assert report.clean.attrs == {"symbol": "AAPL", "adjustment": "raw", "timeframe": "1D"}


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"ts": pd.to_datetime(["2024-01-02"]), "open": [1.0], "high": [1.0], "low": [1.0],
                       "close": [1.0], "volume": [1.0]}), "tz-aware"),
        (pd.DataFrame({"ts": pd.to_datetime(["2024-01-02"], utc=True), "open": [1.0]}), "lack the column"),
        (pd.DataFrame({"open": [1.0]}), "'ts' column or a DatetimeIndex"),
        (pd.DataFrame({"ts": pd.to_datetime(["2024-01-02"], utc=True), "open": ["x"], "high": [1.0],
                       "low": [1.0], "close": [1.0], "volume": [1.0]}), "must be numbers"),
    ],
)  # fmt: skip
def test_a_frame_that_is_not_bar_rows_is_rejected_with_one_clear_line(frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(InvalidBarFrame, match=message) as caught:
        validate(frame, freq="1D", calendar=None)
    assert isinstance(caught.value, DataError)


def test_bundled_eurusd_hours_have_exactly_the_two_christmas_gaps() -> None:
    frame = pd.read_csv(bundled("eurusd_1h_2017.csv.gz"))
    frame["ts"] = pd.to_datetime(frame.pop("timestamp")).dt.tz_localize("UTC")
    report = validate(frame, freq="1h", calendar=FX24x5())
    assert report.quarantine.empty
    assert len(report.clean) == report.rows_in == 6225
    assert report.gaps.to_dict("records") == [
        {
            "start": pd.Timestamp("2017-12-24 22:00", tz="UTC"),
            "end": pd.Timestamp("2017-12-24 22:00", tz="UTC"),
            "missing": 1,
        },
        {
            "start": pd.Timestamp("2017-12-25 08:00", tz="UTC"),
            "end": pd.Timestamp("2017-12-25 21:00", tz="UTC"),
            "missing": 14,
        },
    ]
    assert report.summary_lines() == ["gap: 15 missing bars in 2 gaps"]


def test_bundled_daily_equities_are_clean_against_xnys() -> None:
    table = pd.read_csv(bundled("daily_ohlcv.csv.gz"))
    for ticker, rows in table.groupby("ticker"):
        frame = rows.drop(columns="ticker").rename(columns={"date": "ts"})
        frame["ts"] = pd.to_datetime(frame["ts"]).dt.tz_localize("UTC")
        report = validate(frame, freq="1D", calendar=ExchangeCalendar("XNYS"))
        assert report.ok, (ticker, report.summary_lines())


def test_quarantine_file_lists_bad_rows_then_gaps(report: ValidationReport, tmp_path: Path) -> None:
    path = write_quarantine(report, tmp_path / "new" / "dir" / "bars.quarantine.csv")
    assert path == tmp_path / "new" / "dir" / "bars.quarantine.csv"
    written = pd.read_csv(path, keep_default_na=False)
    assert written["row"].tolist() == [str(r) for r, _ in EXPECTED_QUARANTINE] + ["", ""]
    assert written["reason"].tolist() == [reason for _, reason in EXPECTED_QUARANTINE] + ["gap", "gap"]
    assert written["detail"].tolist()[-2:] == [
        "1 missing bar from 2024-01-02T14:37:00+00:00 to 2024-01-02T14:37:00+00:00",
        "2 missing bars from 2024-01-02T14:40:00+00:00 to 2024-01-02T14:41:00+00:00",
    ]
    assert written["ts"].tolist()[-1] == "2024-01-02 14:40:00+00:00"
    assert os.listdir(path.parent) == [path.name]  # no temporary file left behind


def test_quarantine_file_of_a_clean_report_is_header_only(tmp_path: Path) -> None:
    clean = validate(bars([("2024-01-02", 1.0, 1.0, 1.0, 1.0, 1.0)]), freq="1D", calendar=None)
    path = tmp_path / "q.csv"
    path.write_text("stale report\n")
    assert write_quarantine(clean, path) == path
    assert path.read_text() == "row,ts,open,high,low,close,volume,reason,detail\n"


MINUTES = pd.Timestamp("2024-01-02", tz="UTC").value + np.arange(0, 40) * 30 * 10**9  # half of them off-grid
VALUES = st.sampled_from([1.0, 2.0, 3.0, 0.0, -1.0, NAN])
ROWS = st.lists(st.tuples(st.integers(-1, len(MINUTES) - 1), VALUES, VALUES, VALUES, VALUES, VALUES), max_size=60)


@settings(max_examples=200, deadline=None)
@given(rows=ROWS)
def test_clean_and_quarantine_partition_the_input(
    rows: list[tuple[int, float, float, float, float, float]],
) -> None:
    ts = [pd.NaT if i < 0 else pd.Timestamp(int(MINUTES[i]), tz="UTC") for i, *_ in rows]
    frame = pd.DataFrame(
        {"ts": pd.DatetimeIndex(ts, dtype="datetime64[ns, UTC]")}
        | {c: [r[k + 1] for r in rows] for k, c in enumerate(("open", "high", "low", "close", "volume"))},
    ).astype(dict.fromkeys(("open", "high", "low", "close", "volume"), "float64"))
    report = validate(frame, freq="1min", calendar=AlwaysOpen())
    quarantined = report.quarantine["row"].tolist()
    assert len(report.clean) + len(quarantined) == report.rows_in == len(rows)
    assert quarantined == sorted(set(quarantined))
    assert all(0 <= r < len(rows) for r in quarantined)
    assert report.clean.index.is_monotonic_increasing
    assert report.clean.index.is_unique
    assert (report.quarantine["reason"] != "").all()
    again = validate(report.clean, freq="1min", calendar=AlwaysOpen())
    assert again.quarantine.empty  # the clean frame is clean by the same rules

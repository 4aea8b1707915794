"""Trading calendars: XNYS sessions and minutes, the 24x5 FX week across DST, 24/7, names and frequencies."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from quantdesk.data.calendars import (
    AlwaysOpen,
    ExchangeCalendar,
    FX24x5,
    calendar_for_asset,
    get_calendar,
    parse_freq,
)
from quantdesk.data.errors import DataError, InvalidFrequency, UnknownAssetClass, UnknownCalendar

REPO = Path(__file__).resolve().parents[3]


def bundled(name: str) -> Path:
    """A bundled data file: the project's copy, or the shared original until it is copied in."""
    for folder in (REPO / "data" / "bundled", Path("/work/shared/data")):
        if (folder / name).is_file():
            return folder / name
    pytest.fail(f"bundled data file {name} not found under data/bundled")


def utc(*stamps: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(list(stamps), tz="UTC")


def test_xnys_daily_labels_are_exactly_the_bundled_equity_dates() -> None:
    table = pd.read_csv(bundled("daily_ohlcv.csv.gz"))
    xnys = ExchangeCalendar("XNYS")
    for ticker, rows in table.groupby("ticker"):
        dates = pd.DatetimeIndex(pd.to_datetime(rows["date"])).tz_localize("UTC")
        expected = xnys.expected_labels(dates[0], dates[-1], "1D")
        assert expected.equals(dates.as_unit("ns")), ticker
        assert xnys.is_open(dates, "1D").all(), ticker
    assert len(xnys.expected_labels(pd.Timestamp("2000-03-01"), pd.Timestamp("2013-03-01"), "1D")) == 3270


def test_xnys_skips_holidays_and_weekends() -> None:
    labels = ExchangeCalendar("XNYS").expected_labels(pd.Timestamp("2023-12-29"), pd.Timestamp("2024-01-03"), "1D")
    assert labels.equals(utc("2023-12-29", "2024-01-02", "2024-01-03"))


def test_xnys_intraday_labels_follow_dst_and_early_closes() -> None:
    xnys = ExchangeCalendar("XNYS")
    winter = xnys.expected_labels(pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-02 23:59"), "1min")
    summer = xnys.expected_labels(pd.Timestamp("2024-07-02"), pd.Timestamp("2024-07-02 23:59"), "1min")
    assert (winter[0], winter[-1], len(winter)) == (*utc("2024-01-02 14:30", "2024-01-02 20:59"), 390)
    assert (summer[0], summer[-1], len(summer)) == (*utc("2024-07-02 13:30", "2024-07-02 19:59"), 390)
    # the day after Thanksgiving closes at 13:00 New York time
    hours = xnys.expected_labels(pd.Timestamp("2019-11-29"), pd.Timestamp("2019-11-30"), "1h")
    assert hours.equals(utc("2019-11-29 14:00", "2019-11-29 15:00", "2019-11-29 16:00", "2019-11-29 17:00"))
    halves = xnys.expected_labels(pd.Timestamp("2019-11-29"), pd.Timestamp("2019-11-30"), "30min")
    assert (halves[0], halves[-1], len(halves)) == (*utc("2019-11-29 14:30", "2019-11-29 17:30"), 7)


def test_xnys_is_open_rejects_closed_hours_off_grid_labels_and_nat() -> None:
    labels = pd.DatetimeIndex(
        ["2024-01-02 14:30", "2024-01-02 14:29", "2024-01-06 15:00", "2024-01-02 14:30:30", None], tz="UTC"
    )
    assert ExchangeCalendar("XNYS").is_open(labels, "1min").tolist() == [True, False, False, False, False]
    assert ExchangeCalendar("XNYS").is_open(utc("2024-01-02", "2024-01-06", "2024-01-02 14:30"), "1D").tolist() == [
        True,
        False,
        False,
    ]


def test_fx_week_runs_sunday_to_friday_five_pm_new_york_in_winter_and_summer() -> None:
    fx = FX24x5()
    winter = fx.expected_labels(pd.Timestamp("2017-01-06 19:00"), pd.Timestamp("2017-01-08 23:00"), "1h")
    assert winter.equals(
        utc("2017-01-06 19:00", "2017-01-06 20:00", "2017-01-06 21:00", "2017-01-08 22:00", "2017-01-08 23:00")
    )
    summer = fx.expected_labels(pd.Timestamp("2017-07-07 18:00"), pd.Timestamp("2017-07-09 22:00"), "1h")
    assert summer.equals(
        utc("2017-07-07 18:00", "2017-07-07 19:00", "2017-07-07 20:00", "2017-07-09 21:00", "2017-07-09 22:00")
    )


def test_fx_week_that_spans_the_dst_change_closes_in_winter_time_and_opens_in_summer_time() -> None:
    labels = FX24x5().expected_labels(pd.Timestamp("2017-03-10 20:00"), pd.Timestamp("2017-03-12 22:00"), "1h")
    assert labels.equals(utc("2017-03-10 20:00", "2017-03-10 21:00", "2017-03-12 21:00", "2017-03-12 22:00"))


def test_fx_bar_that_straddles_the_open_is_open() -> None:
    # a 4h bar 20:00-24:00 UTC on a winter Sunday contains the 22:00 open
    assert FX24x5().is_open(utc("2017-01-08 16:00", "2017-01-08 20:00"), "4h").tolist() == [False, True]


def test_fx_daily_labels_are_weekdays() -> None:
    labels = FX24x5().expected_labels(pd.Timestamp("2017-12-22"), pd.Timestamp("2017-12-26"), "1D")
    assert labels.equals(utc("2017-12-22", "2017-12-25", "2017-12-26"))  # no holidays in 24x5


def test_bundled_eurusd_is_open_throughout_and_misses_only_the_christmas_bars() -> None:
    frame = pd.read_csv(bundled("eurusd_1h_2017.csv.gz"))
    hours = pd.DatetimeIndex(pd.to_datetime(frame["timestamp"])).tz_localize("UTC")
    fx = FX24x5()
    assert fx.is_open(hours, "1h").all()
    missing = fx.expected_labels(hours[0], hours[-1], "1h").difference(hours)
    christmas = pd.date_range("2017-12-25 08:00", "2017-12-25 21:00", freq="1h", tz="UTC")
    assert missing.equals(utc("2017-12-24 22:00").append(christmas))


def test_always_open_prints_every_grid_label() -> None:
    labels = AlwaysOpen().expected_labels(pd.Timestamp("2024-01-06 23:58:30"), pd.Timestamp("2024-01-07 00:02"), "1min")
    assert labels.equals(utc("2024-01-06 23:59", "2024-01-07 00:00", "2024-01-07 00:01", "2024-01-07 00:02"))
    assert AlwaysOpen().is_open(utc("2024-01-06 12:00", "2024-01-06 12:00:01"), "1min").tolist() == [
        True,
        False,
    ]
    assert len(AlwaysOpen().expected_labels(pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-31"), "1D")) == 366


def test_calendars_are_found_by_name_and_by_asset_class() -> None:
    assert get_calendar("XNYS") == ExchangeCalendar("XNYS")
    assert get_calendar("NYSE").name == "XNYS"  # exchange_calendars aliases resolve
    assert get_calendar("XLON").name == "XLON"
    assert get_calendar("FX") == FX24x5()
    assert get_calendar("24/7") == AlwaysOpen()
    assert [calendar_for_asset(a).name for a in ("equity", "fx", "crypto", "synthetic")] == [
        "XNYS",
        "FX",
        "24/7",
        "24/7",
    ]


def test_unknown_calendar_lists_the_valid_names() -> None:
    with pytest.raises(
        UnknownCalendar, match=r"unknown trading calendar 'MOON': use FX .*, 24/7, or one of .*XNYS"
    ) as caught:
        get_calendar("MOON")
    assert isinstance(caught.value, DataError)
    with pytest.raises(UnknownAssetClass, match="use one of equity, fx, crypto, synthetic"):
        calendar_for_asset("bonds")


@pytest.mark.parametrize(
    ("freq", "expected"),
    [
        ("1min", pd.Timedelta(minutes=1)),
        ("1h", pd.Timedelta(hours=1)),
        ("1D", pd.Timedelta(days=1)),
        ("D", pd.Timedelta(days=1)),
        ("W-FRI", pd.Timedelta(days=7)),
        (pd.Timedelta(minutes=5), pd.Timedelta(minutes=5)),
    ],
)
def test_frequencies_are_pandas_offset_strings_or_timedeltas(freq: str, expected: pd.Timedelta) -> None:
    assert parse_freq(freq) == expected


@pytest.mark.parametrize("freq", ["1x", "0min", "-1h", "1ME", "B"])
def test_unusable_frequencies_are_rejected(freq: str) -> None:
    with pytest.raises(InvalidFrequency):
        parse_freq(freq)


def test_calendars_model_only_intraday_and_daily_bars() -> None:
    with pytest.raises(InvalidFrequency, match="not '1W'"):
        AlwaysOpen().expected_labels(pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-01"), "1W")
    with pytest.raises(InvalidFrequency, match="whole minutes"):
        ExchangeCalendar("XNYS").is_open(utc("2024-01-02 14:30"), "30s")


def test_xnys_before_exchange_calendars_default_window_is_covered() -> None:
    labels = ExchangeCalendar("XNYS").expected_labels(pd.Timestamp("1987-10-16"), pd.Timestamp("1987-10-20"), "1D")
    assert labels.equals(utc("1987-10-16", "1987-10-19", "1987-10-20"))


def test_exchange_labels_in_absurd_years_are_closed_without_building_a_calendar() -> None:
    labels = utc("2150-01-02 14:30", "1850-01-02 14:30", "2024-01-02 14:30")
    assert ExchangeCalendar("XNYS").is_open(labels, "1min").tolist() == [False, False, True]


def test_importing_calendars_builds_nothing() -> None:
    code = "import sys, quantdesk.data.calendars; print('exchange_calendars' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_expected_labels_are_utc_nanosecond_labels_named_ts() -> None:
    for calendar in (AlwaysOpen(), FX24x5(), ExchangeCalendar("XNYS")):
        labels = calendar.expected_labels(pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-03"), "1h")
        assert (labels.name, str(labels.dtype)) == ("ts", "datetime64[ns, UTC]")
        assert np.all(np.diff(labels.asi8) > 0)

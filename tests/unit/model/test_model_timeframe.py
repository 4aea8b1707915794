from datetime import timedelta

import pandas as pd
import pytest

from quantdesk.model import InvalidTimeframe, Timeframe


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("1m", "1m"),
        ("5m", "5m"),
        ("15m", "15m"),
        ("30m", "30m"),
        ("1h", "1h"),
        ("4h", "4h"),
        ("1d", "1d"),
        ("1w", "1w"),
        ("1min", "1m"),
        ("1Min", "1m"),
        ("5 minutes", "5m"),
        ("60m", "1h"),
        ("120min", "2h"),
        ("1H", "1h"),
        ("1 hour", "1h"),
        ("hourly", "1h"),
        ("1D", "1d"),
        ("1Day", "1d"),
        ("D", "1d"),
        ("daily", "1d"),
        (" Daily ", "1d"),
        ("1W", "1w"),
        ("1 week", "1w"),
        ("weekly", "1w"),
        ("W-MON", "1w"),
    ],
)
def test_timeframe_parses_to_its_canonical_form(text: str, canonical: str) -> None:
    assert str(Timeframe.parse(text)) == canonical


@pytest.mark.parametrize(
    "text",
    ["", "0m", "-5m", "1.5h", "1M", "5M", "24h", "1440m", "2d", "2w", "1mo", "1y", "1s", "abc", "5 m x"],
)
def test_bad_timeframe_is_refused_with_valid_examples(text: str) -> None:
    with pytest.raises(InvalidTimeframe, match=r"valid examples: 1m, 5m, 15m, 30m, 1h, 4h, 1d, 1w"):
        Timeframe.parse(text)


def test_capital_m_is_refused_as_ambiguous() -> None:
    with pytest.raises(InvalidTimeframe, match="ambiguous"):
        Timeframe.parse("1M")


def test_timeframe_that_is_not_a_str_is_refused() -> None:
    with pytest.raises(InvalidTimeframe, match="expected a str"):
        Timeframe.parse(5)  # type: ignore[arg-type]


def test_parse_returns_a_timeframe_unchanged() -> None:
    timeframe = Timeframe(4, "h")
    assert Timeframe.parse(timeframe) is timeframe


def test_constructor_normalizes_minutes_to_hours() -> None:
    assert Timeframe(60, "m") == Timeframe(1, "h")
    assert (Timeframe(180, "m").amount, Timeframe(180, "m").unit) == (3, "h")


@pytest.mark.parametrize(("amount", "unit"), [(0, "m"), (90, "m"), (1, "s"), (True, "m"), (1.0, "h"), (2, "d")])
def test_constructor_refuses_non_canonical_amounts_and_units(amount: object, unit: str) -> None:
    with pytest.raises(InvalidTimeframe):
        Timeframe(amount, unit)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "amount", "unit", "seconds", "pandas_freq", "intraday"),
    [
        ("1m", 1, "m", 60, "1min", True),
        ("5m", 5, "m", 300, "5min", True),
        ("15m", 15, "m", 900, "15min", True),
        ("30m", 30, "m", 1_800, "30min", True),
        ("1h", 1, "h", 3_600, "1h", True),
        ("4h", 4, "h", 14_400, "4h", True),
        ("1d", 1, "d", 86_400, "1D", False),
        ("1w", 1, "w", 604_800, "W-MON", False),
    ],
)
def test_timeframe_attributes(
    text: str, amount: int, unit: str, seconds: int, pandas_freq: str, intraday: bool
) -> None:
    timeframe = Timeframe.parse(text)
    assert (timeframe.amount, timeframe.unit, timeframe.seconds) == (amount, unit, seconds)
    assert timeframe.duration == timedelta(seconds=seconds)
    assert timeframe.pandas_freq == pandas_freq
    assert timeframe.is_intraday is intraday
    assert Timeframe.parse(pandas_freq) == timeframe


@pytest.mark.parametrize("text", ["1m", "5m", "15m", "30m", "1h", "4h", "1d"])
def test_pandas_freq_is_a_pandas_offset_of_the_same_length(text: str) -> None:
    timeframe = Timeframe.parse(text)
    start = pd.Timestamp("2024-03-04 09:30", tz="UTC")
    offset = pd.tseries.frequencies.to_offset(timeframe.pandas_freq)
    assert start + offset == start + timeframe.duration


def test_weekly_pandas_freq_resamples_into_weeks_labelled_on_monday() -> None:
    index = pd.date_range("2024-01-01", periods=14, freq="1D", tz="UTC")
    weekly = pd.Series(range(14), index=index).resample("W-MON", label="left", closed="left").sum()
    assert list(weekly.index.day_name()) == ["Monday", "Monday"]
    assert list(weekly) == [21, 70]


def test_timeframes_order_by_length() -> None:
    texts = ["1w", "1m", "1d", "4h", "30m", "1h", "5m", "15m"]
    ordered = sorted(Timeframe.parse(t) for t in texts)
    assert [str(t) for t in ordered] == ["1m", "5m", "15m", "30m", "1h", "4h", "1d", "1w"]
    assert Timeframe.parse("1h") > Timeframe.parse("30m")
    assert Timeframe.parse("1d") <= Timeframe.parse("1d")


def test_timeframe_is_hashable_and_equal_by_value() -> None:
    assert {Timeframe.parse("60m"), Timeframe.parse("1h"), Timeframe(1, "h")} == {Timeframe(1, "h")}

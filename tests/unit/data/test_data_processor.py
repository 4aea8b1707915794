"""The live cycle's data processor: bad bars are quarantined and never reach the window."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from quantdesk.data.calendars import get_calendar
from quantdesk.data.processor import BarProcessor, bar_defects
from quantdesk.data.validation import Defect
from quantdesk.model import Bar, Symbol, Timeframe

DAY = Timeframe.parse("1d")


def bar(
    day: int, o: float = 10, h: float = 11, low: float = 9, c: float = 10.5, v: float = 100, sym: str = "ABC"
) -> Bar:
    return Bar(Symbol(sym), DAY, datetime(2024, 1, day, tzinfo=UTC), o, h, low, c, v)


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        (bar(3), []),
        (bar(3, c=float("nan")), [Defect.MISSING_VALUE]),
        (bar(3, low=-1), [Defect.NON_POSITIVE_PRICE]),
        (bar(3, h=10.2), [Defect.HIGH_BELOW_OPEN_CLOSE]),
        (bar(3, low=10.2), [Defect.LOW_ABOVE_OPEN_CLOSE]),
        (bar(3, h=8, low=12), [Defect.HIGH_BELOW_OPEN_CLOSE, Defect.LOW_ABOVE_OPEN_CLOSE, Defect.HIGH_BELOW_LOW]),
        (bar(3, v=-1), [Defect.NEGATIVE_VOLUME]),
        (bar(2), [Defect.DUPLICATE_TIMESTAMP]),
        (bar(1), [Defect.OUT_OF_ORDER]),
    ],
)
def test_each_rule_of_the_validator_applies_to_one_bar(candidate: Bar, expected: list[Defect]) -> None:
    assert bar_defects(candidate, datetime(2024, 1, 2, tzinfo=UTC)) == expected


def test_a_bad_bar_is_quarantined_and_not_added_to_the_window() -> None:
    processor = BarProcessor(["ABC"], capacity=3, calendar=get_calendar("XNYS"), freq="1D")
    assert processor.accept(bar(2)) is None
    refused = processor.accept(bar(3, low=-5))
    assert refused is not None
    assert refused.reason == "non_positive_price"
    weekend = processor.accept(bar(6))  # a Saturday
    assert weekend is not None
    assert weekend.reasons == (Defect.OUTSIDE_SESSION,)
    assert processor.accept(bar(3)) is None  # the good bar for the 3rd still comes in
    assert processor.count("ABC") == 2
    assert [q.reason for q in processor.quarantined] == ["non_positive_price", "outside_session"]


def test_the_window_keeps_the_last_bars_of_every_symbol_as_a_panel() -> None:
    processor = BarProcessor(["ABC", "XYZ"], capacity=2)
    for day in (2, 3, 4):
        processor.accept(bar(day, c=float(day), o=float(day), h=day + 1.0, low=day - 1.0))
        processor.accept(bar(day, c=10.0 * day, o=10.0 * day, h=10.0 * day + 1, low=10.0 * day - 1, sym="XYZ"))
    assert processor.ready(2)
    assert not processor.ready(3)
    window = processor.window()
    assert list(window.index) == [pd.Timestamp("2024-01-03", tz="UTC"), pd.Timestamp("2024-01-04", tz="UTC")]
    assert window["close"].to_dict("list") == {"ABC": [3.0, 4.0], "XYZ": [30.0, 40.0]}


def test_a_bar_of_an_unknown_symbol_is_an_error() -> None:
    with pytest.raises(KeyError, match="XYZ is not traded here"):
        BarProcessor(["ABC"], capacity=2).accept(bar(2, sym="XYZ"))

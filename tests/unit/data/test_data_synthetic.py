"""Synthetic bars: reproducible, OHLC-consistent, clean by validation, and always labelled synthetic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantdesk.data.calendars import ExchangeCalendar, get_calendar
from quantdesk.data.errors import DataError, SyntheticSymbolError
from quantdesk.data.synthetic import synthetic_bars
from quantdesk.data.validation import validate


def test_same_seed_gives_the_identical_frame_and_another_seed_a_different_one() -> None:
    first, again, other = (
        synthetic_bars(1_000, seed=7),
        synthetic_bars(1_000, seed=7),
        synthetic_bars(1_000, seed=8),
    )
    pd.testing.assert_frame_equal(first, again)
    assert first.attrs == again.attrs
    assert not np.allclose(first["close"].to_numpy(), other["close"].to_numpy())


def test_bars_are_ohlc_consistent_positive_and_continuous() -> None:
    bars = synthetic_bars(100_000, volatility=0.8, seed=3)
    o, h, low, c, v = (bars[k].to_numpy() for k in ("open", "high", "low", "close", "volume"))
    assert (h >= np.maximum(o, c)).all()
    assert (low <= np.minimum(o, c)).all()
    assert (low > 0).all()
    assert (v >= 1).all()
    assert (v == np.floor(v)).all()
    assert o[0] == 100.0
    assert (o[1:] == c[:-1]).all()  # each bar opens at the previous close


def test_frame_is_a_canonical_synthetic_bar_frame() -> None:
    bars = synthetic_bars(3, symbol="SPY.SYNTH", freq="1h", start="2024-01-02 14:30")
    assert list(bars.columns) == ["open", "high", "low", "close", "volume"]
    assert (bars.dtypes == "float64").all()
    assert bars.index.equals(pd.DatetimeIndex(["2024-01-02 15:00", "2024-01-02 16:00", "2024-01-02 17:00"], tz="UTC"))
    assert (bars.index.name, str(bars.index.dtype)) == ("ts", "datetime64[ns, UTC]")
    assert bars.attrs == {"symbol": "SPY.SYNTH", "timeframe": "1h", "synthetic": True}


def test_validation_finds_synthetic_bars_clean() -> None:
    bars = synthetic_bars(50_000, seed=11)
    report = validate(bars, freq="1min", calendar=get_calendar("24/7"))
    assert report.ok
    pd.testing.assert_frame_equal(report.clean, bars)


def test_bars_on_an_exchange_calendar_skip_closed_hours_and_validate_clean() -> None:
    bars = synthetic_bars(391, calendar="XNYS", start="2024-01-02 14:30")
    assert bars.index[389] == pd.Timestamp("2024-01-02 20:59", tz="UTC")
    assert bars.index[390] == pd.Timestamp("2024-01-03 14:30", tz="UTC")
    assert validate(bars, freq="1min", calendar=ExchangeCalendar("XNYS")).ok


def test_volatility_is_annualised_over_the_calendars_bars() -> None:
    bars = synthetic_bars(200_000, freq="1h", volatility=0.3, seed=5)
    log_returns = np.diff(np.log(bars["close"].to_numpy()))
    assert np.std(log_returns) * np.sqrt(365.25 * 24) == pytest.approx(0.3, rel=0.01)


def test_a_symbol_that_hides_the_synthetic_nature_is_rejected() -> None:
    with pytest.raises(
        SyntheticSymbolError, match=r"containing 'SYNTH'.*never mistaken for real market data; got 'AAPL'"
    ) as caught:
        synthetic_bars(10, symbol="AAPL")
    assert isinstance(caught.value, DataError)


@pytest.mark.parametrize("kwargs", [{"n": -1}, {"n": 5, "price": 0.0}, {"n": 5, "volatility": -0.1}])
def test_impossible_parameters_are_rejected(kwargs: dict[str, float]) -> None:
    with pytest.raises(DataError):
        synthetic_bars(**kwargs)  # type: ignore[arg-type]


def test_zero_bars_give_an_empty_canonical_frame() -> None:
    bars = synthetic_bars(0)
    assert bars.empty
    assert list(bars.columns) == ["open", "high", "low", "close", "volume"]
    assert bars.attrs["synthetic"] is True

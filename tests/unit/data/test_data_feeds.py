"""Feed handlers: replay of stored bars (at a chosen pace) and the live-like synthetic feed."""

from __future__ import annotations

import itertools

import pytest

from quantdesk.data.feeds import ReplayFeed, SyntheticFeed
from quantdesk.data.panel import load_panel


def test_replay_yields_every_symbols_bar_in_time_order(bundled_catalog) -> None:
    bars = load_panel(bundled_catalog, ["MSFT", "IBM"], "1d", "2003-02-12", "2003-02-19", adjustment="raw")
    slices = list(ReplayFeed(bars, "1d"))
    assert [s[0].ts.date().isoformat() for s in slices] == [
        "2003-02-12",
        "2003-02-13",
        "2003-02-14",
        "2003-02-18",
        "2003-02-19",
    ]
    assert [str(b.symbol) for b in slices[3]] == ["MSFT", "IBM"]
    assert slices[3][0].close == bars["close"]["MSFT"].iloc[3]


def test_replay_paces_bars_by_speed(bundled_catalog) -> None:
    bars = load_panel(bundled_catalog, ["MSFT"], "1d", "2003-02-12", "2003-02-19", adjustment="raw")
    pauses: list[float] = []
    list(ReplayFeed(bars, "1d", speed=86_400 * 10, sleep=pauses.append))
    assert pauses == [pytest.approx(0.1)] * 4  # a day per 0.1 s, no pause before the first bar


def test_replay_refuses_a_non_positive_speed(bundled_catalog) -> None:
    bars = load_panel(bundled_catalog, ["MSFT"], "1d", "2003-02-12", "2003-02-19", adjustment="raw")
    with pytest.raises(ValueError, match="replay speed must be positive"):
        ReplayFeed(bars, "1d", speed=0)


def test_synthetic_feed_is_seeded_continuous_and_labelled() -> None:
    first = list(SyntheticFeed(["A.SYNTH", "B.SYNTH"], "1m", count=25, seed=3, chunk=10))
    again = list(SyntheticFeed(["A.SYNTH", "B.SYNTH"], "1m", count=25, seed=3, chunk=10))
    assert first == again
    assert len(first) == 25
    times = [s[0].ts for s in first]
    assert all((b - a).total_seconds() == 60 for a, b in itertools.pairwise(times))
    assert all(str(s[1].symbol) == "B.SYNTH" for s in first)
    assert first[10][0].open != 100.0  # chunks continue the walk instead of restarting it

"""Lookahead check: every strategy is causal on bundled daily data; one peeking at tomorrow is caught."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from quantdesk.data.catalog import Catalog
from quantdesk.data.panel import load_panel
from quantdesk.strategy import Params, Strategy, check_causality, get_strategy, list_strategies

ReadDaily = Callable[[tuple[str, ...]], pd.DataFrame]


class PeekParams(Params):
    pass


class PeeksAtTomorrow(Strategy[PeekParams]):
    """Long when tomorrow's close is higher than today's (impossible to trade: it reads the future)."""

    name: ClassVar[str] = "peeks_at_tomorrow"
    params_model: ClassVar[type[Params]] = PeekParams

    @property
    def warmup(self) -> int:
        return 5

    def target(self, bars: pd.DataFrame) -> pd.DataFrame:
        close = bars["close"][list(self.symbols)]
        return np.sign(close.shift(-1) - close).astype(np.float64)


@pytest.fixture(scope="module")
def daily(bundled_catalog: Catalog) -> ReadDaily:
    def read(symbols: tuple[str, ...]) -> pd.DataFrame:
        return load_panel(bundled_catalog, list(symbols), "1d", adjustment="adjusted")

    return read


@pytest.mark.parametrize("name", [info.name for info in list_strategies()])
def test_every_strategy_is_causal_on_bundled_daily_data(daily: ReadDaily, name: str) -> None:
    strategy = get_strategy(name)()
    bars = daily(strategy.symbols)
    report = check_causality(strategy, bars)
    assert report.ok, report.summary()
    assert len(report.checked) == 20
    assert report.checked[-1] == bars.index[-1]


@pytest.mark.parametrize(
    "strategy",
    [
        get_strategy("trend_following")(kind="ema", allow_short=True),
        get_strategy("mean_reversion")(allow_short=True, window=50),
        get_strategy("pairs_arbitrage")(symbols=["AAPL", "GOOG"], hedge_window=120),
    ],
    ids=repr,
)
def test_non_default_variants_are_causal_too(daily: ReadDaily, strategy: Strategy) -> None:
    assert check_causality(strategy, daily(strategy.symbols), samples=10, seed=7).ok


def test_a_strategy_reading_tomorrows_close_is_caught_at_the_first_checked_bar(daily: ReadDaily) -> None:
    bars = daily(("MSFT",))
    leaky = PeeksAtTomorrow()
    report = check_causality(leaky, bars, samples=len(bars))  # every bar from the end of the warmup
    assert not report.ok
    assert report.first_leak == bars.index[4]
    assert report.checked == (bars.index[4],)
    assert report.truncated == {"MSFT": pytest.approx(np.nan, nan_ok=True)}
    assert report.full == {"MSFT": float(np.sign(bars["close"]["MSFT"].iloc[5] - bars["close"]["MSFT"].iloc[4]))}
    assert report.summary().startswith(f"lookahead at {bars.index[4]}: full history gives")


def test_with_sampling_the_leak_is_reported_at_the_first_sampled_bar(daily: ReadDaily) -> None:
    bars = daily(("MSFT",))
    report = check_causality(PeeksAtTomorrow(), bars, samples=20, seed=3)
    assert len(report.checked) == 1
    assert report.first_leak == report.checked[0]
    assert bars.index[4] <= report.first_leak < bars.index[-1]

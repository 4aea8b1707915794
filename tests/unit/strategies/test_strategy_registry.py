"""Finding strategies by name or by ``module:Class``, and the symbol count they trade."""

from __future__ import annotations

import pytest

from quantdesk.strategy import StrategyError, UnknownStrategy, get_strategy, list_strategies
from strategies.buy_and_hold import BuyAndHold
from strategies.pairs_arbitrage import PairsArbitrage
from strategies.trend_following import TrendFollowing

NAMES = ["buy_and_hold", "mean_reversion", "pairs_arbitrage", "regime_selector", "trend_following"]


def test_list_strategies_names_exactly_the_bundled_strategies() -> None:
    assert [info.name for info in list_strategies()] == NAMES


def test_list_strategies_shows_symbols_params_and_path() -> None:
    infos = {info.name: info for info in list_strategies()}
    assert infos["pairs_arbitrage"].default_symbols == ("MSFT", "IBM")
    assert infos["trend_following"].params == {"fast": 10, "slow": 30, "kind": "sma", "allow_short": False}
    assert infos["trend_following"].path == "strategies.trend_following:TrendFollowing"
    assert infos["buy_and_hold"].params == {}


@pytest.mark.parametrize("name", NAMES)
def test_get_strategy_by_name_gives_the_class_of_that_name(name: str) -> None:
    assert get_strategy(name).name == name


def test_get_strategy_by_module_and_class() -> None:
    assert get_strategy("strategies.trend_following:TrendFollowing") is TrendFollowing


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(UnknownStrategy) as excinfo:
        get_strategy("trend_folowing")
    assert str(excinfo.value) == (
        "unknown strategy 'trend_folowing': choose one of buy_and_hold, mean_reversion, "
        "pairs_arbitrage, regime_selector, trend_following, or give 'module:Class'"
    )


def test_unimportable_module_path_is_an_unknown_strategy() -> None:
    with pytest.raises(UnknownStrategy, match=r"cannot import module 'strategies\.nope'"):
        get_strategy("strategies.nope:Nope")
    with pytest.raises(UnknownStrategy, match=r"'strategies\.trend_following:Nope' is not a Strategy class"):
        get_strategy("strategies.trend_following:Nope")


def test_a_pair_strategy_given_one_symbol_is_refused() -> None:
    with pytest.raises(StrategyError) as excinfo:
        PairsArbitrage(symbols=["MSFT"])
    assert str(excinfo.value) == "pairs_arbitrage trades 2 symbol(s) at once, got 1: MSFT"


def test_a_single_symbol_strategy_given_two_is_refused() -> None:
    with pytest.raises(StrategyError, match="trend_following trades 1 symbol"):
        TrendFollowing(symbols=["MSFT", "IBM"])


def test_symbols_are_upper_cased_and_may_be_one_string() -> None:
    assert TrendFollowing(symbols=["msft"]).symbols == ("MSFT",)
    assert TrendFollowing(symbols="aapl").symbols == ("AAPL",)
    assert PairsArbitrage(symbols="MSFT, ibm").symbols == ("MSFT", "IBM")


def test_repr_shows_params_and_symbols() -> None:
    assert repr(BuyAndHold()) == "BuyAndHold(symbols=['MSFT'])"
    assert (
        repr(TrendFollowing(fast=5))
        == "TrendFollowing(fast=5, slow=30, kind='sma', allow_short=False, symbols=['MSFT'])"
    )

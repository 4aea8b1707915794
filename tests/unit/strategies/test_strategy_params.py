"""Strategy parameters: frozen, unknown names refused with the valid ones listed, ranges and rules checked."""

from __future__ import annotations

import pydantic
import pytest

from quantdesk.strategy import InvalidParams, StrategyInfo, list_strategies
from strategies.mean_reversion import MeanReversion
from strategies.pairs_arbitrage import PairsArbitrage
from strategies.regime_selector import RegimeSelector
from strategies.trend_following import TrendFollowing


def test_unknown_parameter_is_named_with_the_valid_ones() -> None:
    with pytest.raises(InvalidParams) as excinfo:
        TrendFollowing(fsat=5)
    assert str(excinfo.value) == (
        "invalid parameters for TrendFollowingParams: unknown parameter 'fsat' (valid: fast, slow, kind, allow_short)"
    )


def test_slow_not_above_fast_is_refused_with_both_values() -> None:
    with pytest.raises(InvalidParams) as excinfo:
        TrendFollowing(fast=30, slow=10)
    assert str(excinfo.value) == "invalid parameters for TrendFollowingParams: slow (10) must be greater than fast (30)"
    with pytest.raises(InvalidParams, match=r"slow \(20\) must be greater than fast \(20\)"):
        TrendFollowing(fast=20, slow=20)


def test_with_params_validates_again() -> None:
    with pytest.raises(InvalidParams, match=r"slow \(5\) must be greater than fast \(10\)"):
        TrendFollowing().with_params(slow=5)
    assert TrendFollowing().with_params(fast=5).params.fast == 5


@pytest.mark.parametrize(
    ("cls", "overrides", "message"),
    [
        (TrendFollowing, {"fast": 0}, "fast: Input should be greater than or equal to 1"),
        (TrendFollowing, {"slow": 1, "fast": 1}, "slow: Input should be greater than or equal to 2"),
        (TrendFollowing, {"kind": "wma"}, "kind: Input should be 'sma' or 'ema'"),
        (MeanReversion, {"window": 1}, "window: Input should be greater than or equal to 2"),
        (MeanReversion, {"entry": 0.0}, "entry: Input should be greater than 0"),
        (MeanReversion, {"exit": -0.1}, "exit: Input should be greater than or equal to 0"),
        (MeanReversion, {"exit": 2.0}, "exit (2.0) must be less than entry (2.0)"),
        (PairsArbitrage, {"hedge_window": 9}, "hedge_window: Input should be greater than or equal to 10"),
        (PairsArbitrage, {"z_window": 4}, "z_window: Input should be greater than or equal to 5"),
        (PairsArbitrage, {"gross": 0.0}, "gross: Input should be greater than 0"),
        (PairsArbitrage, {"gross": 2.5}, "gross: Input should be less than or equal to 2"),
        (PairsArbitrage, {"stop": 2.0}, "stop (2.0) must be greater than entry (2.0)"),
        (PairsArbitrage, {"exit": 3.0, "stop": 5.0}, "exit (3.0) must be less than entry (2.0)"),
        (RegimeSelector, {"regime_window": 39}, "regime_window: Input should be greater than or equal to 40"),
        (RegimeSelector, {"turbulence": 1.5}, "turbulence: Input should be less than or equal to 1"),
        (RegimeSelector, {"fast": 30, "slow": 30}, "slow (30) must be greater than fast (30)"),
        (
            RegimeSelector,
            {"revert_threshold": 0.6},
            "revert_threshold (0.6) must be at most trend_threshold (0.55)",
        ),
    ],
)
def test_out_of_range_and_inconsistent_values_are_refused_with_a_clear_message(
    cls: type, overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidParams) as excinfo:
        cls(**overrides)
    assert str(excinfo.value) == f"invalid parameters for {cls.params_model.__name__}: {message}"


def test_several_problems_are_reported_together() -> None:
    with pytest.raises(InvalidParams) as excinfo:
        MeanReversion(window=0, entry=-1, bogus=1)
    message = str(excinfo.value)
    assert "window: Input should be greater than or equal to 2" in message
    assert "entry: Input should be greater than 0" in message
    assert "unknown parameter 'bogus' (valid: window, entry, exit, allow_short)" in message


def test_params_are_frozen() -> None:
    strategy = TrendFollowing()
    with pytest.raises(pydantic.ValidationError):
        strategy.params.fast = 3  # type: ignore[misc]


@pytest.mark.parametrize("info", list_strategies(), ids=lambda info: info.name)
def test_every_strategy_has_defaults_for_all_parameters_and_a_one_line_summary(info: StrategyInfo) -> None:
    model = info.cls.params_model
    assert model.model_config["frozen"] is True
    assert model.model_config["extra"] == "forbid"
    assert all(not field.is_required() for field in model.model_fields.values())
    assert info.params == {name: field.default for name, field in model.model_fields.items()}
    assert info.cls.__doc__.strip() == info.summary
    assert "\n" not in info.summary
    assert info.cls.__module__ == f"strategies.{info.name}"
    strategy = info.cls()
    assert len(strategy.symbols) == info.cls.symbol_count
    assert strategy.warmup >= 1

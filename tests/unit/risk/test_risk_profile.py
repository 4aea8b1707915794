"""The risk profile: defaults, validation with clear messages, and a JSON-safe round trip for persistence."""

from __future__ import annotations

import json
from decimal import Decimal

import pydantic
import pytest

from quantdesk.model import QuantdeskError, Symbol
from quantdesk.risk import InvalidRiskProfile, RiskProfile


def test_defaults_are_unlevered_long_only_with_a_ten_percent_collar() -> None:
    profile = RiskProfile()
    assert profile.max_weight_per_symbol == Decimal(1)
    assert profile.max_gross_exposure == Decimal(1)
    assert profile.max_order_notional is None
    assert profile.max_orders_per_minute == 60
    assert profile.price_collar_pct == Decimal("0.10")
    assert profile.duplicate_window_seconds == 0
    assert profile.max_daily_loss is None
    assert profile.max_drawdown is None
    assert profile.allowed_symbols == frozenset()
    assert profile.allow_short is False
    assert (profile.stop_loss_pct, profile.take_profit_pct, profile.trailing_stop_pct) == (None, None, None)


def test_float_fractions_are_read_exactly_as_written() -> None:
    profile = RiskProfile(max_weight_per_symbol=0.1, max_daily_loss=0.03, max_order_notional=2500.5)
    assert profile.max_weight_per_symbol == Decimal("0.1")
    assert profile.max_daily_loss == Decimal("0.03")
    assert profile.max_order_notional == Decimal("2500.5")


def test_gross_exposure_of_ten_is_refused_with_the_limit_and_what_it_means() -> None:
    with pytest.raises(InvalidRiskProfile) as excinfo:
        RiskProfile(max_gross_exposure=10)
    assert str(excinfo.value) == (
        "invalid risk profile: max_gross_exposure must be at most 4, got 10 "
        "(Σ |position| × price / equity after the order; 1 = unlevered, at most 4)"
    )
    assert isinstance(excinfo.value, QuantdeskError)
    assert isinstance(excinfo.value, ValueError)


def test_gross_exposure_of_four_is_the_largest_accepted() -> None:
    assert RiskProfile(max_gross_exposure=4).max_gross_exposure == Decimal(4)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"max_weight_per_symbol": 0}, "max_weight_per_symbol must be greater than 0, got 0"),
        ({"max_order_notional": -5}, "max_order_notional must be greater than 0, got -5"),
        ({"max_orders_per_minute": 0}, "max_orders_per_minute must be at least 1, got 0"),
        ({"price_collar_pct": 1.5}, "price_collar_pct must be at most 1, got 1.5"),
        ({"duplicate_window_seconds": -1}, "duplicate_window_seconds must be at least 0, got -1"),
        ({"max_daily_loss": 1}, "max_daily_loss must be less than 1, got 1"),
        ({"max_drawdown": 0}, "max_drawdown must be greater than 0, got 0"),
        ({"stop_loss_pct": 1.2}, "stop_loss_pct must be less than 1, got 1.2"),
        ({"trailing_stop_pct": -0.1}, "trailing_stop_pct must be greater than 0, got -0.1"),
        ({"take_profit_pct": 11}, "take_profit_pct must be at most 10, got 11"),
        ({"max_orders_per_minute": "many"}, "max_orders_per_minute must be a valid integer"),
    ],
)
def test_out_of_range_values_are_refused_naming_field_rule_and_value(fields: dict, message: str) -> None:
    with pytest.raises(InvalidRiskProfile, match=r"^invalid risk profile: ") as excinfo:
        RiskProfile(**fields)
    assert message in str(excinfo.value)


def test_unknown_field_is_named_with_the_valid_ones() -> None:
    with pytest.raises(InvalidRiskProfile) as excinfo:
        RiskProfile(max_weight=0.5)
    assert str(excinfo.value).startswith(
        "invalid risk profile: unknown field 'max_weight' (valid: max_weight_per_symbol, max_gross_exposure, "
    )


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(InvalidRiskProfile) as excinfo:
        RiskProfile(max_drawdown=2, max_orders_per_minute=0)
    assert "max_orders_per_minute must be at least 1" in str(excinfo.value)
    assert "max_drawdown must be less than 1" in str(excinfo.value)


def test_allowed_symbols_are_symbols_from_a_list_or_a_comma_separated_text() -> None:
    expected = frozenset({Symbol("MSFT"), Symbol("BRK.B")})
    assert RiskProfile(allowed_symbols=["msft", "BRK.B"]).allowed_symbols == expected
    assert RiskProfile(allowed_symbols="msft, brk.b").allowed_symbols == expected
    assert RiskProfile(allowed_symbols=[Symbol("MSFT"), "brk.b"]).allowed_symbols == expected


def test_a_malformed_symbol_is_refused() -> None:
    with pytest.raises(InvalidRiskProfile, match="allowed_symbols: Symbol must not contain whitespace"):
        RiskProfile(allowed_symbols=["MS FT"])


def test_profile_is_frozen() -> None:
    profile = RiskProfile()
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        profile.allow_short = True  # type: ignore[misc]


def test_to_dict_is_json_safe_with_decimals_as_text() -> None:
    profile = RiskProfile(
        max_weight_per_symbol="0.25",
        max_order_notional=Decimal("100000.00"),
        max_daily_loss=0.05,
        allowed_symbols=["SPY", "MSFT"],
        allow_short=True,
        trailing_stop_pct=0.1,
    )
    data = profile.to_dict()
    assert data == {
        "max_weight_per_symbol": "0.25",
        "max_gross_exposure": "1",
        "max_order_notional": "100000.00",
        "max_orders_per_minute": 60,
        "price_collar_pct": "0.10",
        "duplicate_window_seconds": 0,
        "max_daily_loss": "0.05",
        "max_drawdown": None,
        "allowed_symbols": ["MSFT", "SPY"],
        "allow_short": True,
        "stop_loss_pct": None,
        "take_profit_pct": None,
        "trailing_stop_pct": "0.1",
    }
    assert json.loads(json.dumps(data)) == data


def test_from_dict_round_trips_to_an_equal_profile() -> None:
    profile = RiskProfile(
        max_gross_exposure=2,
        max_order_notional=Decimal("12345.67"),
        price_collar_pct=None,
        duplicate_window_seconds=30,
        max_drawdown=0.2,
        allowed_symbols=["IBM"],
        stop_loss_pct=0.05,
        take_profit_pct=0.3,
    )
    again = RiskProfile.from_dict(json.loads(json.dumps(profile.to_dict())))
    assert again == profile
    assert again.to_dict() == profile.to_dict()


def test_from_dict_validates_like_the_constructor() -> None:
    with pytest.raises(InvalidRiskProfile, match="max_gross_exposure must be at most 4, got '10'"):
        RiskProfile.from_dict({"max_gross_exposure": "10"})

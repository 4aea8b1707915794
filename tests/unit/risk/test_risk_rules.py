"""Pre-trade rules: each passes at its limit and denies just beyond it, with the exact reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from quantdesk.model import ClientOrderId, OrderSide, OrderType, SubmitOrder, Symbol
from quantdesk.risk import (
    AllowedSymbols,
    DuplicateOrder,
    MaxGrossExposure,
    MaxOrderNotional,
    MaxOrdersPerMinute,
    MaxWeightPerSymbol,
    PriceCollar,
    RiskContext,
    RiskProfile,
    ShortingAllowed,
    is_risk_reducing,
)

NOW = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)
MSFT, SPY = Symbol("MSFT"), Symbol("SPY")


def order(
    side: str = "buy",
    quantity: int | str = 10,
    symbol: str = "MSFT",
    order_type: OrderType = OrderType.MARKET,
    **prices: Any,
) -> SubmitOrder:
    return SubmitOrder(
        client_order_id=ClientOrderId("dep:20240304T150000:MSFT:target"),
        symbol=Symbol(symbol),
        side=OrderSide(side),
        order_type=order_type,
        quantity=Decimal(quantity),
        ts=NOW,
        **{name: Decimal(value) for name, value in prices.items()},
    )


def ctx(**fields: Any) -> RiskContext:
    fields.setdefault("equity", Decimal(100_000))
    fields.setdefault("last_prices", {MSFT: Decimal(100), SPY: Decimal(100)})
    return RiskContext(ts=NOW, **fields)


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


# --- MaxOrderNotional ------------------------------------------------------------------------------------


def test_order_notional_at_the_limit_passes() -> None:
    profile = RiskProfile(max_order_notional=100_000)
    assert MaxOrderNotional().check(order(quantity=1000), ctx(), profile) is None


def test_order_notional_beyond_the_limit_is_denied() -> None:
    profile = RiskProfile(max_order_notional=100_000)
    assert MaxOrderNotional().check(order(quantity=1500), ctx(), profile) == (
        "MSFT order notional 150,000.00 exceeds max_order_notional 100,000.00"
    )


def test_limit_order_notional_is_valued_at_its_limit_price() -> None:
    profile = RiskProfile(max_order_notional=100_000)
    limit_buy = order(quantity=1000, order_type=OrderType.LIMIT, limit_price="100.01")
    assert MaxOrderNotional().check(limit_buy, ctx(), profile) == (
        "MSFT order notional 100,010.00 exceeds max_order_notional 100,000.00"
    )


def test_market_order_without_a_last_price_cannot_be_valued_and_is_denied() -> None:
    profile = RiskProfile(max_order_notional=100_000)
    assert MaxOrderNotional().check(order(), ctx(last_prices={}), profile) == (
        "no last price for MSFT to check max_order_notional"
    )


def test_no_notional_limit_passes_any_size() -> None:
    assert MaxOrderNotional().check(order(quantity=10**9), ctx(), RiskProfile()) is None


# --- MaxWeightPerSymbol ----------------------------------------------------------------------------------


def test_weight_at_the_limit_passes() -> None:
    profile = RiskProfile(max_weight_per_symbol=0.5)
    assert MaxWeightPerSymbol().check(order(quantity=100), ctx(positions={MSFT: Decimal(400)}), profile) is None


def test_weight_beyond_the_limit_is_denied() -> None:
    profile = RiskProfile(max_weight_per_symbol=0.5)
    assert MaxWeightPerSymbol().check(order(quantity=101), ctx(positions={MSFT: Decimal(400)}), profile) == (
        "MSFT weight 50.10% of equity after the order exceeds max_weight_per_symbol 50.00%"
    )


def test_weight_counts_working_orders() -> None:
    profile = RiskProfile(max_weight_per_symbol=0.5)
    context = ctx(positions={MSFT: Decimal(400)}, open_orders_qty={MSFT: Decimal(50)})
    assert MaxWeightPerSymbol().check(order(quantity=50), context, profile) is None
    assert MaxWeightPerSymbol().check(order(quantity=51), context, profile) == (
        "MSFT weight 50.10% of equity after the order exceeds max_weight_per_symbol 50.00%"
    )


def test_weight_of_a_short_is_its_absolute_value() -> None:
    profile = RiskProfile(max_weight_per_symbol=0.5, allow_short=True)
    assert MaxWeightPerSymbol().check(order("sell", 600), ctx(), profile) == (
        "MSFT weight 60.00% of equity after the order exceeds max_weight_per_symbol 50.00%"
    )


def test_cutting_an_oversized_position_passes_even_while_still_over_the_limit() -> None:
    profile = RiskProfile(max_weight_per_symbol=0.5)
    assert MaxWeightPerSymbol().check(order("sell", 100), ctx(positions={MSFT: Decimal(800)}), profile) is None


def test_weight_without_positive_equity_is_denied() -> None:
    assert MaxWeightPerSymbol().check(order(), ctx(equity=Decimal(0)), RiskProfile()) == (
        "equity 0.00 is not positive: MSFT buy 10 would add exposure"
    )


# --- MaxGrossExposure ------------------------------------------------------------------------------------


def test_gross_exposure_at_the_limit_passes() -> None:
    positions = {MSFT: Decimal(300), SPY: Decimal(-200)}
    assert MaxGrossExposure().check(order(quantity=500), ctx(positions=positions), RiskProfile()) is None


def test_gross_exposure_beyond_the_limit_is_denied() -> None:
    positions = {MSFT: Decimal(300), SPY: Decimal(-200)}
    assert MaxGrossExposure().check(order(quantity=501), ctx(positions=positions), RiskProfile()) == (
        "gross exposure 100.10% of equity after the order exceeds max_gross_exposure 100.00%"
    )


def test_gross_exposure_may_be_levered_up_to_the_profile() -> None:
    profile = RiskProfile(max_gross_exposure=2, max_weight_per_symbol=2)
    assert MaxGrossExposure().check(order(quantity=2000), ctx(), profile) is None
    assert MaxGrossExposure().check(order(quantity=2001), ctx(), profile) == (
        "gross exposure 200.10% of equity after the order exceeds max_gross_exposure 200.00%"
    )


def test_gross_exposure_needs_a_price_for_every_holding() -> None:
    context = ctx(positions={SPY: Decimal(10)}, last_prices={MSFT: Decimal(100)})
    assert MaxGrossExposure().check(order(), context, RiskProfile()) == (
        "no last price for SPY to check max_gross_exposure"
    )


def test_closing_part_of_a_position_passes_while_gross_is_over_the_limit() -> None:
    context = ctx(positions={MSFT: Decimal(900), SPY: Decimal(900)})
    assert MaxGrossExposure().check(order("sell", 100), context, RiskProfile()) is None


# --- MaxOrdersPerMinute ----------------------------------------------------------------------------------


def test_orders_below_the_rate_limit_pass_and_the_one_beyond_is_denied() -> None:
    profile = RiskProfile(max_orders_per_minute=3)
    two = [(ago(30), MSFT, OrderSide.BUY, Decimal(1)), (ago(1), SPY, OrderSide.SELL, Decimal(2))]
    assert MaxOrdersPerMinute().check(order(), ctx(recent_orders=two), profile) is None
    three = [(ago(59.999), MSFT, OrderSide.BUY, Decimal(3)), *two]
    assert MaxOrdersPerMinute().check(order(), ctx(recent_orders=three), profile) == (
        "3 orders in the last minute already: one more exceeds max_orders_per_minute 3"
    )


def test_an_order_exactly_a_minute_old_has_left_the_rate_window() -> None:
    profile = RiskProfile(max_orders_per_minute=2)
    recent = [(ago(60), MSFT, OrderSide.BUY, Decimal(1)), (ago(1), SPY, OrderSide.SELL, Decimal(2))]
    assert MaxOrdersPerMinute().check(order(), ctx(recent_orders=recent), profile) is None


# --- PriceCollar -----------------------------------------------------------------------------------------


def test_limit_price_at_the_collar_passes() -> None:
    limit_buy = order(order_type=OrderType.LIMIT, limit_price="110")
    assert PriceCollar().check(limit_buy, ctx(), RiskProfile()) is None


def test_limit_price_beyond_the_collar_is_denied() -> None:
    limit_buy = order(order_type=OrderType.LIMIT, limit_price="110.01")
    assert PriceCollar().check(limit_buy, ctx(), RiskProfile()) == (
        "MSFT limit price 110.01 is 10.01% from last price 100.00, beyond price_collar_pct 10.00%"
    )


def test_stop_price_below_the_collar_is_denied() -> None:
    stop_sell = order("sell", order_type=OrderType.STOP, stop_price="89.99")
    context = ctx(positions={MSFT: Decimal(10)})
    assert (
        PriceCollar().check(order("sell", order_type=OrderType.STOP, stop_price="90"), context, RiskProfile()) is None
    )
    assert PriceCollar().check(stop_sell, context, RiskProfile()) == (
        "MSFT stop price 89.99 is 10.01% from last price 100.00, beyond price_collar_pct 10.00%"
    )


def test_stop_limit_checks_both_prices() -> None:
    stop_limit = order(order_type=OrderType.STOP_LIMIT, stop_price="105", limit_price="120")
    assert PriceCollar().check(stop_limit, ctx(), RiskProfile()) == (
        "MSFT limit price 120.00 is 20.00% from last price 100.00, beyond price_collar_pct 10.00%"
    )


def test_market_order_reference_price_beyond_the_collar_is_denied() -> None:
    context = ctx(reference_prices={MSFT: Decimal(111)})
    assert PriceCollar().check(order(), context, RiskProfile()) == (
        "MSFT reference price 111.00 is 11.00% from last price 100.00, beyond price_collar_pct 10.00%"
    )
    assert PriceCollar().check(order(), ctx(reference_prices={MSFT: Decimal(91)}), RiskProfile()) is None


def test_market_order_without_a_reference_price_has_nothing_to_collar() -> None:
    assert PriceCollar().check(order(), ctx(last_prices={}), RiskProfile()) is None


def test_limit_order_without_a_last_price_is_denied() -> None:
    limit_buy = order(order_type=OrderType.LIMIT, limit_price="100")
    assert PriceCollar().check(limit_buy, ctx(last_prices={}), RiskProfile()) == (
        "no last price for MSFT to check price_collar_pct"
    )


def test_collar_switched_off_passes_any_price() -> None:
    limit_buy = order(order_type=OrderType.LIMIT, limit_price="500")
    assert PriceCollar().check(limit_buy, ctx(), RiskProfile(price_collar_pct=None)) is None


# --- DuplicateOrder --------------------------------------------------------------------------------------


def test_same_symbol_side_and_quantity_within_the_window_is_a_duplicate() -> None:
    profile = RiskProfile(duplicate_window_seconds=5)
    recent = [(ago(4), MSFT, OrderSide.BUY, Decimal(10))]
    assert DuplicateOrder().check(order(), ctx(recent_orders=recent), profile) == (
        "duplicate of the MSFT buy 10 order submitted 4s ago (duplicate_window_seconds 5)"
    )


def test_an_order_exactly_the_window_old_is_no_duplicate() -> None:
    profile = RiskProfile(duplicate_window_seconds=5)
    recent = [(ago(5), MSFT, OrderSide.BUY, Decimal(10))]
    assert DuplicateOrder().check(order(), ctx(recent_orders=recent), profile) is None


@pytest.mark.parametrize(
    "recent",
    [
        (ago(1), MSFT, OrderSide.BUY, Decimal(11)),
        (ago(1), MSFT, OrderSide.SELL, Decimal(10)),
        (ago(1), SPY, OrderSide.BUY, Decimal(10)),
    ],
)
def test_a_different_quantity_side_or_symbol_is_no_duplicate(recent: tuple) -> None:
    profile = RiskProfile(duplicate_window_seconds=5)
    assert DuplicateOrder().check(order(), ctx(recent_orders=[recent]), profile) is None


def test_duplicate_check_is_off_by_default() -> None:
    recent = [(ago(0), MSFT, OrderSide.BUY, Decimal(10))]
    assert DuplicateOrder().check(order(), ctx(recent_orders=recent), RiskProfile()) is None


# --- AllowedSymbols --------------------------------------------------------------------------------------


def test_symbol_outside_the_allowed_list_is_denied() -> None:
    profile = RiskProfile(allowed_symbols=["SPY", "AAPL"])
    assert AllowedSymbols().check(order(), ctx(), profile) == "MSFT is not in allowed_symbols (AAPL, SPY)"
    assert AllowedSymbols().check(order(symbol="SPY"), ctx(), profile) is None


def test_empty_allowed_list_allows_every_symbol() -> None:
    assert AllowedSymbols().check(order(), ctx(), RiskProfile()) is None


def test_closing_a_position_in_a_symbol_no_longer_allowed_passes() -> None:
    profile = RiskProfile(allowed_symbols=["SPY"])
    assert AllowedSymbols().check(order("sell", 10), ctx(positions={MSFT: Decimal(10)}), profile) is None


# --- ShortingAllowed -------------------------------------------------------------------------------------


def test_selling_down_to_flat_passes_and_one_more_is_denied() -> None:
    context = ctx(positions={MSFT: Decimal(10)})
    assert ShortingAllowed().check(order("sell", 10), context, RiskProfile()) is None
    assert ShortingAllowed().check(order("sell", 11), context, RiskProfile()) == (
        "MSFT sell 11 would leave a short position of -1 and allow_short is off"
    )


def test_a_sell_on_top_of_a_working_sell_that_would_go_short_is_denied() -> None:
    context = ctx(positions={MSFT: Decimal(10)}, open_orders_qty={MSFT: Decimal(-5)})
    assert ShortingAllowed().check(order("sell", 6), context, RiskProfile()) == (
        "MSFT sell 6 would leave a short position of -1 and allow_short is off"
    )


def test_shorting_passes_when_allowed() -> None:
    assert ShortingAllowed().check(order("sell", 11), ctx(), RiskProfile(allow_short=True)) is None


def test_buying_back_a_short_passes_without_allow_short() -> None:
    assert ShortingAllowed().check(order("buy", 5), ctx(positions={MSFT: Decimal(-10)}), RiskProfile()) is None


# --- is_risk_reducing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("position", "working", "side", "quantity", "reducing"),
    [
        (100, 0, "sell", 40, True),
        (100, 0, "sell", 100, True),  # to flat
        (100, 0, "sell", 101, False),  # crosses zero
        (100, 0, "buy", 1, False),
        (-100, 0, "buy", 100, True),
        (-100, 0, "sell", 1, False),
        (0, 0, "sell", 1, False),
        (100, -100, "sell", 100, False),  # stacked on a working exit it would go short
        (100, -60, "sell", 40, True),
        (100, 50, "sell", 100, True),
    ],
)
def test_risk_reducing_moves_toward_zero_without_crossing(
    position: int, working: int, side: str, quantity: int, reducing: bool
) -> None:
    context = ctx(positions={MSFT: Decimal(position)}, open_orders_qty={MSFT: Decimal(working)})
    assert is_risk_reducing(order(side, quantity), context) is reducing

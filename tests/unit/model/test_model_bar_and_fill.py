import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from quantdesk.model import (
    Bar,
    ClientOrderId,
    Fill,
    InvalidValue,
    LiquiditySide,
    OrderSide,
    Symbol,
    Timeframe,
    TradeId,
)

TS = datetime(2024, 3, 4, 14, 30, tzinfo=UTC)


def make_bar(ts: datetime = TS) -> Bar:
    return Bar(Symbol("SPY"), Timeframe.parse("1m"), ts, 510.0, 511.5, 509.25, 511.0, 12_345.0)


def make_fill(**changes: object) -> Fill:
    fields: dict[str, object] = {
        "trade_id": TradeId("t1"),
        "client_order_id": ClientOrderId("o1"),
        "symbol": Symbol("SPY"),
        "side": OrderSide.SELL,
        "quantity": Decimal("2.5"),
        "price": Decimal("101.20"),
        "fee": Decimal("0.35"),
        "ts": TS,
    }
    return Fill(**{**fields, **changes})  # type: ignore[arg-type]


def test_bar_keeps_its_fields() -> None:
    bar = make_bar()
    assert (bar.symbol, bar.timeframe, bar.ts) == (Symbol("SPY"), Timeframe(1, "m"), TS)
    assert (bar.open, bar.high, bar.low, bar.close, bar.volume) == (510.0, 511.5, 509.25, 511.0, 12_345.0)


def test_bar_with_naive_timestamp_is_refused() -> None:
    with pytest.raises(InvalidValue, match="timezone-aware"):
        make_bar(datetime(2024, 3, 4, 14, 30))


def test_bar_timestamp_in_another_zone_is_converted_to_utc() -> None:
    new_york = timezone(timedelta(hours=-5))
    bar = make_bar(datetime(2024, 3, 4, 9, 30, tzinfo=new_york))
    assert bar.ts == TS
    assert bar.ts.tzinfo is UTC


def test_bar_with_a_str_symbol_is_refused() -> None:
    with pytest.raises(InvalidValue, match=r"Bar\.symbol must be Symbol"):
        Bar("SPY", Timeframe(1, "m"), TS, 1.0, 1.0, 1.0, 1.0, 0.0)  # type: ignore[arg-type]


def test_bar_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        make_bar().close = 1.0  # type: ignore[misc]


def test_fill_signed_quantity_and_notional() -> None:
    sell = make_fill()
    buy = make_fill(side=OrderSide.BUY)
    assert (sell.signed_quantity, buy.signed_quantity) == (Decimal("-2.5"), Decimal("2.5"))
    assert sell.notional == Decimal("253.000")


def test_fill_accepts_int_quantities_as_decimals() -> None:
    fill = make_fill(quantity=3, fee=0)
    assert (fill.quantity, fill.fee) == (Decimal(3), Decimal(0))
    assert isinstance(fill.quantity, Decimal)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("quantity", Decimal(0), "quantity must be > 0"),
        ("quantity", Decimal("-1"), "quantity must be > 0"),
        ("quantity", 2.5, "quantity must be a Decimal"),
        ("quantity", Decimal("NaN"), "quantity must be finite"),
        ("price", Decimal(0), "price must be > 0"),
        ("price", 101.2, "price must be a Decimal"),
        ("price", "101.2", "price must be a Decimal"),
        ("fee", Decimal("-0.01"), "fee must be >= 0"),
        ("ts", datetime(2024, 3, 4), "timezone-aware"),
        ("side", "buy", "side must be OrderSide"),
        ("symbol", "SPY", "symbol must be Symbol"),
        ("liquidity_side", "maker", "liquidity_side must be LiquiditySide"),
    ],
)
def test_fill_with_bad_field_is_refused(field: str, value: object, message: str) -> None:
    with pytest.raises(InvalidValue, match=message):
        make_fill(**{field: value})


def test_fill_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        Fill(TradeId("t1"), ClientOrderId("o1"))  # type: ignore[misc]


def test_fill_records_liquidity_side() -> None:
    assert make_fill(liquidity_side=LiquiditySide.MAKER).liquidity_side is LiquiditySide.MAKER
    assert make_fill().liquidity_side is None

from datetime import UTC, datetime
from decimal import Decimal
from itertools import count

import pytest

from quantdesk.model import (
    ClientOrderId,
    Fill,
    InvalidValue,
    OrderSide,
    Position,
    PositionSide,
    Symbol,
    TradeId,
)

D = Decimal
B, S = OrderSide.BUY, OrderSide.SELL
SYMBOL = Symbol("AAPL")
TS = datetime(2024, 3, 4, 14, 30, tzinfo=UTC)
_trade_numbers = count(1)


def fill(side: OrderSide, quantity: str, price: str, fee: str = "0", symbol: Symbol = SYMBOL) -> Fill:
    return Fill(
        trade_id=TradeId(f"t{next(_trade_numbers)}"),
        client_order_id=ClientOrderId("o1"),
        symbol=symbol,
        side=side,
        quantity=D(quantity),
        price=D(price),
        fee=D(fee),
        ts=TS,
    )


# fills (side, quantity, price)                 -> quantity, avg_price, realized_pnl, side
CASES = {
    "open long": ([(B, "10", "100")], ("10", "100", "0", PositionSide.LONG)),
    "add to long": ([(B, "10", "100"), (B, "10", "110")], ("20", "105", "0", PositionSide.LONG)),
    "reduce long at a gain": ([(B, "10", "100"), (S, "4", "110")], ("6", "100", "40", PositionSide.LONG)),
    "close long at a loss": ([(B, "10", "100"), (S, "10", "90")], ("0", "0", "-100", PositionSide.FLAT)),
    "open short": ([(S, "10", "50")], ("-10", "50", "0", PositionSide.SHORT)),
    "add to short": ([(S, "10", "50"), (S, "10", "40")], ("-20", "45", "0", PositionSide.SHORT)),
    "reduce short at a gain": (
        [(S, "10", "50"), (S, "10", "40"), (B, "5", "30")],
        ("-15", "45", "75", PositionSide.SHORT),
    ),
    "close short at a loss": ([(S, "10", "50"), (B, "10", "55")], ("0", "0", "-50", PositionSide.FLAT)),
    "long through zero to short": (
        [(B, "10", "100"), (S, "15", "120")],
        ("-5", "120", "200", PositionSide.SHORT),
    ),
    "short through zero to long": (
        [(S, "10", "100"), (B, "25", "90")],
        ("15", "90", "100", PositionSide.LONG),
    ),
    "flip twice": (
        [(B, "10", "100"), (S, "15", "120"), (B, "10", "110")],
        ("5", "110", "250", PositionSide.LONG),
    ),
    "fractional quantities": (
        [(B, "0.5", "20000.25"), (B, "0.25", "20001.00"), (S, "0.6", "20010")],
        ("0.15", "20000.5", "5.7", PositionSide.LONG),
    ),
}


@pytest.mark.parametrize(("fills", "expected"), CASES.values(), ids=CASES.keys())
def test_position_quantity_average_and_realized_pnl(
    fills: list[tuple[OrderSide, str, str]], expected: tuple[str, str, str, PositionSide]
) -> None:
    position = Position.from_fills(SYMBOL, [fill(*f) for f in fills])
    quantity, avg_price, realized, side = expected
    assert (position.quantity, position.avg_price, position.realized_pnl) == (
        D(quantity),
        D(avg_price),
        D(realized),
    )
    assert position.side is side
    assert position.cost_basis == D(quantity) * D(avg_price)


# position (fills), mark        -> market_value, unrealized_pnl
MARKS = {
    "long above cost": ([(B, "10", "100")], "105", ("1050", "50")),
    "long below cost": ([(B, "10", "100")], "97.5", ("975.0", "-25.0")),
    "short above cost": ([(S, "10", "100")], "105", ("-1050", "-50")),
    "short below cost": ([(S, "10", "100")], "80", ("-800", "200")),
    "flat": ([(B, "10", "100"), (S, "10", "120")], "150", ("0", "0")),
}


@pytest.mark.parametrize(("fills", "mark", "expected"), MARKS.values(), ids=MARKS.keys())
def test_position_market_value_and_unrealized_pnl(
    fills: list[tuple[OrderSide, str, str]], mark: str, expected: tuple[str, str]
) -> None:
    position = Position.from_fills(SYMBOL, [fill(*f) for f in fills])
    assert (position.market_value(D(mark)), position.unrealized_pnl(D(mark))) == (
        D(expected[0]),
        D(expected[1]),
    )


def test_fees_are_kept_apart_from_gross_realized_pnl() -> None:
    position = Position.from_fills(SYMBOL, [fill(B, "10", "100", fee="1.25"), fill(S, "10", "110", fee="1.30")])
    assert (position.realized_pnl, position.fees, position.realized_pnl_net) == (
        D(100),
        D("2.55"),
        D("97.45"),
    )


def test_apply_returns_a_new_position_and_leaves_the_original_unchanged() -> None:
    flat = Position(SYMBOL)
    long = flat.apply(fill(B, "10", "100"))
    assert (flat.quantity, flat.side, flat.avg_price, flat.cost_basis) == (
        D(0),
        PositionSide.FLAT,
        D(0),
        D(0),
    )
    assert long.quantity == D(10)
    assert (long.is_flat, flat.is_flat) == (False, True)


def test_fill_for_another_symbol_is_refused() -> None:
    with pytest.raises(InvalidValue, match="a fill of MSFT cannot change the AAPL position"):
        Position(SYMBOL).apply(fill(B, "1", "1", symbol=Symbol("MSFT")))


def test_average_that_does_not_terminate_is_rounded_but_pnl_stays_exact() -> None:
    position = Position.from_fills(SYMBOL, [fill(B, "1", "1"), fill(B, "1", "1"), fill(B, "1", "2")])
    assert position.avg_price == D("1.333333333333333333333333333")
    assert position.cost_basis == D(4)
    assert position.unrealized_pnl(D(2)) == D(2)
    closed = position.apply(fill(S, "3", "2"))
    assert (closed.realized_pnl, closed.cost_basis, closed.avg_price) == (D(2), D(0), D(0))


def test_position_refuses_a_cost_basis_of_the_wrong_sign() -> None:
    with pytest.raises(InvalidValue, match="must have the sign of quantity"):
        Position(SYMBOL, quantity=D(10), cost_basis=D(-1000))
    with pytest.raises(InvalidValue, match="must have the sign of quantity"):
        Position(SYMBOL, quantity=D(0), cost_basis=D(5))


def test_float_mark_is_refused() -> None:
    with pytest.raises(InvalidValue, match="mark must be a Decimal"):
        Position(SYMBOL).unrealized_pnl(101.5)  # type: ignore[arg-type]

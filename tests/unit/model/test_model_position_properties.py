from datetime import UTC, datetime
from decimal import Decimal, localcontext
from functools import reduce

from hypothesis import given, settings
from hypothesis import strategies as st

from quantdesk.model import ClientOrderId, Fill, OrderSide, Position, PositionSide, Symbol, TradeId

SYMBOL = Symbol("BTC/USD")
TS = datetime(2024, 3, 4, 14, 30, tzinfo=UTC)

quantities = st.one_of(
    st.sampled_from([Decimal(1), Decimal(2), Decimal(3), Decimal(5)]),
    st.decimals(min_value="0.001", max_value="1000", places=3),
)
prices = st.decimals(min_value="0.01", max_value="100000", places=2)
marks = st.decimals(min_value="0.0001", max_value="100000", places=4)


@st.composite
def fills(draw: st.DrawFn) -> Fill:
    return Fill(
        trade_id=TradeId(f"t{draw(st.integers(0, 10**9))}"),
        client_order_id=ClientOrderId("o1"),
        symbol=SYMBOL,
        side=draw(st.sampled_from(OrderSide)),
        quantity=draw(quantities),
        price=draw(prices),
        fee=draw(st.decimals(min_value="0", max_value="5", places=2)),
        ts=TS,
    )


fill_lists = st.lists(fills(), max_size=30)


@settings(deadline=None)
@given(fill_lists, marks)
def test_realized_plus_unrealized_is_the_mark_to_market_change(fills: list[Fill], mark: Decimal) -> None:
    position = Position.from_fills(SYMBOL, fills)
    with localcontext(prec=120):
        cash = sum((-f.signed_quantity * f.price for f in fills), Decimal(0))
        assert position.realized_pnl + position.unrealized_pnl(mark) == cash + position.quantity * mark


@settings(deadline=None)
@given(fill_lists)
def test_quantity_is_the_signed_sum_of_fill_quantities(fills: list[Fill]) -> None:
    position = Position.from_fills(SYMBOL, fills)
    assert position.quantity == sum((f.signed_quantity for f in fills), Decimal(0))
    assert position.fees == sum((f.fee for f in fills), Decimal(0))


@settings(deadline=None)
@given(fill_lists)
def test_applying_fills_one_by_one_equals_the_fold(fills: list[Fill]) -> None:
    position = Position(SYMBOL)
    for f in fills:
        position = position.apply(f)
    assert position == Position.from_fills(SYMBOL, fills)
    assert position == reduce(Position.apply, fills, Position(SYMBOL))


@settings(deadline=None)
@given(fill_lists, prices, marks)
def test_position_closed_back_to_flat_has_no_unrealized_pnl_and_no_average(
    fills: list[Fill], close_price: Decimal, mark: Decimal
) -> None:
    position = Position.from_fills(SYMBOL, fills)
    if position.quantity:
        side = OrderSide.SELL if position.quantity > 0 else OrderSide.BUY
        closing = Fill(
            trade_id=TradeId("close"),
            client_order_id=ClientOrderId("o2"),
            symbol=SYMBOL,
            side=side,
            quantity=abs(position.quantity),
            price=close_price,
            fee=Decimal(0),
            ts=TS,
        )
        position = position.apply(closing)
    assert (position.quantity, position.avg_price, position.cost_basis) == (0, 0, 0)
    assert position.unrealized_pnl(mark) == 0
    assert position.side is PositionSide.FLAT


@settings(deadline=None)
@given(fill_lists)
def test_average_price_is_positive_while_open_and_zero_with_no_unrealized_pnl_when_flat(
    fills: list[Fill],
) -> None:
    position = Position(SYMBOL)
    for f in fills:
        position = position.apply(f)
        assert (position.avg_price > 0) is (position.quantity != 0)
        if position.quantity == 0:
            assert (position.avg_price, position.cost_basis, position.unrealized_pnl(f.price)) == (0, 0, 0)

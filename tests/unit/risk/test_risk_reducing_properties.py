"""Property: an order ``is_risk_reducing`` calls reducing never increases |position| nor crosses zero."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from quantdesk.model import ClientOrderId, OrderSide, OrderType, SubmitOrder, Symbol
from quantdesk.risk import RiskContext, RiskEngine, RiskProfile, is_risk_reducing
from quantdesk.risk.context import signed_quantity

MSFT = Symbol("MSFT")
NOW = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)

amounts = st.decimals(min_value="-1000", max_value="1000", places=3)
quantities = st.decimals(min_value="0.001", max_value="1000", places=3)


def build(position: Decimal, working: Decimal, side: OrderSide, quantity: Decimal) -> tuple[SubmitOrder, RiskContext]:
    order = SubmitOrder(
        client_order_id=ClientOrderId("o1"),
        symbol=MSFT,
        side=side,
        order_type=OrderType.MARKET,
        quantity=quantity,
        ts=NOW,
    )
    ctx = RiskContext(
        ts=NOW,
        equity=Decimal(100_000),
        positions={MSFT: position},
        open_orders_qty={MSFT: working},
        last_prices={MSFT: Decimal(100)},
    )
    return order, ctx


@given(amounts, amounts, st.sampled_from(OrderSide), quantities)
def test_a_reducing_order_never_increases_the_position_nor_crosses_zero(
    position: Decimal, working: Decimal, side: OrderSide, quantity: Decimal
) -> None:
    order, ctx = build(position, working, side, quantity)
    if is_risk_reducing(order, ctx):
        for start in (position, position + working):
            end = start + signed_quantity(order)
            assert abs(end) < abs(start)
            assert end == 0 or (end > 0) == (start > 0)


@given(amounts, st.sampled_from(OrderSide), quantities)
def test_without_working_orders_reducing_means_the_position_shrinks_toward_zero(
    position: Decimal, side: OrderSide, quantity: Decimal
) -> None:
    order, ctx = build(position, Decimal(0), side, quantity)
    end = position + signed_quantity(order)
    shrinks = position != 0 and abs(end) < abs(position) and (end == 0 or (end > 0) == (position > 0))
    assert is_risk_reducing(order, ctx) is shrinks


@given(amounts, amounts, st.sampled_from(OrderSide), quantities)
def test_while_reducing_the_engine_approves_only_reducing_orders(
    position: Decimal, working: Decimal, side: OrderSide, quantity: Decimal
) -> None:
    order, ctx = build(position, working, side, quantity)
    profile = RiskProfile(allow_short=True, max_gross_exposure=4, max_weight_per_symbol=4)
    engine = RiskEngine(profile, rules=(), state="reducing", reason="daily loss")  # type: ignore[arg-type]
    assert engine.evaluate(order, ctx).approved is is_risk_reducing(order, ctx)

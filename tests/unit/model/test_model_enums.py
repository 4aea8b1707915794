import pytest

from quantdesk.model import (
    LiquiditySide,
    OrderSide,
    OrderStatus,
    OrderType,
    PositionSide,
    TimeInForce,
    TradingState,
)


def test_order_side_sign_and_opposite() -> None:
    assert (OrderSide.BUY.sign, OrderSide.SELL.sign) == (1, -1)
    assert (OrderSide.BUY.opposite, OrderSide.SELL.opposite) == (OrderSide.SELL, OrderSide.BUY)


@pytest.mark.parametrize(
    ("status", "is_open", "is_terminal"),
    [
        (OrderStatus.INITIALIZED, False, False),
        (OrderStatus.SUBMITTED, True, False),
        (OrderStatus.ACCEPTED, True, False),
        (OrderStatus.PARTIALLY_FILLED, True, False),
        (OrderStatus.PENDING_CANCEL, True, False),
        (OrderStatus.FILLED, False, True),
        (OrderStatus.CANCELED, False, True),
        (OrderStatus.REJECTED, False, True),
        (OrderStatus.EXPIRED, False, True),
    ],
)
def test_order_status_open_and_terminal(status: OrderStatus, is_open: bool, is_terminal: bool) -> None:
    assert (status.is_open, status.is_terminal) == (is_open, is_terminal)


@pytest.mark.parametrize(
    ("order_type", "has_limit", "has_stop"),
    [
        (OrderType.MARKET, False, False),
        (OrderType.LIMIT, True, False),
        (OrderType.STOP, False, True),
        (OrderType.STOP_LIMIT, True, True),
    ],
)
def test_order_type_price_requirements(order_type: OrderType, has_limit: bool, has_stop: bool) -> None:
    assert (order_type.has_limit_price, order_type.has_stop_price) == (has_limit, has_stop)


@pytest.mark.parametrize(
    "enum", [OrderSide, OrderType, TimeInForce, OrderStatus, TradingState, PositionSide, LiquiditySide]
)
def test_enum_values_are_the_lowercase_names(enum: type) -> None:
    for member in enum:
        assert member.value == member.name.lower()
        assert str(member) == member.value
        assert enum(member.value) is member

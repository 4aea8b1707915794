"""The closed vocabularies of trading: sides, order types and statuses, risk states."""

from enum import StrEnum


class OrderSide(StrEnum):
    """Which way an order or fill trades."""

    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        """+1 for a buy, -1 for a sell: the sign of the position change."""
        return 1 if self is OrderSide.BUY else -1

    @property
    def opposite(self) -> "OrderSide":
        """The side that closes what this side opens."""
        return OrderSide.SELL if self is OrderSide.BUY else OrderSide.BUY


class OrderType(StrEnum):
    """How an order is priced at the venue."""

    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"
    STOP_LIMIT = "stop_limit"

    @property
    def has_limit_price(self) -> bool:
        """Whether orders of this type need a limit price (and may not have one otherwise)."""
        return self in (OrderType.LIMIT, OrderType.STOP_LIMIT)

    @property
    def has_stop_price(self) -> bool:
        """Whether orders of this type need a stop price (and may not have one otherwise)."""
        return self in (OrderType.STOP, OrderType.STOP_LIMIT)


class TimeInForce(StrEnum):
    """How long an order stays working."""

    DAY = "day"
    GTC = "gtc"
    IOC = "ioc"
    FOK = "fok"


class OrderStatus(StrEnum):
    """Where an order is in its life; see :data:`quantdesk.model.transitions.TRANSITIONS`."""

    INITIALIZED = "initialized"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    PENDING_CANCEL = "pending_cancel"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def is_open(self) -> bool:
        """Sent to the venue and not finished: the order may still fill (in-flight orders count)."""
        return self in (
            OrderStatus.SUBMITTED,
            OrderStatus.ACCEPTED,
            OrderStatus.PARTIALLY_FILLED,
            OrderStatus.PENDING_CANCEL,
        )

    @property
    def is_terminal(self) -> bool:
        """Finished: no event can change the order any more."""
        return self in (OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED, OrderStatus.EXPIRED)


class TradingState(StrEnum):
    """What the risk engine lets through: everything, only orders that reduce exposure, or nothing."""

    ACTIVE = "active"
    REDUCING = "reducing"
    HALTED = "halted"


class PositionSide(StrEnum):
    """The direction of a position."""

    LONG = "long"
    SHORT = "short"
    FLAT = "flat"


class LiquiditySide(StrEnum):
    """Whether a fill added liquidity to the book (maker) or took it (taker)."""

    MAKER = "maker"
    TAKER = "taker"

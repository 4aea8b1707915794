"""The order state machine, as one table: (status, event type) -> next status."""

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType

from quantdesk.model.enums import OrderStatus
from quantdesk.model.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderPendingCancel,
    OrderRejected,
    OrderSubmitted,
)

_S = OrderStatus

TRANSITIONS: Mapping[tuple[OrderStatus, type[OrderEvent]], OrderStatus] = MappingProxyType(
    {
        (_S.INITIALIZED, OrderSubmitted): _S.SUBMITTED,
        (_S.INITIALIZED, OrderRejected): _S.REJECTED,
        (_S.SUBMITTED, OrderAccepted): _S.ACCEPTED,
        (_S.SUBMITTED, OrderRejected): _S.REJECTED,
        (_S.SUBMITTED, OrderFilled): _S.PARTIALLY_FILLED,
        (_S.SUBMITTED, OrderCanceled): _S.CANCELED,
        (_S.SUBMITTED, OrderExpired): _S.EXPIRED,
        (_S.ACCEPTED, OrderFilled): _S.PARTIALLY_FILLED,
        (_S.ACCEPTED, OrderPendingCancel): _S.PENDING_CANCEL,
        (_S.ACCEPTED, OrderCanceled): _S.CANCELED,
        (_S.ACCEPTED, OrderExpired): _S.EXPIRED,
        (_S.PARTIALLY_FILLED, OrderFilled): _S.PARTIALLY_FILLED,
        (_S.PARTIALLY_FILLED, OrderPendingCancel): _S.PENDING_CANCEL,
        (_S.PARTIALLY_FILLED, OrderCanceled): _S.CANCELED,
        (_S.PARTIALLY_FILLED, OrderExpired): _S.EXPIRED,
        (_S.PARTIALLY_FILLED, OrderCancelRejected): _S.PARTIALLY_FILLED,
        (_S.PENDING_CANCEL, OrderFilled): _S.PARTIALLY_FILLED,
        (_S.PENDING_CANCEL, OrderCancelRejected): _S.ACCEPTED,
        (_S.PENDING_CANCEL, OrderCanceled): _S.CANCELED,
        (_S.PENDING_CANCEL, OrderExpired): _S.EXPIRED,
    }
)
"""Every legal change of an order's status; a pair not in the table is illegal.

A *working* target (ACCEPTED or PARTIALLY_FILLED) is refined by the fill progress after the event
(:func:`working_status`): a fill that completes the quantity leads to FILLED, and a refused cancel returns
the order to ACCEPTED or PARTIALLY_FILLED. A fill while a cancel is pending leaves PENDING_CANCEL, so a later
cancel rejection is also accepted in PARTIALLY_FILLED. Terminal statuses (FILLED, CANCELED, REJECTED,
EXPIRED) have no entries. INITIALIZED -> REJECTED is a pre-trade (risk) refusal of an order never sent.
"""

WORKING: frozenset[OrderStatus] = frozenset({_S.ACCEPTED, _S.PARTIALLY_FILLED})


def working_status(filled_quantity: Decimal, quantity: Decimal) -> OrderStatus:
    """ACCEPTED if nothing is filled, FILLED if everything is, PARTIALLY_FILLED in between."""
    if filled_quantity == 0:
        return _S.ACCEPTED
    return _S.FILLED if filled_quantity == quantity else _S.PARTIALLY_FILLED

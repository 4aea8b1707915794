"""Risk management: the profile of limits, the pre-trade rules, the risk engine and position protections.

Pure code: the trading engine supplies the account as a :class:`RiskContext` and the time with every call.

>>> from datetime import UTC, datetime
>>> from decimal import Decimal
>>> from quantdesk.model import ClientOrderId, OrderSide, OrderType, SubmitOrder, Symbol
>>> now = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)
>>> engine = RiskEngine(RiskProfile(max_order_notional=Decimal(100_000)))
>>> order = SubmitOrder(client_order_id=ClientOrderId("d1:1"), symbol=Symbol("MSFT"), side=OrderSide.BUY,
...                     order_type=OrderType.MARKET, quantity=Decimal(1500), ts=now)
>>> ctx = RiskContext(ts=now, equity=Decimal(1_000_000), last_prices={"MSFT": Decimal(100)})
>>> engine.evaluate(order, ctx).reason
'MSFT order notional 150,000.00 exceeds max_order_notional 100,000.00'
"""

from quantdesk.risk.context import RecentOrder, RiskContext
from quantdesk.risk.engine import APPROVED, STATE_RULE, RiskDecision, RiskEngine
from quantdesk.risk.events import RiskEvent, RiskEventKind
from quantdesk.risk.profile import InvalidRiskProfile, RiskProfile
from quantdesk.risk.protections import ExitReason, ProtectionTracker, ProtectiveExit
from quantdesk.risk.rules import (
    DEFAULT_RULES,
    AllowedSymbols,
    DuplicateOrder,
    MaxGrossExposure,
    MaxOrderNotional,
    MaxOrdersPerMinute,
    MaxWeightPerSymbol,
    PriceCollar,
    RiskRule,
    ShortingAllowed,
    is_risk_reducing,
)

__all__ = [
    "APPROVED",
    "DEFAULT_RULES",
    "STATE_RULE",
    "AllowedSymbols",
    "DuplicateOrder",
    "ExitReason",
    "InvalidRiskProfile",
    "MaxGrossExposure",
    "MaxOrderNotional",
    "MaxOrdersPerMinute",
    "MaxWeightPerSymbol",
    "PriceCollar",
    "ProtectionTracker",
    "ProtectiveExit",
    "RecentOrder",
    "RiskContext",
    "RiskDecision",
    "RiskEngine",
    "RiskEvent",
    "RiskEventKind",
    "RiskProfile",
    "RiskRule",
    "ShortingAllowed",
    "is_risk_reducing",
]

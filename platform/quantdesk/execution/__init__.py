"""Order execution: fill, fee and slippage models shared by the backtest, the replay and the paper broker;
the broker port, the simulated broker and the order manager."""

from quantdesk.execution.broker import BrokerError, BrokerOrder, BrokerPort, BrokerRejected, BrokerTimeout
from quantdesk.execution.costs import Costs, PercentFee, PercentSlippage
from quantdesk.execution.ids import client_order_id
from quantdesk.execution.order_manager import (
    Clock,
    EventReport,
    OrderManager,
    OrderManagerError,
    SkippedEvent,
)
from quantdesk.execution.simulated import SimBrokerState, SimOrder, SimulatedBroker

__all__ = [
    "BrokerError",
    "BrokerOrder",
    "BrokerPort",
    "BrokerRejected",
    "BrokerTimeout",
    "Clock",
    "Costs",
    "EventReport",
    "OrderManager",
    "OrderManagerError",
    "PercentFee",
    "PercentSlippage",
    "SimBrokerState",
    "SimOrder",
    "SimulatedBroker",
    "SkippedEvent",
    "client_order_id",
]

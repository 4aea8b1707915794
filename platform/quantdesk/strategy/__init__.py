"""The strategy API: ``Strategy`` and ``Params``, the registry and the causality check."""

from quantdesk.data.panel import load_panel, panel, single
from quantdesk.strategy.base import Params, Strategy
from quantdesk.strategy.causality import CausalityReport, check_causality
from quantdesk.strategy.errors import InvalidParams, NotEnoughHistory, StrategyError, UnknownStrategy
from quantdesk.strategy.registry import StrategyInfo, get_strategy, list_strategies

__all__ = [
    "CausalityReport",
    "InvalidParams",
    "NotEnoughHistory",
    "Params",
    "Strategy",
    "StrategyError",
    "StrategyInfo",
    "UnknownStrategy",
    "check_causality",
    "get_strategy",
    "list_strategies",
    "load_panel",
    "panel",
    "single",
]

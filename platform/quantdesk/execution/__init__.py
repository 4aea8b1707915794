"""Order execution: fill, fee and slippage models shared by the backtest, the replay and the paper broker."""

from quantdesk.execution.costs import Costs, PercentFee, PercentSlippage

__all__ = ["Costs", "PercentFee", "PercentSlippage"]

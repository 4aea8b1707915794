"""Backtests: the compiled vectorized engine, the vectorbt path, and parameter sweeps."""

from quantdesk.backtest.orders import BacktestError
from quantdesk.backtest.result import BacktestResult
from quantdesk.backtest.vectorized import backtest

__all__ = ["BacktestError", "BacktestResult", "backtest"]

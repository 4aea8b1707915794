"""Performance metrics, drawdowns and trade statistics of backtests and parameter sweeps.

The maths is written once on arrays (one curve, or T bars x K columns); :func:`compute_metrics` is the
pandas wrapper for a single backtest and :func:`equity_metrics` the sweep path, and they agree exactly.
"""

from quantdesk.reporting.drawdown import drawdown, drawdown_span, max_drawdown_stats
from quantdesk.reporting.errors import MetricsError
from quantdesk.reporting.metrics import (
    DISPERSION_FLOOR,
    EQUITY_METRIC_NAMES,
    METRIC_NAMES,
    Metrics,
    compute_metrics,
    equity_metrics,
    periods_per_year_from_index,
    time_in_market,
)
from quantdesk.reporting.trades import (
    TRADE_STAT_NAMES,
    TradeStats,
    trade_stats,
    trade_stats_from_sums,
    trade_sums,
)

__all__ = [
    "DISPERSION_FLOOR",
    "EQUITY_METRIC_NAMES",
    "METRIC_NAMES",
    "TRADE_STAT_NAMES",
    "Metrics",
    "MetricsError",
    "TradeStats",
    "compute_metrics",
    "drawdown",
    "drawdown_span",
    "equity_metrics",
    "max_drawdown_stats",
    "periods_per_year_from_index",
    "time_in_market",
    "trade_stats",
    "trade_stats_from_sums",
    "trade_sums",
]

"""Technical indicators: pure functions on numpy arrays (numba ``*_nb`` kernels) and pandas wrappers.

Every indicator is causal (the value at t uses data up to t only) and NaN until its window is full; each
module's docstring states its conventions (EMA seeding, ddof, Wilder smoothing, missing values). Wrappers
take a Series (or, for single-output indicators, a DataFrame column by column, or an array) and return the
same type on the same index; indicators with several outputs return a DataFrame. Kernels compile on first
use and are cached on disk (``NUMBA_CACHE_DIR``).
"""

from quantdesk.indicators.errors import IndicatorError
from quantdesk.indicators.moving import bollinger, ema, rolling_std, sma, zscore
from quantdesk.indicators.oscillators import rsi
from quantdesk.indicators.regime import hurst, variance_ratio
from quantdesk.indicators.regression import rolling_ols
from quantdesk.indicators.signals import crossover_weights
from quantdesk.indicators.trend import adx
from quantdesk.indicators.volatility import atr, true_range, volatility_percentile

__all__ = [
    "IndicatorError",
    "adx",
    "atr",
    "bollinger",
    "crossover_weights",
    "ema",
    "hurst",
    "rolling_ols",
    "rolling_std",
    "rsi",
    "sma",
    "true_range",
    "variance_ratio",
    "volatility_percentile",
    "zscore",
]

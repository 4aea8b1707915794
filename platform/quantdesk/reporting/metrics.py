"""Performance metrics of equity curves: one array maths for the single backtest and for sweeps.

Definitions (the platform's). ``E_0 .. E_{T-1}`` is the account value at each bar close; before the first
bar the account held ``initial_cash``; ``periods_per_year`` (bars per year, see
:func:`periods_per_year_from_index`) annualises.

* returns ``r_t = E_t / E_{t-1} - 1`` with ``E_{-1} = initial_cash`` (T returns).
* total_return ``= E_{T-1} / initial_cash - 1``; final_equity ``= E_{T-1}``.
* cagr ``= (E_{T-1} / initial_cash) ** (periods_per_year / T) - 1`` (empyrical ``cagr``).
* annual_volatility ``= std(r, ddof=1) * sqrt(periods_per_year)`` (empyrical ``annual_volatility``).
* sharpe ``= mean(r) / std(r, ddof=1) * sqrt(periods_per_year)`` (empyrical ``sharpe_ratio``, risk free 0).
* sortino ``= mean(r) * ppy / (sqrt(mean(min(r, 0) ** 2)) * sqrt(ppy))`` (empyrical ``sortino_ratio``).
* max_drawdown, max_drawdown_duration: see :mod:`quantdesk.reporting.drawdown`.
* calmar ``= cagr / |max_drawdown|`` (empyrical ``calmar_ratio``).
* time_in_market ``= mean(position != 0)`` over the bars.

NaN marks a ratio that does not exist: volatility, sharpe and sortino with T < 2; sharpe when the returns
do not vary, sortino when none is negative; calmar without drawdown or when it would be infinite. "Do not
vary" means a per-bar standard deviation (for sortino: downside deviation) <= :data:`DISPERSION_FLOOR`:
returns recomputed from float64 equity carry rounding noise of ~1e-16, so steady 1 % bars give a
deviation of ~1e-16 rather than 0 and, taken at face value, a sharpe of ~1e15; that deviation is counted
as 0 (and the volatility reported as 0). Empyrical answers ±inf for exactly constant returns, a 1e15-size
number for the rounding noise, and +inf for sortino without a negative return; we answer NaN: such a
ratio is a division by zero, not a good strategy, and would top every sweep ranking. A curve that reaches
an equity <= 0 is ruined: its returns stop meaning anything, so cagr, volatility, sharpe, sortino and
calmar are NaN for it (total return, final equity and drawdown are still given).

Curves are columns: 2-D equity (T bars x K parameter combinations) gives one value per column. The sums
are taken by compiled kernels that add each column's terms one by one in bar order, so a column's numbers
are bit-for-bit those it gets alone, whatever K and the memory layout; numpy's own reductions add 1-D and
2-D data in different orders and would differ in the last bits.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import numpy as np
import pandas as pd
from numba import njit

from quantdesk.reporting._inputs import BLOCK_ROWS, equity_columns, float_array, positive_number
from quantdesk.reporting.drawdown import drawdown_span, underwater_nb
from quantdesk.reporting.errors import MetricsError
from quantdesk.reporting.trades import trade_stats

METRIC_NAMES = (
    "total_return",
    "cagr",
    "annual_volatility",
    "sharpe",
    "sortino",
    "max_drawdown",
    "max_drawdown_duration",
    "calmar",
    "time_in_market",
    "trades",
    "win_rate",
    "profit_factor",
    "expectancy",
    "final_equity",
    "avg_win",
    "avg_loss",
)
"""The columns of a sweep's result table: the keys of :func:`equity_metrics` and
:func:`trade_stats_from_sums` together, in the order of the :class:`Metrics` fields."""

DISPERSION_FLOOR = 1e-14
"""Per-bar return deviations up to this are float rounding noise and count as 0 (see above)."""

EQUITY_METRIC_NAMES = (
    "total_return",
    "cagr",
    "annual_volatility",
    "sharpe",
    "sortino",
    "max_drawdown",
    "max_drawdown_duration",
    "calmar",
    "time_in_market",
    "final_equity",
)


@njit(cache=True, error_model="numpy")
def return_moments_nb(equity: np.ndarray, initial_cash: float) -> tuple[np.ndarray, ...]:
    """Per column of a checked (T, K) array: mean return, sum of squared deviations from it, mean
    squared negative return, whether equity ever was <= 0."""
    n, k = equity.shape
    total = np.zeros(k)
    downside = np.zeros(k)
    ruined = np.zeros(k, dtype=np.bool_)
    for first in range(0, n, BLOCK_ROWS):
        last = min(first + BLOCK_ROWS, n)
        for j in range(k):
            previous = initial_cash if first == 0 else equity[first - 1, j]
            s, d, bad = total[j], downside[j], ruined[j]
            for t in range(first, last):
                value = equity[t, j]
                r = value / previous - 1.0
                previous = value
                s += r
                if r < 0.0:
                    d += r * r
                bad |= value <= 0.0
            total[j], downside[j], ruined[j] = s, d, bad
    mean = total / n
    squares = np.zeros(k)
    for first in range(0, n, BLOCK_ROWS):
        last = min(first + BLOCK_ROWS, n)
        for j in range(k):
            previous = initial_cash if first == 0 else equity[first - 1, j]
            s, m = squares[j], mean[j]
            for t in range(first, last):
                deviation = equity[t, j] / previous - 1.0 - m
                previous = equity[t, j]
                s += deviation * deviation
            squares[j] = s
    return mean, squares, downside / n, ruined


@njit(cache=True, error_model="numpy")
def curve_moments_nb(curve: np.ndarray, initial_cash: float) -> tuple[float, float, float, bool, float, int, int]:
    """One 1-D curve's (mean, squares, downside_square, ruined) of :func:`return_moments_nb` and (deepest,
    longest, start) of :func:`~quantdesk.reporting.drawdown.underwater_nb`, bit for bit, in two passes
    instead of three: the returns are kept from the first pass for the squared deviations. A run under
    water's depth is taken once, from its lowest value: ``x / top - 1`` is monotone in ``x``, so that is
    the deepest of its bars exactly."""
    n = curve.shape[0]
    returns = np.empty(n)
    previous = initial_cash
    total = downside = 0.0
    ruined = False
    top, low, under, deepest, longest, start = initial_cash, initial_cash, 0, 0.0, 0, 0
    for t in range(n):
        value = curve[t]
        r = value / previous - 1.0
        previous = value
        returns[t] = r
        total += r
        if r < 0.0:
            downside += r * r
        ruined |= value <= 0.0
        if value >= top:
            if under:  # a run under water ends: its depth is its lowest value against the peak before it
                deepest = min(deepest, low / top - 1.0)
            top = value
            under = 0
            continue
        low = value if under == 0 else min(low, value)
        under += 1
        if under > longest:
            longest = under
            start = t - under + 1
    if under:
        deepest = min(deepest, low / top - 1.0)
    mean = total / n
    squares = 0.0
    for t in range(n):
        deviation = returns[t] - mean
        squares += deviation * deviation
    return mean, squares, downside / n, ruined, deepest, longest, start


def _held_fraction(positions: np.ndarray) -> np.ndarray:
    return np.asarray(np.count_nonzero(positions, axis=0) / len(positions), dtype=np.float64)


def time_in_market(positions: np.ndarray) -> np.ndarray:
    """The fraction of bars with a non-zero position, per column (a 0-d array for 1-D positions)."""
    values = float_array(positions, "positions")
    if len(values) == 0:
        raise MetricsError("positions is empty: time in market needs at least one bar")
    return _held_fraction(values)


def equity_metrics(
    equity: np.ndarray,
    initial_cash: float,
    periods_per_year: float,
    positions: np.ndarray | None = None,
    time_in_market: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """The metrics of K equity curves (T x K; or one 1-D curve), one array of K values per metric.

    Keys are :data:`EQUITY_METRIC_NAMES`; ``max_drawdown_duration`` is int64 bars, the rest float64.
    ``time_in_market`` comes from ``positions`` (shaped like ``equity``) or is passed in as K fractions
    already counted (bars in market / T, as a sweep kernel accumulates them); NaN without either.
    A 1-D curve gives 0-d arrays.
    """
    return _equity_metrics(equity, initial_cash, periods_per_year, positions, time_in_market)[0]


def _equity_metrics(
    equity: np.ndarray,
    initial_cash: float,
    periods_per_year: float,
    positions: np.ndarray | None,
    time_in_market: np.ndarray | None,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    # the metrics, and where each column's longest drawdown starts (for its time span)
    cash = positive_number(initial_cash, "initial_cash")
    ppy = positive_number(periods_per_year, "periods_per_year")
    values = equity_columns(equity)
    if values.shape[1] == 1:
        one = curve_moments_nb(np.ascontiguousarray(values[:, 0]), cash)
        mean, squares, downside_square, ruined, deepest, longest, run_start = (np.array([v]) for v in one)
    else:
        mean, squares, downside_square, ruined = return_moments_nb(values, cash)
        deepest, longest, run_start = underwater_nb(values, cash)
    in_market = np.full(values.shape[1], np.nan)
    if positions is not None and time_in_market is not None:
        raise MetricsError("give positions or time_in_market, not both")
    if positions is not None:
        if np.shape(positions) != np.shape(equity):
            raise MetricsError(f"positions has shape {np.shape(positions)}, equity {np.shape(equity)}")
        in_market = _held_fraction(equity_columns(positions, "positions"))
    elif time_in_market is not None:
        in_market = np.array(time_in_market, dtype=np.float64).reshape(-1)
        if in_market.shape != (values.shape[1],) or not np.all((in_market >= 0.0) & (in_market <= 1.0)):
            raise MetricsError(f"time_in_market must be {values.shape[1]} fraction(s) in [0, 1]")
    moments = (mean, squares, downside_square, ruined, deepest, longest)
    result = metrics_from_moments(values.shape[0], values[-1].copy(), moments, cash, ppy, in_market)
    shape = np.shape(equity)[1:]
    return {name: np.asarray(value).reshape(shape) for name, value in result.items()}, run_start


def metrics_from_moments(
    n: int,
    final: np.ndarray,
    moments: tuple[np.ndarray, ...],
    cash: float,
    ppy: float,
    in_market: np.ndarray,
) -> dict[str, np.ndarray]:
    """The equity metrics of K curves of ``n`` bars from their per-column sums.

    ``moments`` is (mean, squares, downside_square, ruined) of :func:`return_moments_nb` followed by
    (deepest, longest) of :func:`~quantdesk.reporting.drawdown.underwater_nb`; a compiled sweep kernel that
    runs those two kernels on each curve gets the same numbers as :func:`equity_metrics`, bit for bit.
    """
    mean, squares, downside_square, ruined, deepest, longest = moments
    ruined = np.asarray(ruined, dtype=bool)
    growth = final / cash
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        cagr = growth ** (1.0 / (n / ppy)) - 1.0
        std = np.sqrt(squares / (n - 1)) if n > 1 else np.full_like(mean, np.nan)
        std[std <= DISPERSION_FLOOR] = 0.0
        downside = np.sqrt(downside_square)
        downside[downside <= DISPERSION_FLOOR] = 0.0
        sharpe = np.where(std > 0.0, mean / std * math.sqrt(ppy), np.nan)
        downside_risk = downside * math.sqrt(ppy)
        sortino = np.where((downside_risk > 0.0) & (n > 1), mean * ppy / downside_risk, np.nan)
        calmar = np.where(deepest < 0.0, cagr / np.abs(deepest), np.nan)
    calmar[~np.isfinite(calmar)] = np.nan
    annual_volatility = std * math.sqrt(ppy)
    for metric in (cagr, annual_volatility, sharpe, sortino, calmar):
        metric[ruined] = np.nan
    return {
        "total_return": growth - 1.0,
        "cagr": cagr,
        "annual_volatility": annual_volatility,
        "sharpe": sharpe,
        "sortino": sortino,
        "max_drawdown": deepest,
        "max_drawdown_duration": np.asarray(longest, dtype=np.int64),
        "calmar": calmar,
        "time_in_market": in_market,
        "final_equity": final,
    }


def periods_per_year_from_index(index: pd.DatetimeIndex) -> float:
    """Bars per year observed in ``index``: ``(len(index) - 1) / ((last - first) / 365.25 days)``."""
    if not isinstance(index, pd.DatetimeIndex):
        raise MetricsError(f"index must be a DatetimeIndex, got {type(index).__name__}")
    if len(index) < 2:
        raise MetricsError(f"periods per year need at least 2 bars, got {len(index)}")
    span = index[-1] - index[0]
    if span <= pd.Timedelta(0):
        raise MetricsError(f"index must end after it starts, got {index[0]} .. {index[-1]}")
    return (len(index) - 1) / (span / pd.Timedelta(days=365.25))


@dataclass(frozen=True, slots=True)
class Metrics:
    """The metrics of one backtest (see the module docstring for the definitions).

    The first fields are :data:`METRIC_NAMES`; the trade statistics are those of
    :mod:`quantdesk.reporting.trades`; ``max_drawdown_span`` is the max drawdown duration in time
    (None without a DatetimeIndex).
    """

    total_return: float
    cagr: float
    annual_volatility: float
    sharpe: float
    sortino: float
    max_drawdown: float
    max_drawdown_duration: int
    calmar: float
    time_in_market: float
    trades: int
    win_rate: float
    profit_factor: float
    expectancy: float
    final_equity: float
    avg_win: float
    avg_loss: float
    best_trade_return: float
    worst_trade_return: float
    max_drawdown_span: pd.Timedelta | None

    def to_dict(self) -> dict[str, float | int | None]:
        """The fields as JSON-safe numbers: NaN and ±inf become None; the drawdown span becomes
        ``max_drawdown_days`` (its length in days)."""
        out: dict[str, float | int | None] = {}
        for field in fields(self):
            name, value = field.name, getattr(self, field.name)
            if name == "max_drawdown_span":
                name, value = "max_drawdown_days", None if value is None else value / pd.Timedelta(days=1)
            if isinstance(value, float) and not math.isfinite(value):
                value = None
            out[name] = value
        return out


def _in_market(positions: object, equity: pd.Series) -> np.ndarray:
    """1.0 at the bars holding a position (in any symbol, for a DataFrame), else 0.0, as a (T, 1) array."""
    if isinstance(positions, pd.Series | pd.DataFrame) and not positions.index.equals(equity.index):
        raise MetricsError("positions must have the same index as equity")
    values = float_array(positions, "positions")
    if len(values) != len(equity):
        raise MetricsError(f"positions has {len(values)} bars but equity has {len(equity)}")
    held = values != 0.0 if values.ndim == 1 else (values != 0.0).any(axis=1)
    return held.astype(np.float64)[:, np.newaxis]


def compute_metrics(
    equity: pd.Series,
    initial_cash: float,
    periods_per_year: float,
    positions: pd.Series | pd.DataFrame | np.ndarray | None = None,
    trade_pnl: pd.Series | np.ndarray | None = None,
    trade_returns: pd.Series | np.ndarray | None = None,
    time_in_market: float | None = None,
) -> Metrics:
    """The metrics of one backtest: its equity curve, its positions (one column per symbol) and the P&L
    and returns of its closed trades, in closing order (None: no trades).

    The numbers are those :func:`equity_metrics` and :func:`trade_stats_from_sums` give the same curve
    and trades as a column of a sweep, bit for bit.
    """
    if not isinstance(equity, pd.Series):
        raise MetricsError(f"equity must be a pandas Series, got {type(equity).__name__}")
    values = equity_columns(equity)
    held = None if positions is None else _in_market(positions, equity)
    in_market = None if time_in_market is None else np.array([time_in_market])
    arrays, start = _equity_metrics(values, initial_cash, periods_per_year, held, in_market)
    longest = arrays["max_drawdown_duration"].reshape(-1)
    span = None
    if isinstance(equity.index, pd.DatetimeIndex):
        span = drawdown_span(equity.index, int(start[0]), int(longest[0]))
    trades = trade_stats(np.empty(0) if trade_pnl is None else trade_pnl, trade_returns)
    curve = {name: arrays[name].item() for name in EQUITY_METRIC_NAMES}
    return Metrics(**curve, **asdict(trades), max_drawdown_span=span)

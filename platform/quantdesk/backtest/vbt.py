"""The vectorbt path: the same orders through ``vectorbt.Portfolio.from_orders``.

Used for vectorbt's analytics and plots (``BacktestResult.to_vectorbt()``) and as the independent
reference the compiled kernel is tested against. vectorbt is imported here only, and only when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from quantdesk.backtest.orders import order_weights
from quantdesk.execution.costs import Costs

if TYPE_CHECKING:
    from quantdesk.backtest.result import BacktestResult


def vectorbt_portfolio(
    bars: pd.DataFrame,
    target: pd.DataFrame,
    *,
    costs: Costs,
    cash: float,
    allow_short: bool = True,
    leverage: float = 1.0,
) -> Any:
    """A ``vectorbt.Portfolio`` of ``target`` over the panel ``bars`` under the platform's execution rules."""
    import vectorbt as vbt

    symbols = list(target.columns)
    weights = target.reindex(bars.index).to_numpy(np.float64)
    orders = pd.DataFrame(
        order_weights(weights, allow_short=allow_short, leverage=leverage), index=bars.index, columns=symbols
    )
    grouped = len(symbols) > 1
    close, open_ = bars["close"][symbols], bars["open"][symbols]
    if not grouped:  # one symbol: plain Series, so vectorbt reports scalars
        close, open_, orders = close[symbols[0]], open_[symbols[0]], orders[symbols[0]]
    spacing = pd.Series(bars.index).diff().median()
    return vbt.Portfolio.from_orders(
        close=close,
        size=orders,
        size_type="targetpercent",
        direction="both",
        price=open_,
        val_price=-np.inf,  # value the account at the previous close: what is known when deciding
        fees=costs.fees.rate,
        fixed_fees=costs.fees.fixed,
        slippage=costs.slippage.rate,
        init_cash=cash,
        cash_sharing=grouped,
        group_by=True if grouped else None,
        call_seq="auto" if grouped else None,
        ffill_val_price=True,
        update_value=False,
        freq=spacing if pd.notna(spacing) else None,
    )


def portfolio_from_result(result: BacktestResult) -> Any:
    return vectorbt_portfolio(
        result.bars,
        result.target,
        costs=result.costs,
        cash=result.initial_cash,
        allow_short=result.allow_short,
        leverage=result.leverage,
    )

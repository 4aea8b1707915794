"""The portfolio: each deployment's ledger (cash, positions, P&L, margin) as a fold over its fills.

Pure code, no I/O: a :class:`Ledger` is built by applying fills, valued at marks the caller passes, and
snapshotted into an :class:`EquityCurve`; :func:`aggregate` adds up a user's deployments. Margin formulas
(Reg T initial, FINRA 4210 maintenance) are documented in :mod:`quantdesk.portfolio.buying_power`.
"""

from quantdesk.portfolio.buying_power import (
    CASH_RATES,
    REG_T_RATES,
    AccountType,
    Balances,
    MarginRates,
    buying_power,
    excess_liquidity,
    initial_requirement,
    maintenance_ok,
    maintenance_requirement,
)
from quantdesk.portfolio.curve import EquityCurve, EquitySnapshot
from quantdesk.portfolio.errors import PortfolioError
from quantdesk.portfolio.ledger import Ledger, Marks
from quantdesk.portfolio.summary import PortfolioSummary, aggregate

__all__ = [
    "CASH_RATES",
    "REG_T_RATES",
    "AccountType",
    "Balances",
    "EquityCurve",
    "EquitySnapshot",
    "Ledger",
    "MarginRates",
    "Marks",
    "PortfolioError",
    "PortfolioSummary",
    "aggregate",
    "buying_power",
    "excess_liquidity",
    "initial_requirement",
    "maintenance_ok",
    "maintenance_requirement",
]

"""Account types and their margin arithmetic: buying power, maintenance requirement, excess liquidity.

With ``C`` cash, ``L`` the gross long market value, ``S`` the gross short market value (a magnitude, >= 0),
equity ``E = C + L - S`` and gross exposure ``G = L + S``, an account with initial margin rate ``i`` and
maintenance rates ``m_long`` / ``m_short`` has:

* initial requirement ``i × G``;
* buying power ``max(0, (E - i × G) / i) = max(0, E / i - G)``: the market value of new positions, long or
  short, that the equity above the initial requirement can carry at rate ``i``;
* maintenance requirement ``m_long × L + m_short × S``;
* excess liquidity ``E - maintenance requirement``; the account is in good standing (``maintenance_ok``)
  while it is >= 0, and gets a margin call below.

``MARGIN`` (Reg-T style, US equities): ``i = 50 %`` on longs and shorts (Regulation T, 12 CFR 220.12(a):
50 % of the current market value of a margin equity security; 220.12(c)(1): a short sale needs 150 %, the
proceeds plus 50 %), so buying power ``= max(0, 2 × E - G)``; maintenance ``25 %`` of long value
(FINRA Rule 4210(c)(1)) and ``30 %`` of short value (FINRA Rule 4210(c), short stock at $5 or more), so
requirement ``= 0.25 × L + 0.30 × S``. Not modelled: FINRA's per-share minimums for short stock ($5 a share,
or the greater of $2.50 a share and 100 % below $5), pattern-day-trader intraday buying power, the SMA,
and brokers' house requirements above these minimums.

``CASH``: every rate 100 %: nothing is borrowed and shorting is not allowed (``can_short`` is False), so
without shorts buying power ``= max(0, C)``, excess liquidity ``= C``, and ``maintenance_ok`` means no debit
balance (``C >= 0``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Context, Decimal
from enum import StrEnum

from quantdesk.portfolio._decimal import ZERO, amount, exact, non_negative
from quantdesk.portfolio.errors import PortfolioError

# E / i terminates for the rates used here (1 and 1/2); 60 digits keep it exact for any realistic equity.
_DIVISION_DIGITS = 60


@dataclass(frozen=True, slots=True)
class MarginRates:
    """The fractions of market value an account must hold as equity: to open (initial) and to keep."""

    initial: Decimal
    long_maintenance: Decimal
    short_maintenance: Decimal

    def __post_init__(self) -> None:
        for name in ("initial", "long_maintenance", "short_maintenance"):
            rate = amount(getattr(self, name), f"MarginRates.{name}")
            if not 0 < rate <= 1:
                raise PortfolioError(f"MarginRates.{name} must be in (0, 1], got {rate}")
            object.__setattr__(self, name, rate)


CASH_RATES = MarginRates(initial=Decimal(1), long_maintenance=Decimal(1), short_maintenance=Decimal(1))
REG_T_RATES = MarginRates(initial=Decimal("0.5"), long_maintenance=Decimal("0.25"), short_maintenance=Decimal("0.30"))


class AccountType(StrEnum):
    """How an account pays for positions: fully in cash, or on Reg-T margin."""

    CASH = "cash"
    MARGIN = "margin"

    @property
    def can_short(self) -> bool:
        """Whether the account may sell what it does not hold: only a margin account can borrow stock."""
        return self is AccountType.MARGIN

    @property
    def rates(self) -> MarginRates:
        """The account's margin rates: 100 % everywhere for cash, Reg T / FINRA 4210 minimums for margin."""
        return REG_T_RATES if self is AccountType.MARGIN else CASH_RATES


@dataclass(frozen=True, slots=True)
class Balances:
    """What margin depends on: cash, gross long and gross short market value (both magnitudes, >= 0)."""

    cash: Decimal
    long_value: Decimal
    short_value: Decimal

    def __post_init__(self) -> None:
        object.__setattr__(self, "cash", amount(self.cash, "Balances.cash"))
        object.__setattr__(self, "long_value", non_negative(self.long_value, "Balances.long_value"))
        object.__setattr__(self, "short_value", non_negative(self.short_value, "Balances.short_value"))

    @property
    def equity(self) -> Decimal:
        """``cash + long_value - short_value``."""
        with exact():
            return self.cash + self.long_value - self.short_value

    @property
    def gross(self) -> Decimal:
        """Gross exposure ``long_value + short_value``."""
        with exact():
            return self.long_value + self.short_value

    @property
    def net(self) -> Decimal:
        """Net exposure ``long_value - short_value``."""
        with exact():
            return self.long_value - self.short_value


def initial_requirement(account_type: AccountType, balances: Balances) -> Decimal:
    """``initial × gross``: the equity the current positions would need if opened now."""
    with exact():
        return account_type.rates.initial * balances.gross


def buying_power(account_type: AccountType, balances: Balances) -> Decimal:
    """``max(0, equity / initial - gross)``: ``max(0, 2 × equity - gross)`` on margin, ``max(0, cash)`` in cash."""
    leveraged = Context(prec=_DIVISION_DIGITS).divide(balances.equity, account_type.rates.initial)
    with exact():
        return max(ZERO, leveraged - balances.gross)


def maintenance_requirement(account_type: AccountType, balances: Balances) -> Decimal:
    """``long_maintenance × long_value + short_maintenance × short_value`` (25 % / 30 % on margin)."""
    rates = account_type.rates
    with exact():
        return rates.long_maintenance * balances.long_value + rates.short_maintenance * balances.short_value


def excess_liquidity(account_type: AccountType, balances: Balances) -> Decimal:
    """``equity - maintenance requirement``: negative means a margin call."""
    with exact():
        return balances.equity - maintenance_requirement(account_type, balances)


def maintenance_ok(account_type: AccountType, balances: Balances) -> bool:
    """Whether equity covers the maintenance requirement (excess liquidity >= 0)."""
    return excess_liquidity(account_type, balances) >= 0

from datetime import UTC, datetime
from decimal import Decimal
from itertools import count

import pytest

from quantdesk.model import ClientOrderId, Fill, OrderSide, Symbol, TradeId
from quantdesk.portfolio import (
    CASH_RATES,
    REG_T_RATES,
    AccountType,
    Balances,
    Ledger,
    MarginRates,
    PortfolioError,
    buying_power,
    excess_liquidity,
    initial_requirement,
    maintenance_ok,
    maintenance_requirement,
)

D = Decimal
B, S = OrderSide.BUY, OrderSide.SELL
AAPL, MSFT = Symbol("AAPL"), Symbol("MSFT")
CASH, MARGIN = AccountType.CASH, AccountType.MARGIN
TS = datetime(2024, 3, 4, 14, 30, tzinfo=UTC)
_trade_numbers = count(1)


def fill(side: OrderSide, quantity: str, price: str, fee: str = "0", symbol: Symbol = AAPL) -> Fill:
    return Fill(
        trade_id=TradeId(f"bp{next(_trade_numbers)}"),
        client_order_id=ClientOrderId("o1"),
        symbol=symbol,
        side=side,
        quantity=D(quantity),
        price=D(price),
        fee=D(fee),
        ts=TS,
    )


def test_portfolio_rates_are_reg_t_and_finra_4210_on_margin_and_100_percent_in_cash() -> None:
    assert MARGIN.rates == REG_T_RATES == MarginRates(D("0.5"), D("0.25"), D("0.30"))
    assert CASH.rates == CASH_RATES == MarginRates(D(1), D(1), D(1))
    assert MARGIN.can_short
    assert not CASH.can_short
    assert AccountType("margin") is MARGIN


# Balances (cash, long value, short value)  -> equity, gross, initial req., buying power, maintenance, excess, ok
MARGIN_CASES = {
    "no positions: twice the cash": (("10000", "0", "0"), ("10000", "0", "0", "20000", "0", "10000", True)),
    # bought 150 @ 100 with 10 000: 5 000 borrowed
    "long on margin at cost": (("-5000", "15000", "0"), ("10000", "15000", "7500", "5000", "3750", "6250", True)),
    "long fallen to 60: no buying power, still above maintenance": (
        ("-5000", "9000", "0"),
        ("4000", "9000", "4500", "0", "2250", "1750", True),
    ),
    "long fallen to 40: margin call": (("-5000", "6000", "0"), ("1000", "6000", "3000", "0", "1500", "-500", False)),
    # shorted 100 @ 100 with 10 000: cash holds the 10 000 proceeds
    "short at the sale price": (("20000", "0", "10000"), ("10000", "10000", "5000", "10000", "3000", "7000", True)),
    "short risen to 130": (("20000", "0", "13000"), ("7000", "13000", "6500", "1000", "3900", "3100", True)),
    "short risen to 160: margin call": (("20000", "0", "16000"), ("4000", "16000", "8000", "0", "4800", "-800", False)),
    "long and short: over the initial requirement, above maintenance": (
        ("5000", "15000", "10000"),
        ("10000", "25000", "12500", "0", "6750", "3250", True),
    ),
    "a cent above maintenance": (
        ("-5000", "6666.68", "0"),
        ("1666.68", "6666.68", "3333.34", "0", "1666.67", "0.01", True),
    ),
}


@pytest.mark.parametrize(("balances", "expected"), MARGIN_CASES.values(), ids=MARGIN_CASES.keys())
def test_portfolio_margin_account_by_hand(balances, expected) -> None:
    b = Balances(*(D(v) for v in balances))
    equity, gross, initial, power, requirement, excess, ok = expected
    assert (b.equity, b.gross) == (D(equity), D(gross))
    assert initial_requirement(MARGIN, b) == D(initial)
    assert buying_power(MARGIN, b) == D(power) == max(D(0), 2 * b.equity - b.gross)
    assert maintenance_requirement(MARGIN, b) == D(requirement)
    assert excess_liquidity(MARGIN, b) == D(excess)
    assert maintenance_ok(MARGIN, b) is ok


def test_portfolio_margin_maintenance_boundary_is_inclusive() -> None:
    b = Balances(D(-4500), D(6000), D(0))  # equity 1 500 = 25 % of 6 000
    assert excess_liquidity(MARGIN, b) == 0
    assert maintenance_ok(MARGIN, b)
    assert not maintenance_ok(MARGIN, Balances(D("-4500.01"), D(6000), D(0)))


# Balances (cash, long value, short value) -> buying power, maintenance, excess, ok
CASH_CASES = {
    "no positions": (("10000", "0", "0"), ("10000", "0", "10000", True)),
    "long: buying power is the cash left": (("3995", "6000", "0"), ("3995", "6000", "3995", True)),
    "long after a fall: still the cash": (("3995", "1000", "0"), ("3995", "1000", "3995", True)),
    "debit balance: no buying power, not in good standing": (("-1000", "2000", "0"), ("0", "2000", "-1000", False)),
    "a short (not allowed) ties up its proceeds and as much again": (
        ("11000", "0", "1000"),
        ("9000", "1000", "9000", True),
    ),
}


@pytest.mark.parametrize(("balances", "expected"), CASH_CASES.values(), ids=CASH_CASES.keys())
def test_portfolio_cash_account_by_hand(balances, expected) -> None:
    b = Balances(*(D(v) for v in balances))
    power, requirement, excess, ok = expected
    assert buying_power(CASH, b) == D(power)
    assert maintenance_requirement(CASH, b) == D(requirement)
    assert excess_liquidity(CASH, b) == D(excess)
    assert maintenance_ok(CASH, b) is ok


def test_portfolio_cash_ledger_buying_power_is_its_cash_at_any_mark() -> None:
    ledger = Ledger.from_fills(D(10_000), [fill(B, "60", "100", "5")])
    assert not ledger.can_short
    for mark in ("100", "50", "150"):
        marks = {AAPL: D(mark)}
        assert ledger.buying_power(marks) == ledger.excess_liquidity(marks) == D(3995)
        assert ledger.maintenance_requirement(marks) == 60 * D(mark)
        assert ledger.maintenance_ok(marks)


def test_portfolio_margin_ledger_long_falls_into_a_margin_call() -> None:
    ledger = Ledger.from_fills(D(10_000), [fill(B, "150", "100")], MARGIN)
    assert ledger.can_short
    assert ledger.cash == D(-5000)
    at = {price: {AAPL: D(price)} for price in (100, 60, 45, 44)}
    assert ledger.buying_power(at[100]) == D(5000)
    assert ledger.maintenance_requirement(at[100]) == D(3750)
    assert ledger.buying_power(at[60]) == 0
    # call price: 150 p - 5 000 = 0.25 × 150 p  ->  p = 44.44...
    assert ledger.excess_liquidity(at[45]) == D(1750) - D("1687.5")
    assert ledger.maintenance_ok(at[45])
    assert ledger.excess_liquidity(at[44]) == D(1600) - D(1650)
    assert not ledger.maintenance_ok(at[44])


def test_portfolio_margin_ledger_long_and_short() -> None:
    fills = [fill(B, "150", "100"), fill(S, "100", "100", symbol=MSFT)]
    ledger = Ledger.from_fills(D(10_000), fills, MARGIN)
    marks = {AAPL: D(100), MSFT: D(100)}
    assert ledger.cash == D(5000)
    assert ledger.equity(marks) == D(10_000)
    assert ledger.gross_exposure(marks) == D(25_000)
    assert ledger.buying_power(marks) == 0
    assert ledger.maintenance_requirement(marks) == D(6750)
    assert ledger.excess_liquidity(marks) == D(3250)
    marks = {AAPL: D(110), MSFT: D(90)}  # long +1 500, short +1 000: equity 12 500, gross 25 500
    assert ledger.buying_power(marks) == 0
    assert ledger.maintenance_requirement(marks) == D("4125") + D("2700")
    marks = {AAPL: D(130), MSFT: D(70)}  # equity 5 000 + 19 500 - 7 000 = 17 500, gross 26 500
    assert ledger.buying_power(marks) == D(35_000) - D(26_500)


def test_portfolio_balances_and_rates_refuse_bad_values() -> None:
    with pytest.raises(PortfolioError, match=r"Balances\.short_value must be >= 0"):
        Balances(D(0), D(0), D(-1))
    with pytest.raises(PortfolioError, match=r"Balances\.cash must be a Decimal, got float"):
        Balances(0.0, D(0), D(0))  # type: ignore[arg-type]
    with pytest.raises(PortfolioError, match=r"MarginRates\.initial must be in \(0, 1\]"):
        MarginRates(D(0), D("0.25"), D("0.3"))

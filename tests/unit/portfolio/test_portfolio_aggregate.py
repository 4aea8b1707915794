from datetime import UTC, datetime
from decimal import Decimal
from itertools import count

import pytest

from quantdesk.model import ClientOrderId, Fill, OrderSide, Symbol, TradeId
from quantdesk.portfolio import AccountType, Ledger, PortfolioError, PortfolioSummary, aggregate

D = Decimal
B, S = OrderSide.BUY, OrderSide.SELL
AAPL, MSFT = Symbol("AAPL"), Symbol("MSFT")
TS = datetime(2024, 3, 4, 14, 30, tzinfo=UTC)
_trade_numbers = count(1)


def fill(side: OrderSide, quantity: str, price: str, symbol: Symbol = AAPL, fee: str = "0") -> Fill:
    return Fill(
        trade_id=TradeId(f"ag{next(_trade_numbers)}"),
        client_order_id=ClientOrderId("o1"),
        symbol=symbol,
        side=side,
        quantity=D(quantity),
        price=D(price),
        fee=D(fee),
        ts=TS,
    )


def test_portfolio_aggregate_sums_two_deployments() -> None:
    # deployment A (cash): long 10 AAPL @ 100                       -> cash 9 000
    # deployment B (margin): short 4 AAPL @ 110, long 10 MSFT @ 300 -> cash 20 000 + 440 - 3 000 = 17 440
    a = Ledger.from_fills(D(10_000), [fill(B, "10", "100")])
    b = Ledger.from_fills(D(20_000), [fill(S, "4", "110"), fill(B, "10", "300", MSFT)], AccountType.MARGIN)
    marks = {AAPL: D(120), MSFT: D(310)}
    # A: equity 9 000 + 1 200 = 10 200, gross 1 200; B: equity 17 440 + 3 100 - 480 = 20 060, gross 3 580
    assert aggregate([a, b], marks) == PortfolioSummary(
        cash=D(26_440),
        equity=D(30_260),
        gross=D(4780),
        net=D(1200) + D(2620),
        realized_pnl_net=D(0),
        unrealized_pnl=D(200) + D(-40) + D(100),
        positions={AAPL: D(6), MSFT: D(10)},
        ledgers=2,
    )


def test_portfolio_aggregate_nets_quantities_but_adds_gross_exposures() -> None:
    a = Ledger.from_fills(D(1000), [fill(B, "4", "100", fee="1")])
    b = Ledger.from_fills(D(1000), [fill(S, "4", "100", fee="1")], AccountType.MARGIN)
    closed = Ledger.from_fills(D(500), [fill(B, "1", "100", MSFT), fill(S, "1", "150", MSFT)])
    summary = aggregate([a, b, closed], {AAPL: D(100)})
    assert summary.positions == {}
    assert (summary.gross, summary.net) == (D(800), D(0))
    assert summary.cash == D(599) + D(1399) + D(550)
    assert summary.equity == D(999) + D(999) + D(550)
    assert summary.realized_pnl_net == D(-1) + D(-1) + D(50)
    assert summary.ledgers == 3


def test_portfolio_aggregate_of_nothing_is_zero() -> None:
    summary = aggregate([], {})
    assert (summary.cash, summary.equity, summary.gross, dict(summary.positions), summary.ledgers) == (0, 0, 0, {}, 0)


def test_portfolio_aggregate_needs_marks_for_every_ledgers_holdings() -> None:
    a = Ledger.from_fills(D(1000), [fill(B, "1", "100")])
    b = Ledger.from_fills(D(1000), [fill(B, "1", "100", MSFT)])
    with pytest.raises(PortfolioError, match="no mark for held symbol\\(s\\): MSFT"):
        aggregate([a, b], {AAPL: D(100)})

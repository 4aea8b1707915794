from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from itertools import count

import pytest

from quantdesk.model import ClientOrderId, Fill, OrderSide, Position, Symbol, TradeId
from quantdesk.portfolio import AccountType, EquitySnapshot, Ledger, PortfolioError

D = Decimal
B, S = OrderSide.BUY, OrderSide.SELL
AAPL, MSFT = Symbol("AAPL"), Symbol("MSFT")
TS = datetime(2024, 3, 4, 14, 30, tzinfo=UTC)
_trade_numbers = count(1)


def fill(side: OrderSide, quantity: str, price: str, fee: str = "0", symbol: Symbol = AAPL) -> Fill:
    return Fill(
        trade_id=TradeId(f"t{next(_trade_numbers)}"),
        client_order_id=ClientOrderId("o1"),
        symbol=symbol,
        side=side,
        quantity=D(quantity),
        price=D(price),
        fee=D(fee),
        ts=TS,
    )


# initial cash 10 000 in every case
# fills (side, qty, price, fee, symbol)   marks
#   -> cash, quantities, realized (gross), fees, unrealized, equity, gross, net
CASES = {
    "long with a fee": (
        [(B, "10", "100", "1", AAPL)],
        {AAPL: "110"},
        ("8999", {AAPL: "10"}, "0", "1", "100", "10099", "1100", "1100"),
    ),
    "long round trip at a gain, fees both ways": (
        [(B, "10", "100", "1", AAPL), (S, "10", "120", "1.2", AAPL)],
        {},
        ("10197.8", {}, "200", "2.2", "0", "10197.8", "0", "0"),
    ),
    "short sale receives the proceeds less the fee": (
        [(S, "5", "200", "0.5", AAPL)],
        {AAPL: "180"},
        ("10999.5", {AAPL: "-5"}, "0", "0.5", "100", "10099.5", "900", "-900"),
    ),
    "short covered at a loss": (
        [(S, "5", "200", "0", AAPL), (B, "5", "230", "0", AAPL)],
        {},
        ("9850", {}, "-150", "0", "0", "9850", "0", "0"),
    ),
    "long flipped through zero to short": (
        [(B, "10", "100", "0", AAPL), (S, "15", "120", "0", AAPL)],
        {AAPL: "130"},
        ("10800", {AAPL: "-5"}, "200", "0", "-50", "10150", "650", "-650"),
    ),
    "short flipped through zero to long": (
        [(S, "10", "100", "2", AAPL), (B, "25", "90", "3", AAPL)],
        {AAPL: "95"},
        ("8745", {AAPL: "15"}, "100", "5", "75", "10170", "1425", "1425"),
    ),
    "long one symbol, short another": (
        [(B, "10", "100", "0", AAPL), (S, "4", "250", "0", MSFT)],
        {AAPL: "105", MSFT: "240"},
        ("10000", {AAPL: "10", MSFT: "-4"}, "0", "0", "90", "10090", "2010", "90"),
    ),
    "fractional quantities": (
        [(B, "0.5", "64000.10", "0.32", AAPL), (S, "0.2", "65000", "0.13", AAPL)],
        {AAPL: "63000"},
        ("-9000.50", {AAPL: "0.3"}, "199.98", "0.45", "-300.03", "9899.50", "18900.0", "18900.0"),
    ),
}


def ledger_of(rows: list[tuple[OrderSide, str, str, str, Symbol]], account: AccountType = AccountType.CASH) -> Ledger:
    return Ledger.from_fills(D(10_000), [fill(*row) for row in rows], account)


@pytest.mark.parametrize(("rows", "marks", "expected"), CASES.values(), ids=CASES.keys())
def test_portfolio_ledger_books_fills_as_the_table_says(rows, marks, expected) -> None:
    ledger = ledger_of(rows, AccountType.MARGIN)
    marks = {symbol: D(price) for symbol, price in marks.items()}
    cash, quantities, realized, fees, unrealized, equity, gross, net = expected
    assert ledger.cash == D(cash)
    assert {s: p.quantity for s, p in ledger.open_positions.items()} == {s: D(q) for s, q in quantities.items()}
    assert ledger.realized_pnl == D(realized)
    assert ledger.fees == D(fees)
    assert ledger.realized_pnl_net == D(realized) - D(fees)
    assert ledger.unrealized_pnl(marks) == D(unrealized)
    assert ledger.equity(marks) == D(equity)
    assert ledger.gross_exposure(marks) == D(gross)
    assert ledger.net_exposure(marks) == ledger.market_value(marks) == D(net)
    assert ledger.equity(marks) - ledger.initial_cash == ledger.realized_pnl_net + ledger.unrealized_pnl(marks)


def test_portfolio_positions_are_the_model_fold_of_each_symbols_fills() -> None:
    fills = [fill(B, "10", "100"), fill(S, "3", "50", symbol=MSFT), fill(S, "10", "110"), fill(B, "1", "40", "1", MSFT)]
    ledger = Ledger.from_fills(D(5000), fills)
    assert dict(ledger.positions) == {
        AAPL: Position.from_fills(AAPL, fills[0::2]),
        MSFT: Position.from_fills(MSFT, fills[1::2]),
    }
    assert list(ledger.positions) == [AAPL, MSFT]
    assert list(ledger.open_positions) == [MSFT]
    assert ledger.positions[AAPL].realized_pnl == D(100)
    assert ledger.position(Symbol("IBM")) == Position(Symbol("IBM"))
    assert ledger.trade_ids == tuple(f.trade_id for f in fills)
    assert ledger.fills == tuple(fills)


def test_portfolio_positions_view_is_read_only() -> None:
    ledger = Ledger.from_fills(D(1000), [fill(B, "1", "10")])
    with pytest.raises(TypeError):
        ledger.positions[MSFT] = Position(MSFT)  # type: ignore[index]


def test_portfolio_duplicate_trade_id_is_ignored_idempotently() -> None:
    first, second = fill(B, "10", "100", "1"), fill(S, "4", "110", "1")
    ledger = Ledger(D(10_000))
    assert ledger.apply(first) is True
    assert ledger.apply(second) is True
    before = Ledger.from_fills(D(10_000), [first, second])
    assert ledger.apply(first) is False
    assert ledger.apply(second) is False
    assert ledger == before
    assert ledger.cash == D(10_000) - D(1001) + D(439)
    assert ledger.trade_ids == (first.trade_id, second.trade_id)


def test_portfolio_different_fill_under_an_applied_trade_id_is_refused_and_changes_nothing() -> None:
    original = fill(B, "10", "100")
    ledger = Ledger.from_fills(D(10_000), [original])
    conflicting = Fill(
        trade_id=original.trade_id,
        client_order_id=original.client_order_id,
        symbol=AAPL,
        side=B,
        quantity=D(11),
        price=D(100),
        fee=D(0),
        ts=TS,
    )
    with pytest.raises(PortfolioError, match=f"trade {original.trade_id} was already applied"):
        ledger.apply(conflicting)
    assert ledger == Ledger.from_fills(D(10_000), [original])


def test_portfolio_missing_mark_for_a_held_symbol_names_it() -> None:
    ledger = Ledger.from_fills(D(10_000), [fill(B, "1", "100"), fill(S, "1", "50", symbol=MSFT)])
    for valuation in (
        ledger.equity,
        ledger.market_value,
        ledger.gross_exposure,
        ledger.net_exposure,
        ledger.unrealized_pnl,
        ledger.weights,
        ledger.buying_power,
        ledger.maintenance_ok,
    ):
        with pytest.raises(PortfolioError, match=r"no mark for held symbol\(s\): MSFT$"):
            valuation({AAPL: D(100)})
    with pytest.raises(PortfolioError, match=r"AAPL, MSFT$"):
        ledger.snapshot(TS, {})


def test_portfolio_flat_symbols_need_no_mark() -> None:
    ledger = Ledger.from_fills(D(1000), [fill(B, "2", "10"), fill(S, "2", "12")])
    assert ledger.equity({}) == D(1004)
    assert ledger.weights({}) == {}


def test_portfolio_mark_must_be_a_positive_decimal() -> None:
    ledger = Ledger.from_fills(D(1000), [fill(B, "1", "10")])
    with pytest.raises(ValueError, match="mark must be > 0"):
        ledger.equity({AAPL: D(0)})
    with pytest.raises(ValueError, match="mark must be a Decimal"):
        ledger.equity({AAPL: 10.0})  # type: ignore[dict-item]


def test_portfolio_weights_are_value_over_equity() -> None:
    ledger = Ledger.from_fills(D(10_000), [fill(B, "30", "100"), fill(S, "10", "50", symbol=MSFT)], AccountType.MARGIN)
    # cash 10 000 - 3 000 + 500 = 7 500; equity 7 500 + 3 000 - 500 = 10 000
    assert ledger.weights({AAPL: D(100), MSFT: D(50)}) == {AAPL: D("0.3"), MSFT: D("-0.05")}
    thirds = ledger.weights({AAPL: D(100), MSFT: D(300)})  # equity 7 500
    assert thirds[AAPL] == D("0.4")
    assert thirds[MSFT] == D("-0.4")


def test_portfolio_weights_need_positive_equity() -> None:
    ledger = Ledger.from_fills(D(1000), [fill(S, "10", "100")], AccountType.MARGIN)  # cash 2 000
    with pytest.raises(PortfolioError, match="weights need a positive equity, got 0"):
        ledger.weights({AAPL: D(200)})


def test_portfolio_snapshot_values_the_account_at_marks() -> None:
    ledger = Ledger.from_fills(D(10_000), [fill(B, "10", "100", "1"), fill(S, "4", "250", symbol=MSFT)])
    ts = datetime(2024, 3, 4, 9, 30, tzinfo=timezone(timedelta(hours=-5)))
    snapshot = ledger.snapshot(ts, {AAPL: D(110), MSFT: D(240)})
    assert snapshot == EquitySnapshot(
        ts=datetime(2024, 3, 4, 14, 30, tzinfo=UTC),
        cash=D(9999),
        equity=D(9999) + D(1100) - D(960),
        gross=D(2060),
        net=D(140),
    )
    assert snapshot.ts.tzinfo is UTC


def test_portfolio_snapshot_refuses_a_naive_timestamp() -> None:
    with pytest.raises(PortfolioError, match="timezone-aware"):
        Ledger(D(1)).snapshot(datetime(2024, 3, 4), {})


def test_portfolio_ledger_refuses_bad_inputs() -> None:
    with pytest.raises(PortfolioError, match="initial_cash must be a Decimal, got float"):
        Ledger(1000.0)  # type: ignore[arg-type]
    with pytest.raises(PortfolioError, match="initial_cash must be >= 0"):
        Ledger(D(-1))
    with pytest.raises(PortfolioError, match="account_type must be an AccountType"):
        Ledger(D(1), "margin")  # type: ignore[arg-type]
    with pytest.raises(PortfolioError, match="a ledger applies Fill, got dict"):
        Ledger(D(1)).apply({})  # type: ignore[arg-type]


def test_portfolio_ledger_records_what_the_venue_reports_even_past_the_cash() -> None:
    ledger = Ledger.from_fills(D(1000), [fill(B, "20", "100")])
    assert ledger.cash == D(-1000)
    assert ledger.buying_power({AAPL: D(100)}) == 0
    assert not ledger.maintenance_ok({AAPL: D(100)})


def test_portfolio_ledger_accepts_int_cash_and_compares_by_state() -> None:
    fills = [fill(B, "1", "10")]
    assert Ledger.from_fills(100, fills) == Ledger.from_fills(D("100.00"), fills)
    assert Ledger.from_fills(100, fills) != Ledger.from_fills(100, fills, AccountType.MARGIN)
    assert Ledger(100) != Ledger.from_fills(100, fills)
    assert repr(Ledger.from_fills(100, fills)) == "Ledger(cash, cash=90, open=1, fills=1)"

from datetime import UTC, datetime
from decimal import Decimal, localcontext

from hypothesis import given, settings
from hypothesis import strategies as st

from quantdesk.model import ClientOrderId, Fill, OrderSide, Position, Symbol, TradeId
from quantdesk.portfolio import AccountType, Ledger, aggregate

SYMBOLS = (Symbol("AAPL"), Symbol("BTC/USD"), Symbol("MSFT"))
TS = datetime(2024, 3, 4, 14, 30, tzinfo=UTC)

quantities = st.one_of(
    st.sampled_from([Decimal(1), Decimal(5), Decimal(10)]),
    st.decimals(min_value="0.001", max_value="1000", places=3),
)
prices = st.decimals(min_value="0.01", max_value="100000", places=2)
initial_cash = st.decimals(min_value="0", max_value="10000000", places=2)
account_types = st.sampled_from(AccountType)
mark_maps = st.fixed_dictionaries(
    {symbol: st.decimals(min_value="0.0001", max_value="100000", places=4) for symbol in SYMBOLS}
)


@st.composite
def fill_lists(draw: st.DrawFn, max_size: int = 30) -> list[Fill]:
    size = draw(st.integers(0, max_size))
    return [
        Fill(
            trade_id=TradeId(f"t{n}"),
            client_order_id=ClientOrderId(f"o{n}"),
            symbol=draw(st.sampled_from(SYMBOLS)),
            side=draw(st.sampled_from(OrderSide)),
            quantity=draw(quantities),
            price=draw(prices),
            fee=draw(st.decimals(min_value="0", max_value="5", places=2)),
            ts=TS,
        )
        for n in range(size)
    ]


@settings(deadline=None)
@given(initial_cash, fill_lists(), mark_maps, account_types)
def test_portfolio_equity_change_is_realized_net_plus_unrealized(cash, fills, marks, account) -> None:
    ledger = Ledger.from_fills(cash, fills, account)
    assert ledger.equity(marks) - cash == ledger.realized_pnl_net + ledger.unrealized_pnl(marks)


@settings(deadline=None)
@given(initial_cash, fill_lists(), account_types)
def test_portfolio_from_fills_equals_incremental_apply_and_replay_is_idempotent(cash, fills, account) -> None:
    ledger = Ledger(cash, account)
    assert all(ledger.apply(f) for f in fills)
    assert ledger == Ledger.from_fills(cash, fills, account)
    assert not any(ledger.apply(f) for f in fills)
    assert ledger == Ledger.from_fills(cash, fills + fills, account)
    assert ledger.trade_ids == tuple(f.trade_id for f in fills)


@settings(deadline=None)
@given(initial_cash, fill_lists())
def test_portfolio_cash_change_is_minus_signed_notional_minus_fees(cash, fills) -> None:
    ledger = Ledger.from_fills(cash, fills)
    with localcontext(prec=120):
        notional = sum((f.signed_quantity * f.price for f in fills), Decimal(0))
        fees = sum((f.fee for f in fills), Decimal(0))
        assert ledger.cash - cash == -notional - fees
    assert ledger.fees == fees


@settings(deadline=None)
@given(initial_cash, fill_lists())
def test_portfolio_positions_are_the_per_symbol_folds(cash, fills) -> None:
    ledger = Ledger.from_fills(cash, fills)
    traded = {f.symbol for f in fills}
    assert dict(ledger.positions) == {s: Position.from_fills(s, [f for f in fills if f.symbol == s]) for s in traded}


@settings(deadline=None)
@given(initial_cash, fill_lists(), mark_maps)
def test_portfolio_exposures_and_margin_follow_the_formulas(cash, fills, marks) -> None:
    ledger = Ledger.from_fills(cash, fills, AccountType.MARGIN)
    values = [p.quantity * marks[s] for s, p in ledger.open_positions.items()]
    with localcontext(prec=120):
        long_value = sum((v for v in values if v > 0), Decimal(0))
        short_value = -sum((v for v in values if v < 0), Decimal(0))
        equity = ledger.cash + long_value - short_value
        assert ledger.equity(marks) == equity
        assert ledger.gross_exposure(marks) == long_value + short_value
        assert ledger.net_exposure(marks) == long_value - short_value
        assert ledger.buying_power(marks) == max(Decimal(0), 2 * equity - long_value - short_value)
        requirement = Decimal("0.25") * long_value + Decimal("0.30") * short_value
        assert ledger.maintenance_requirement(marks) == requirement
        assert ledger.maintenance_ok(marks) is (equity >= requirement)


@settings(deadline=None)
@given(st.lists(st.tuples(initial_cash, fill_lists(max_size=10), account_types), max_size=4), mark_maps)
def test_portfolio_aggregate_is_the_sum_of_the_ledgers(accounts, marks) -> None:
    ledgers = [Ledger.from_fills(cash, fills, account) for cash, fills, account in accounts]
    summary = aggregate(ledgers, marks)
    with localcontext(prec=120):
        assert summary.equity == sum((ledger.equity(marks) for ledger in ledgers), Decimal(0))
        assert summary.cash == sum((ledger.cash for ledger in ledgers), Decimal(0))
        assert summary.gross == sum((ledger.gross_exposure(marks) for ledger in ledgers), Decimal(0))
        for symbol in SYMBOLS:
            total = sum((ledger.position(symbol).quantity for ledger in ledgers), Decimal(0))
            assert summary.positions.get(symbol, Decimal(0)) == total

"""The simulated broker's fill model on small candle tables, with the expected fills written beside them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from quantdesk.execution import Costs, SimBrokerState, SimulatedBroker
from quantdesk.model import (
    Bar,
    ClientOrderId,
    OrderCanceled,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderSide,
    OrderStatus,
    OrderType,
    SubmitOrder,
    Symbol,
    Timeframe,
    TimeInForce,
)

D = Decimal
SYM = Symbol("AAPL")
DAY = Timeframe.parse("1d")
T0 = datetime(2024, 3, 4, tzinfo=UTC)  # a Monday; table row i is the daily bar of T0 + i days


def broker(cash: str = "10000", *, fee: float = 0.0, slip: float = 0.0, fixed: float = 0.0, **kw) -> SimulatedBroker:
    return SimulatedBroker(Costs.of(fee, slip, fixed), SimBrokerState(cash=D(cash)), **kw)


def submit(
    b: SimulatedBroker,
    side: str,
    quantity: str,
    order_type: str = "market",
    *,
    limit: str | None = None,
    stop: str | None = None,
    tif: TimeInForce = TimeInForce.GTC,
    ts: datetime = T0,
    cid: str = "o1",
    symbol: Symbol = SYM,
) -> ClientOrderId:
    b.submit(
        SubmitOrder(
            client_order_id=ClientOrderId(cid),
            symbol=symbol,
            side=OrderSide(side),
            order_type=OrderType(order_type),
            quantity=D(quantity),
            ts=ts,
            time_in_force=tif,
            limit_price=None if limit is None else D(limit),
            stop_price=None if stop is None else D(stop),
        )
    )
    return ClientOrderId(cid)


def play(
    b: SimulatedBroker, rows: list[tuple[float, ...]], *, step: timedelta = timedelta(days=1), start: datetime = T0
) -> list[OrderEvent]:
    """Feed the rows (open, high, low, close[, volume]) as bars ``start + i × step``; every event produced."""
    timeframe = DAY if step >= timedelta(days=1) else Timeframe.parse(f"{int(step.total_seconds() // 60)}m")
    events: list[OrderEvent] = []
    for i, row in enumerate(rows):
        o, h, low, c, *volume = row
        events += b.on_bar(Bar(SYM, timeframe, start + i * step, o, h, low, c, volume[0] if volume else 1e9))
    return events


def fills(events: list[OrderEvent], start: datetime = T0, step: timedelta = timedelta(days=1)) -> list[tuple]:
    """(row, side, quantity, price, fee) of each fill."""
    return [
        ((e.fill.ts - start) // step, e.fill.side.value, e.fill.quantity, e.fill.price, e.fill.fee)
        for e in events
        if isinstance(e, OrderFilled)
    ]


# --- market orders ---------------------------------------------------------------------------------------------


def test_market_buy_fills_at_the_next_open_plus_slippage_and_pays_the_fee() -> None:
    b = broker("10000", fee=0.001, slip=0.01)
    submit(b, "buy", "10", ts=T0)  # decided at the close of the previous bar: T0 is the next bar's open
    events = play(
        b,
        [
            # open   high   low    close      expected
            (100.0, 105.0, 95.0, 102.0),  # buy 10 at 100 × 1.01 = 101, fee 1010 × 0.001 = 1.01
            (110.0, 111.0, 109.0, 110.0),  # nothing more
        ],
    )
    assert fills(events) == [(0, "buy", D("10"), D("101.0"), D("1.01"))]
    assert b.cash() == D("10000") - D("1010") - D("1.01")
    assert b.positions() == {SYM: D("10")}
    assert b.order(ClientOrderId("o1")).status is OrderStatus.FILLED


def test_market_sell_fills_at_the_next_open_minus_slippage_and_a_short_sale_adds_to_cash() -> None:
    b = broker("1000", fee=0.001, slip=0.01)
    submit(b, "sell", "5")
    events = play(b, [(100.0, 101.0, 99.0, 100.0)])  # sell 5 at 100 × 0.99 = 99, fee 0.495
    assert fills(events) == [(0, "sell", D("5"), D("99.0"), D("0.495"))]
    assert b.cash() == D("1000") + D("495") - D("0.495")
    assert b.positions() == {SYM: D("-5")}


def test_an_order_is_not_filled_by_a_bar_that_opened_before_it_was_submitted() -> None:
    b = broker()
    submit(b, "buy", "1", ts=T0 + timedelta(hours=12))  # during bar 0
    events = play(
        b,
        [
            (100.0, 101.0, 99.0, 100.0),  # opened before the order: no fill
            (103.0, 104.0, 102.0, 103.0),  # fills at this open
        ],
    )
    assert fills(events) == [(1, "buy", D("1"), D("103.0"), D("0"))]


def test_a_bar_seen_before_is_ignored() -> None:
    b = broker()
    play(b, [(100.0, 101.0, 99.0, 100.0)])
    submit(b, "buy", "1", ts=T0)
    assert play(b, [(100.0, 101.0, 99.0, 100.0)]) == []  # the same bar again (a replay after a restart)
    assert fills(play(b, [(104.0, 105.0, 103.0, 104.0)], start=T0 + timedelta(days=1)), start=T0) == [
        (1, "buy", D("1"), D("104.0"), D("0"))
    ]


def test_a_buy_the_cash_cannot_pay_is_cut_to_what_it_can_including_fees() -> None:
    b = broker("1000", fee=0.01)
    cid = submit(b, "buy", "100")
    events = play(b, [(11.0, 12.0, 10.0, 11.0)])  # 100 × 11 × 1.01 = 1111 > 1000
    [(row, side, quantity, price, fee)] = fills(events)
    assert (row, side, quantity, price) == (0, "buy", D(repr(1000 / 1.01 / 11)), D("11.0"))
    assert fee == pytest.approx(D(repr(1000 - 1000 / 1.01)), rel=D("1e-12"))  # the fee takes the rounding dust:
    assert quantity * price + fee == D("1000")  # the cut buy spends exactly all of the cash, as in the kernel
    assert b.cash() == 0
    assert isinstance(events[-1], OrderCanceled)  # the rest of the order cannot be paid
    order = b.order(cid)
    assert order.status is OrderStatus.CANCELED
    assert order.reason == "cut to the cash available"
    assert order.filled_quantity == D(repr(1000 / 1.01 / 11))


def test_a_buy_meeting_no_cash_is_canceled_and_one_submitted_without_cash_is_rejected() -> None:
    from quantdesk.execution import BrokerRejected

    b = broker("1000")
    submit(b, "buy", "100", cid="all-in")
    submit(b, "buy", "200", cid="late")
    events = play(b, [(10.0, 11.0, 9.0, 10.0)])  # smaller buys first, as the kernel: all-in spends the 1000
    assert fills(events) == [(0, "buy", D("100"), D("10.0"), D("0"))]
    late = b.order(ClientOrderId("late"))
    assert (late.status, late.reason) == (OrderStatus.CANCELED, "insufficient cash: the account has no cash")
    with pytest.raises(BrokerRejected, match="no cash"):
        submit(b, "buy", "1", cid="broke", ts=T0 + timedelta(days=1))
    assert b.order(ClientOrderId("broke")).status is OrderStatus.REJECTED


def test_a_buy_submitted_without_cash_is_accepted_when_a_pending_sale_can_pay_for_it() -> None:
    b = broker("1000")
    submit(b, "buy", "100")
    play(b, [(10.0, 11.0, 9.0, 10.0)])  # all in: no cash left
    submit(b, "sell", "100", cid="sell", ts=T0 + timedelta(days=1))
    submit(b, "buy", "50", cid="buy", ts=T0 + timedelta(days=1))
    events = play(b, [(12.0, 12.0, 12.0, 12.0)], start=T0 + timedelta(days=1))
    assert [(f[1], f[2]) for f in fills(events, start=T0)] == [("sell", D("100")), ("buy", D("50"))]
    assert b.cash() == D("1200") - D("600")


# --- limit orders ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("side", "limit", "rows", "expected"),
    [
        # a buy limit fills at the limit when the low reaches it; no slippage on limit prices
        ("buy", "99", [(100.0, 101.0, 99.5, 100.0), (100.0, 100.5, 98.0, 99.0)], [(1, D("99"))]),
        # ... never when the low stays above
        ("buy", "99", [(100.0, 101.0, 99.5, 100.0), (100.0, 100.5, 99.01, 99.2)], []),
        # ... and at the open when the bar gaps down through it
        ("buy", "99", [(97.0, 98.0, 96.0, 97.5)], [(0, D("97.0"))]),
        # a sell limit: at the limit when the high reaches it, at the open on a gap up
        ("sell", "101", [(100.0, 100.9, 99.0, 100.0), (100.0, 102.0, 99.0, 101.5)], [(1, D("101"))]),
        ("sell", "101", [(103.0, 104.0, 102.5, 103.0)], [(0, D("103.0"))]),
    ],
)
def test_limit_orders(side: str, limit: str, rows: list, expected: list) -> None:
    b = broker("100000", slip=0.01, fee=0.0)
    submit(b, side, "10", "limit", limit=limit)
    assert [(row, price) for row, _, _, price, _ in fills(play(b, rows))] == expected


# --- stop orders -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("side", "stop", "rows", "expected"),
    [
        # a buy stop triggers when the high reaches the stop and fills at the stop plus slippage
        ("buy", "105", [(100.0, 104.0, 99.0, 103.0), (103.0, 106.0, 102.0, 105.0)], [(1, D(repr(105.0 * 1.02)))]),
        # ... a gap above the stop fills at the open plus slippage
        ("buy", "105", [(108.0, 110.0, 107.0, 109.0)], [(0, D(repr(108.0 * 1.02)))]),
        # a sell stop triggers when the low reaches it: at the stop, or at the open after a gap down
        ("sell", "95", [(100.0, 101.0, 94.0, 96.0)], [(0, D("93.1"))]),
        ("sell", "95", [(90.0, 92.0, 89.0, 91.0)], [(0, D("88.2"))]),
        # not reached: no fill
        ("sell", "95", [(100.0, 101.0, 95.5, 96.0)], []),
    ],
)
def test_stop_orders(side: str, stop: str, rows: list, expected: list) -> None:
    b = broker("100000", slip=0.02)
    submit(b, side, "10", "stop", stop=stop)
    assert [(row, price) for row, _, _, price, _ in fills(play(b, rows))] == expected


@pytest.mark.parametrize(
    ("stop", "limit", "rows", "expected"),
    [
        # triggered inside the bar at 100 <= limit 101: marketable at the trigger, fills there on the same bar
        ("100", "101", [(99.0, 102.0, 98.0, 101.0)], [(0, D("100"))]),
        # gapped over the limit: triggered, then a plain limit from the next bar (at the limit, or the open)
        ("100", "101", [(103.0, 104.0, 100.5, 103.0), (102.0, 102.5, 100.8, 101.5)], [(1, D("101"))]),
        ("100", "101", [(103.0, 104.0, 100.5, 103.0), (100.5, 102.0, 100.2, 101.5)], [(1, D("100.5"))]),
        # a limit below the stop cannot fill on the triggering bar even though its low reaches the limit
        ("100", "99.5", [(99.0, 101.0, 99.0, 100.0), (100.0, 100.5, 99.4, 100.0)], [(1, D("99.5"))]),
        # never triggered: no fill, even though the limit was reachable
        ("100", "101", [(98.0, 99.5, 97.0, 99.0)], []),
    ],
)
def test_buy_stop_limit_orders(stop: str, limit: str, rows: list, expected: list) -> None:
    b = broker("100000", slip=0.02)
    submit(b, "buy", "10", "stop_limit", stop=stop, limit=limit)
    assert [(row, price) for row, _, _, price, _ in fills(play(b, rows))] == expected


def test_sell_stop_limit_triggers_on_the_low_and_fills_at_or_above_its_limit() -> None:
    b = broker("100000")
    submit(b, "sell", "10", "stop_limit", stop="95", limit="94")
    events = play(
        b,
        [
            (97.0, 98.0, 96.0, 97.0),  # not triggered
            (93.0, 94.5, 92.0, 93.0),  # gap below the stop and the limit: triggered, not marketable at 93
            (93.5, 95.0, 93.0, 94.5),  # a limit sell at 94 now: the high reaches it
        ],
    )
    assert fills(events) == [(2, "sell", D("10"), D("94"), D("0"))]


# --- time in force ---------------------------------------------------------------------------------------------


def test_day_order_expires_at_the_first_bar_of_a_later_utc_date() -> None:
    b = broker()
    five = timedelta(minutes=5)
    start = datetime(2024, 3, 4, 23, 50, tzinfo=UTC)
    cid = submit(b, "buy", "1", "limit", limit="90", tif=TimeInForce.DAY, ts=start)
    events = play(
        b,
        [
            (100.0, 101.0, 99.0, 100.0),  # 23:50 Mar 4: working
            (100.0, 101.0, 99.0, 100.0),  # 23:55 Mar 4: working
            (89.0, 90.0, 88.0, 89.0),  # 00:00 Mar 5: expired before it could fill
        ],
        step=five,
        start=start,
    )
    assert events == [OrderExpired(cid, datetime(2024, 3, 5, tzinfo=UTC))]
    assert b.order(cid).status is OrderStatus.EXPIRED


def test_day_market_order_decided_at_a_daily_close_fills_in_the_next_session() -> None:
    b = broker()
    # bar 0 is Mar 4; the decision at its close is stamped with the close (= Mar 5 00:00) or with bar 0's label
    submit(b, "buy", "1", tif=TimeInForce.DAY, ts=T0, cid="label")
    play(b, [(100.0, 101.0, 99.0, 100.0)])
    submit(b, "buy", "1", tif=TimeInForce.DAY, ts=T0 + timedelta(days=1), cid="close")
    events = play(b, [(102.0, 103.0, 101.0, 102.0)], start=T0 + timedelta(days=1))
    assert [e.client_order_id.value for e in events if isinstance(e, OrderFilled)] == ["close"]


def test_day_limit_order_on_daily_bars_lives_for_one_session() -> None:
    b = broker()
    cid = submit(b, "buy", "1", "limit", limit="95", tif=TimeInForce.DAY)
    events = play(b, [(100.0, 101.0, 99.0, 100.0), (96.0, 97.0, 94.0, 96.0)])
    assert events == [OrderExpired(cid, T0 + timedelta(days=1))]  # the second session's dip comes too late


def test_gtc_order_stays_working_across_days_until_it_fills() -> None:
    b = broker()
    cid = submit(b, "buy", "1", "limit", limit="95", tif=TimeInForce.GTC)
    rows = [(100.0, 101.0, 99.0, 100.0)] * 5 + [(96.0, 97.0, 94.0, 96.0)]
    assert fills(play(b, rows)) == [(5, "buy", D("1"), D("95"), D("0"))]
    assert b.order(cid).status is OrderStatus.FILLED


def test_ioc_fills_what_it_can_on_its_first_bar_and_cancels_the_rest() -> None:
    b = broker(max_volume_pct=0.1)
    cid = submit(b, "buy", "25", tif=TimeInForce.IOC)
    events = play(b, [(10.0, 11.0, 9.0, 10.0, 100.0), (10.0, 11.0, 9.0, 10.0, 100.0)])
    assert fills(events) == [(0, "buy", D("10"), D("10.0"), D("0"))]
    assert isinstance(events[-1], OrderCanceled)
    assert (b.order(cid).status, b.order(cid).filled_quantity) == (OrderStatus.CANCELED, D("10"))


def test_ioc_limit_not_reached_on_its_first_bar_is_canceled() -> None:
    b = broker()
    cid = submit(b, "buy", "1", "limit", limit="90", tif=TimeInForce.IOC)
    assert play(b, [(100.0, 101.0, 99.0, 100.0), (89.0, 90.0, 88.0, 89.0)]) == [OrderCanceled(cid, T0)]


@pytest.mark.parametrize(
    ("volume", "expected_fills", "status"),
    [(1000.0, [(0, "buy", D("25"), D("10.0"), D("0"))], OrderStatus.FILLED), (100.0, [], OrderStatus.CANCELED)],
)
def test_fok_fills_only_if_all_of_it_can(volume: float, expected_fills: list, status: OrderStatus) -> None:
    b = broker(max_volume_pct=0.1)
    cid = submit(b, "buy", "25", tif=TimeInForce.FOK)
    assert fills(play(b, [(10.0, 11.0, 9.0, 10.0, volume)])) == expected_fills
    assert b.order(cid).status is status


def test_fok_buy_the_cash_cannot_pay_in_full_is_canceled_without_a_fill() -> None:
    b = broker("100")
    cid = submit(b, "buy", "25", tif=TimeInForce.FOK)
    assert play(b, [(10.0, 11.0, 9.0, 10.0)]) == [OrderCanceled(cid, T0)]
    assert b.cash() == D("100")


# --- volume participation --------------------------------------------------------------------------------------


def test_max_volume_pct_spreads_a_large_order_over_several_bars() -> None:
    b = broker(max_volume_pct=0.1)
    cid = submit(b, "buy", "25")
    events = play(
        b,
        [
            # open  high  low   close volume   expected
            (10.0, 10.0, 10.0, 10.0, 100.0),  # 10 (10% of 100) at 10
            (11.0, 11.0, 11.0, 11.0, 50.0),  # 5 at 11
            (12.0, 12.0, 12.0, 12.0, 1000.0),  # the last 10 at 12
        ],
    )
    assert fills(events) == [
        (0, "buy", D("10.0"), D("10.0"), D("0")),
        (1, "buy", D("5.0"), D("11.0"), D("0")),
        (2, "buy", D("10.0"), D("12.0"), D("0")),
    ]
    assert [b.order(cid).status, b.order(cid).avg_fill_price] == [OrderStatus.FILLED, D("11")]  # 275 / 25


def test_orders_on_one_bar_share_its_volume() -> None:
    b = broker(max_volume_pct=0.1)
    submit(b, "buy", "8", cid="first")
    submit(b, "buy", "8", cid="second")
    events = play(b, [(10.0, 10.0, 10.0, 10.0, 100.0)])
    assert [(e.client_order_id.value, e.fill.quantity) for e in events if isinstance(e, OrderFilled)] == [
        ("first", D("8")),
        ("second", D("2.0")),
    ]

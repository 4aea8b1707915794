"""The risk engine: states, the kill switch, equity limits and the events every decision leaves."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from quantdesk.model import ClientOrderId, InvalidValue, OrderSide, OrderType, SubmitOrder, Symbol, TradingState
from quantdesk.risk import (
    APPROVED,
    MaxOrderNotional,
    RiskContext,
    RiskEngine,
    RiskEvent,
    RiskEventKind,
    RiskProfile,
)

ACTIVE, REDUCING, HALTED = TradingState.ACTIVE, TradingState.REDUCING, TradingState.HALTED
MSFT = Symbol("MSFT")
NOW = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)


def at(day: int, hour: int) -> datetime:
    return datetime(2024, 3, day, hour, 0, tzinfo=UTC)


def order(side: str = "buy", quantity: int = 10) -> SubmitOrder:
    return SubmitOrder(
        client_order_id=ClientOrderId("dep:20240304T150000:MSFT:target"),
        symbol=MSFT,
        side=OrderSide(side),
        order_type=OrderType.MARKET,
        quantity=Decimal(quantity),
        ts=NOW,
    )


def ctx(position: int = 100, **fields: object) -> RiskContext:
    return RiskContext(
        ts=NOW,
        equity=Decimal(100_000),
        positions={MSFT: Decimal(position)},
        last_prices={MSFT: Decimal(100)},
        **fields,  # type: ignore[arg-type]
    )


def test_an_order_every_rule_passes_is_approved_without_an_event() -> None:
    engine = RiskEngine(RiskProfile())
    assert engine.evaluate(order(), ctx()) == APPROVED
    assert engine.events == []


def test_a_denial_names_the_rule_and_records_an_event() -> None:
    engine = RiskEngine(RiskProfile(max_order_notional=500))
    decision = engine.evaluate(order(quantity=10), ctx())
    reason = "MSFT order notional 1,000.00 exceeds max_order_notional 500.00"
    assert (decision.approved, decision.reason, decision.rule) == (False, reason, "MaxOrderNotional")
    assert decision.event == RiskEvent(
        ts=NOW,
        kind=RiskEventKind.DENIED,
        rule="MaxOrderNotional",
        reason=reason,
        details={
            "client_order_id": "dep:20240304T150000:MSFT:target",
            "symbol": "MSFT",
            "side": "buy",
            "order_type": "market",
            "quantity": "10",
            "state": "active",
        },
    )
    assert engine.events == [decision.event]


def test_the_first_denying_rule_wins() -> None:
    profile = RiskProfile(max_order_notional=500, allowed_symbols=["SPY"])
    decision = RiskEngine(profile).evaluate(order(), ctx(position=0))
    assert decision.rule == "AllowedSymbols"
    assert decision.reason == "MSFT is not in allowed_symbols (SPY)"


def test_rules_can_be_chosen() -> None:
    engine = RiskEngine(RiskProfile(max_order_notional=500, allowed_symbols=["SPY"]), rules=[MaxOrderNotional()])
    assert engine.evaluate(order(), ctx(position=0)).rule == "MaxOrderNotional"
    assert RiskEngine(RiskProfile(allowed_symbols=["SPY"]), rules=()).evaluate(order(), ctx()) == APPROVED


def test_halted_denies_every_order_even_a_reducing_one() -> None:
    engine = RiskEngine(RiskProfile())
    engine.kill("operator pressed the kill switch", NOW)
    for candidate in (order("buy"), order("sell", 10)):
        decision = engine.evaluate(candidate, ctx())
        assert (decision.approved, decision.rule) == (False, "TradingState")
        assert decision.reason == "trading halted: operator pressed the kill switch"
    assert [e.kind for e in engine.events] == [RiskEventKind.KILL_SWITCH, RiskEventKind.DENIED, RiskEventKind.DENIED]


def test_kill_switch_records_an_event_and_only_resume_undoes_it() -> None:
    engine = RiskEngine(RiskProfile(max_daily_loss=0.05))
    event = engine.kill("broker unreachable", at(4, 10))
    assert engine.state is HALTED
    assert event == RiskEvent(
        at(4, 10), RiskEventKind.KILL_SWITCH, None, "broker unreachable", {"from": "active", "to": "halted"}
    )
    assert engine.on_equity(at(5, 10), Decimal(100_000)) == []  # a new day does not lift a kill
    assert engine.state is HALTED
    resumed = engine.resume(at(5, 11))
    assert engine.state is ACTIVE
    assert resumed == RiskEvent(
        at(5, 11),
        RiskEventKind.STATE_CHANGE,
        None,
        "resumed by hand",
        {"from": "halted", "to": "active", "equity": "100000"},
    )
    assert engine.events == [event, resumed]
    assert engine.resume(at(5, 12)) is None


def test_kill_needs_a_reason() -> None:
    with pytest.raises(InvalidValue, match="the kill switch needs a reason"):
        RiskEngine(RiskProfile()).kill("  ", NOW)


def test_reducing_lets_a_reducing_order_through_and_denies_an_increasing_one() -> None:
    engine = RiskEngine(RiskProfile(max_daily_loss=0.05))
    engine.on_equity(at(4, 10), Decimal(100_000))
    engine.on_equity(at(4, 11), Decimal(94_000))
    assert engine.state is REDUCING
    assert engine.evaluate(order("sell", 40), ctx()) == APPROVED
    denied = engine.evaluate(order("buy", 10), ctx())
    assert denied.reason == (
        "reducing only (daily loss 6.00% from start-of-day equity 100,000.00 exceeds max_daily_loss 5.00%): "
        "MSFT buy 10 does not reduce the position of 100"
    )
    assert denied.rule == "TradingState"
    assert engine.evaluate(order("sell", 101), ctx()).approved is False  # would cross zero


def test_a_reducing_order_still_faces_the_order_checks_while_reducing() -> None:
    engine = RiskEngine(RiskProfile(max_order_notional=1_000), state=REDUCING, reason="daily loss")
    assert engine.evaluate(order("sell", 11), ctx()).rule == "MaxOrderNotional"


def test_the_stricter_of_the_engine_and_context_state_applies() -> None:
    engine = RiskEngine(RiskProfile())
    assert engine.evaluate(order(), ctx(trading_state=HALTED)).reason == "trading halted: set by the trading engine"
    assert engine.evaluate(order("sell"), ctx(trading_state=REDUCING)) == APPROVED
    assert engine.evaluate(order("buy"), ctx(trading_state=REDUCING)).approved is False


def test_a_restored_halt_keeps_denying_with_its_reason() -> None:
    engine = RiskEngine(RiskProfile(), state=HALTED, reason="database unavailable")
    assert engine.evaluate(order(), ctx()).reason == "trading halted: database unavailable"


# equity ticks (day, hour, equity) with the state each must leave: max_daily_loss 5 %, max_drawdown 20 %
EQUITY_TABLE = [
    (4, 10, 100_000, ACTIVE),  # start of day 100,000, peak 100,000
    (4, 11, 110_000, ACTIVE),  # new peak 110,000
    (4, 12, 95_000, ACTIVE),  # daily loss exactly 5 %: not beyond
    (4, 13, 94_999, REDUCING),  # 5.001 % lost today
    (4, 14, 100_000, REDUCING),  # recovering does not lift it the same day
    (5, 10, 93_000, ACTIVE),  # new day: start of day 93,000; drawdown 15.45 %
    (5, 11, 88_000, REDUCING),  # drawdown exactly 20 %; 5.38 % lost today
    (5, 12, 87_999, HALTED),  # drawdown 20.0009 %
    (6, 10, 100_000, HALTED),  # a halt survives the new day
]


def test_equity_limits_move_the_state_as_the_table_says() -> None:
    engine = RiskEngine(RiskProfile(max_daily_loss=0.05, max_drawdown=0.2))
    for day, hour, equity, expected in EQUITY_TABLE:
        engine.on_equity(at(day, hour), Decimal(equity))
        assert engine.state is expected, f"{day} {hour}:00 equity {equity}"
    assert [(e.ts, e.kind, e.rule, e.reason, e.details) for e in engine.events] == [
        (
            at(4, 13),
            RiskEventKind.STATE_CHANGE,
            "max_daily_loss",
            "daily loss 5.001% from start-of-day equity 100,000.00 exceeds max_daily_loss 5.00%",
            {"from": "active", "to": "reducing", "equity": "94999"},
        ),
        (
            at(5, 10),
            RiskEventKind.STATE_CHANGE,
            None,
            "new trading day 2024-03-05",
            {"from": "reducing", "to": "active", "equity": "93000"},
        ),
        (
            at(5, 11),
            RiskEventKind.STATE_CHANGE,
            "max_daily_loss",
            "daily loss 5.3763% from start-of-day equity 93,000.00 exceeds max_daily_loss 5.00%",
            {"from": "active", "to": "reducing", "equity": "88000"},
        ),
        (
            at(5, 12),
            RiskEventKind.STATE_CHANGE,
            "max_drawdown",
            "drawdown 20.0009% from peak equity 110,000.00 exceeds max_drawdown 20.00%",
            {"from": "reducing", "to": "halted", "equity": "87999"},
        ),
    ]
    assert engine.peak_equity == Decimal(110_000)
    assert engine.day_start == (date(2024, 3, 6), Decimal(100_000))


def test_on_equity_returns_the_changes_it_made() -> None:
    engine = RiskEngine(RiskProfile(max_daily_loss=0.05))
    assert engine.on_equity(at(4, 10), Decimal(100_000)) == []
    changes = engine.on_equity(at(4, 11), Decimal(90_000))
    assert [(e.details["from"], e.details["to"]) for e in changes] == [("active", "reducing")]
    assert engine.reason == "daily loss 10.00% from start-of-day equity 100,000.00 exceeds max_daily_loss 5.00%"


def test_a_new_utc_day_returns_reducing_to_active() -> None:
    engine = RiskEngine(RiskProfile(max_daily_loss=0.05))
    engine.on_equity(datetime(2024, 3, 4, 23, 0, tzinfo=UTC), Decimal(100_000))
    engine.on_equity(datetime(2024, 3, 4, 23, 59, tzinfo=UTC), Decimal(90_000))
    assert engine.state is REDUCING
    engine.on_equity(datetime(2024, 3, 5, 0, 0, tzinfo=UTC), Decimal(90_000))
    assert engine.state is ACTIVE
    assert engine.reason is None
    assert engine.evaluate(order("buy"), ctx()) == APPROVED


def test_without_limits_equity_never_changes_the_state() -> None:
    engine = RiskEngine(RiskProfile())
    for hour, equity in [(10, 100_000), (11, 1), (12, -5_000)]:
        assert engine.on_equity(at(4, hour), Decimal(equity)) == []
    assert engine.state is ACTIVE


def test_equity_older_than_the_last_is_refused() -> None:
    engine = RiskEngine(RiskProfile())
    engine.on_equity(at(4, 12), Decimal(100_000))
    with pytest.raises(InvalidValue, match="is older than the last one"):
        engine.on_equity(at(4, 11), Decimal(100_000))


def test_resume_after_a_drawdown_halt_measures_drawdown_afresh() -> None:
    engine = RiskEngine(RiskProfile(max_drawdown=0.1))
    engine.on_equity(at(4, 10), Decimal(100_000))
    engine.on_equity(at(4, 11), Decimal(85_000))
    assert engine.state is HALTED
    engine.resume(at(4, 12))
    assert engine.peak_equity == Decimal(85_000)
    assert engine.on_equity(at(4, 13), Decimal(80_000)) == []
    assert engine.state is ACTIVE
    engine.on_equity(at(4, 14), Decimal(76_499))
    assert engine.state is HALTED


def test_a_restored_day_start_keeps_counting_the_days_loss() -> None:
    engine = RiskEngine(
        RiskProfile(max_daily_loss=0.05), peak_equity=Decimal(120_000), day_start=(date(2024, 3, 4), Decimal(100_000))
    )
    engine.on_equity(at(4, 15), Decimal(94_000))
    assert engine.state is REDUCING


def test_a_restored_reducing_state_lasts_until_a_new_day() -> None:
    engine = RiskEngine(RiskProfile(max_daily_loss=0.05), state=REDUCING, day_start=(date(2024, 3, 4), Decimal(1)))
    engine.on_equity(at(4, 15), Decimal(100_000))
    assert engine.state is REDUCING
    engine.on_equity(at(5, 9), Decimal(100_000))
    assert engine.state is ACTIVE


def test_drain_events_hands_each_event_over_once() -> None:
    engine = RiskEngine(RiskProfile())
    engine.kill("test", NOW)
    engine.evaluate(order(), ctx())
    drained = engine.drain_events()
    assert [e.kind for e in drained] == [RiskEventKind.KILL_SWITCH, RiskEventKind.DENIED]
    assert engine.events == []
    assert engine.drain_events() == []


def test_events_are_json_safe() -> None:
    engine = RiskEngine(RiskProfile())
    event = engine.kill("test", NOW)
    assert event.to_dict() == {
        "ts": "2024-03-04T15:00:00+00:00",
        "kind": "kill_switch",
        "rule": None,
        "reason": "test",
        "details": {"from": "active", "to": "halted"},
    }

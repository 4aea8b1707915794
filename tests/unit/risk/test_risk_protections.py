"""Position protections: stop-loss, take-profit and trailing stop fire on the right bar's close."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from quantdesk.model import ClientOrderId, Fill, InvalidValue, OrderSide, Symbol, TradeId
from quantdesk.risk import ExitReason, ProtectionTracker, ProtectiveExit, RiskEventKind, RiskProfile

MSFT = Symbol("MSFT")
T0 = datetime(2024, 3, 4, tzinfo=UTC)


def fill(side: str, quantity: str, price: str, n: int = 1) -> Fill:
    return Fill(
        trade_id=TradeId(f"sim-{n}"),
        client_order_id=ClientOrderId(f"o{n}"),
        symbol=MSFT,
        side=OrderSide(side),
        quantity=Decimal(quantity),
        price=Decimal(price),
        fee=Decimal(0),
        ts=T0,
    )


def first_exit(tracker: ProtectionTracker, closes: list[str]) -> tuple[int, ProtectiveExit] | None:
    """The index of the first bar whose close calls for an exit, and the exit (bars span ±1 around the close)."""
    for i, text in enumerate(closes):
        close = Decimal(text)
        exits = tracker.on_bar(MSFT, T0 + timedelta(days=i + 1), close + 1, close - 1, close)
        if exits:
            return i, exits[0]
    return None


def long_tracker(**profile: object) -> ProtectionTracker:
    tracker = ProtectionTracker(RiskProfile(**profile))
    tracker.on_fill(fill("buy", "10", "100"))
    return tracker


def short_tracker(**profile: object) -> ProtectionTracker:
    tracker = ProtectionTracker(RiskProfile(allow_short=True, **profile))
    tracker.on_fill(fill("sell", "10", "100"))
    return tracker


@pytest.mark.parametrize(
    ("side", "profile", "closes", "bar", "reason", "level"),
    [
        ("long", {"stop_loss_pct": 0.05}, ["99", "96", "95.01", "95", "94"], 3, "stop_loss", "95.00"),
        ("long", {"take_profit_pct": 0.1}, ["105", "109.99", "110", "111"], 2, "take_profit", "110.0"),
        ("short", {"stop_loss_pct": 0.05}, ["101", "104.99", "105", "106"], 2, "stop_loss", "105.00"),
        ("short", {"take_profit_pct": 0.1}, ["95", "90.01", "90"], 2, "take_profit", "90.0"),
        ("long", {"trailing_stop_pct": 0.1}, ["105", "120", "110", "108.01", "108"], 4, "trailing_stop", "108.0"),
        ("short", {"trailing_stop_pct": 0.1}, ["95", "80", "85", "87.99", "88"], 4, "trailing_stop", "88.0"),
    ],
)
def test_protection_fires_on_the_first_close_at_or_beyond_its_level(
    side: str, profile: dict, closes: list[str], bar: int, reason: str, level: str
) -> None:
    tracker = long_tracker(**profile) if side == "long" else short_tracker(**profile)
    found = first_exit(tracker, closes)
    assert found is not None
    index, exit_ = found
    assert index == bar
    assert exit_ == ProtectiveExit(
        symbol=MSFT,
        ts=T0 + timedelta(days=bar + 1),
        reason=ExitReason(reason),
        trigger_price=Decimal(level),
        close=Decimal(closes[bar]),
        side=OrderSide.SELL if side == "long" else OrderSide.BUY,
        quantity=Decimal(10),
    )


def test_trailing_stop_ratchets_up_with_the_highest_close_and_never_down() -> None:
    tracker = long_tracker(trailing_stop_pct=0.1)
    levels = []
    for i, close in enumerate(["105", "120", "110", "115", "125"]):
        price = Decimal(close)
        assert tracker.on_bar(MSFT, T0 + timedelta(days=i), price, price, price) == []
        levels.append(tracker.levels(MSFT)[ExitReason.TRAILING_STOP])
    assert levels == [Decimal("94.5"), Decimal("108"), Decimal("108"), Decimal("108"), Decimal("112.5")]


def test_trailing_stop_of_a_short_ratchets_down_with_the_lowest_close() -> None:
    tracker = short_tracker(trailing_stop_pct=0.1)
    levels = []
    for i, close in enumerate(["95", "90", "93", "80"]):
        price = Decimal(close)
        assert tracker.on_bar(MSFT, T0 + timedelta(days=i), price, price, price) == []
        levels.append(tracker.levels(MSFT)[ExitReason.TRAILING_STOP])
    assert levels == [Decimal("104.5"), Decimal("99"), Decimal("99"), Decimal("88")]


def test_an_intrabar_touch_that_recovers_by_the_close_does_not_fire() -> None:
    tracker = long_tracker(stop_loss_pct=0.05)
    assert tracker.on_bar(MSFT, T0, Decimal(101), Decimal(90), Decimal(99)) == []


def test_stop_loss_wins_when_the_trailing_stop_fires_on_the_same_close() -> None:
    tracker = long_tracker(stop_loss_pct=0.05, trailing_stop_pct=0.05)
    [exit_] = tracker.on_bar(MSFT, T0, Decimal(95), Decimal(94), Decimal(94))
    assert exit_.reason is ExitReason.STOP_LOSS


def test_an_exit_is_asked_for_again_while_the_position_stays_open() -> None:
    tracker = long_tracker(stop_loss_pct=0.05)
    assert len(tracker.on_bar(MSFT, T0, Decimal(94), Decimal(94), Decimal(94))) == 1
    assert len(tracker.on_bar(MSFT, T0 + timedelta(days=1), Decimal(93), Decimal(93), Decimal(93))) == 1


def test_a_closed_position_has_no_protections() -> None:
    tracker = long_tracker(stop_loss_pct=0.05)
    tracker.on_fill(fill("sell", "10", "94", n=2))
    assert tracker.position(MSFT) is None
    assert tracker.on_bar(MSFT, T0, Decimal(50), Decimal(50), Decimal(50)) == []


def test_a_partial_exit_keeps_the_entry_and_shrinks_the_quantity() -> None:
    tracker = long_tracker(stop_loss_pct=0.05)
    tracker.on_fill(fill("sell", "4", "97", n=2))
    [exit_] = tracker.on_bar(MSFT, T0, Decimal(95), Decimal(95), Decimal(95))
    assert (exit_.trigger_price, exit_.quantity) == (Decimal("95.00"), Decimal(6))


def test_adding_moves_the_entry_to_the_average_price() -> None:
    tracker = long_tracker(stop_loss_pct=0.1)
    tracker.on_fill(fill("buy", "10", "120", n=2))
    assert tracker.levels(MSFT) == {ExitReason.STOP_LOSS: Decimal("99.0")}


def test_crossing_zero_starts_a_new_entry_with_a_fresh_trailing_best() -> None:
    tracker = long_tracker(trailing_stop_pct=0.1, allow_short=True)
    tracker.on_bar(MSFT, T0, Decimal(130), Decimal(130), Decimal(130))
    tracker.on_fill(fill("sell", "15", "125", n=2))  # long 10 -> short 5 at 125
    assert tracker.position(MSFT).quantity == Decimal(-5)  # type: ignore[union-attr]
    assert tracker.levels(MSFT) == {ExitReason.TRAILING_STOP: Decimal("137.5")}


def test_on_position_sets_the_entry_outright() -> None:
    tracker = ProtectionTracker(RiskProfile(stop_loss_pct=0.05, take_profit_pct=0.2))
    tracker.on_position(MSFT, Decimal(-3), Decimal(50))
    assert tracker.levels(MSFT) == {ExitReason.STOP_LOSS: Decimal("52.50"), ExitReason.TAKE_PROFIT: Decimal("40.0")}
    [exit_] = tracker.on_bar(MSFT, T0, 41.0, 39.0, 40.0)  # float bars, as research frames hold them
    assert (exit_.reason, exit_.side, exit_.quantity) == (ExitReason.TAKE_PROFIT, OrderSide.BUY, Decimal(3))
    tracker.on_position(MSFT, Decimal(0), Decimal(0))
    assert tracker.position(MSFT) is None


def test_without_protections_no_exit_is_ever_asked_for() -> None:
    tracker = long_tracker()
    assert tracker.levels(MSFT) == {}
    assert tracker.on_bar(MSFT, T0, Decimal(1), Decimal(1), Decimal(1)) == []


def test_a_bar_whose_close_is_outside_its_range_is_refused() -> None:
    with pytest.raises(InvalidValue, match=r"close 120 is outside low 90 \.\. high 110"):
        long_tracker().on_bar(MSFT, T0, Decimal(110), Decimal(90), Decimal(120))


def test_an_exit_becomes_a_protection_event() -> None:
    [exit_] = long_tracker(stop_loss_pct=0.05).on_bar(MSFT, T0, Decimal(95), Decimal(94), Decimal(94))
    event = exit_.event()
    assert (event.ts, event.kind, event.rule) == (T0, RiskEventKind.PROTECTION, "stop_loss")
    assert event.reason == "MSFT stop_loss at close 94.00 (level 95.00): sell 10"
    assert event.details == {
        "symbol": "MSFT",
        "side": "sell",
        "quantity": "10",
        "trigger_price": "95.00",
        "close": "94",
    }

"""The risk engine: the trading state (ACTIVE / REDUCING / HALTED), the pre-trade rules and the kill switch."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from quantdesk.model import InvalidValue, SubmitOrder, TradingState
from quantdesk.risk.context import RiskContext, decimal, utc
from quantdesk.risk.events import RiskEvent, RiskEventKind, details
from quantdesk.risk.profile import RiskProfile
from quantdesk.risk.rules import DEFAULT_RULES, RiskRule, is_risk_reducing, money, pct, qty

_STRICTNESS = {TradingState.ACTIVE: 0, TradingState.REDUCING: 1, TradingState.HALTED: 2}
STATE_RULE = "TradingState"
"""The ``rule`` of a denial made by the trading state rather than by a pre-trade rule."""


@dataclass(frozen=True, slots=True)
class RiskDecision:
    """The answer for one order; a denial carries the reason, the rule's name and the recorded event."""

    approved: bool
    reason: str | None = None
    rule: str | None = None
    event: RiskEvent | None = None


APPROVED = RiskDecision(approved=True)


class RiskEngine:
    """Decides whether orders may go out, and when trading must slow down or stop.

    - ACTIVE: every rule runs; the first denial wins.
    - REDUCING (daily loss beyond ``max_daily_loss``): only risk-reducing orders pass (and then every rule
      runs); the next UTC day returns to ACTIVE.
    - HALTED (drawdown beyond ``max_drawdown``, or :meth:`kill`): nothing passes until :meth:`resume`.

    Time comes in with the calls (``ctx.ts``, ``on_equity(ts, ...)``, ``kill(reason, ts)``): the engine reads no
    clock. Every denial and state change is appended to :attr:`events` and returned, for the runtime to persist
    and publish (:meth:`drain_events` hands them over once).

    To restore after a restart pass the persisted ``state``, ``reason``, ``peak_equity`` and ``day_start``
    (the UTC date and its start-of-day equity).
    """

    def __init__(
        self,
        profile: RiskProfile,
        rules: Iterable[RiskRule] = DEFAULT_RULES,
        state: TradingState = TradingState.ACTIVE,
        *,
        reason: str | None = None,
        peak_equity: Decimal | None = None,
        day_start: tuple[date, Decimal] | None = None,
    ) -> None:
        if not isinstance(profile, RiskProfile):
            raise InvalidValue(f"RiskEngine needs a RiskProfile, got {type(profile).__name__}")
        self.profile = profile
        self.rules: tuple[RiskRule, ...] = tuple(rules)
        self._state = TradingState(state)
        self._reason = reason or (None if self._state is TradingState.ACTIVE else f"{self._state} when restored")
        self._peak = None if peak_equity is None else decimal(peak_equity, "peak_equity")
        self._day: date | None = None
        self._day_start: Decimal | None = None
        if day_start is not None:
            self._day, self._day_start = day_start[0], decimal(day_start[1], "day_start equity")
        self._last_ts: datetime | None = None
        self._last_equity: Decimal | None = None
        self._margin_call = False  # REDUCING because of a margin call (lifted when the requirement is met)
        self.events: list[RiskEvent] = []

    @property
    def state(self) -> TradingState:
        return self._state

    @property
    def reason(self) -> str | None:
        """Why the engine is not ACTIVE (None when it is)."""
        return self._reason

    @property
    def peak_equity(self) -> Decimal | None:
        return self._peak

    @property
    def day_start(self) -> tuple[date, Decimal] | None:
        """The current UTC trading day and its start-of-day equity."""
        return None if self._day is None or self._day_start is None else (self._day, self._day_start)

    def evaluate(self, order: SubmitOrder, ctx: RiskContext) -> RiskDecision:
        """Approve ``order`` or deny it with the reason; the stricter of the engine's and ``ctx``'s state applies."""
        own = _STRICTNESS[self._state] >= _STRICTNESS[ctx.trading_state]
        state = self._state if own else ctx.trading_state
        why = self._reason if own else "set by the trading engine"
        if state is TradingState.HALTED:
            return self._deny(order, ctx, STATE_RULE, f"trading halted: {why}")
        if state is TradingState.REDUCING and not is_risk_reducing(order, ctx):
            held = qty(ctx.position(order.symbol))
            reason = (
                f"reducing only ({why}): {order.symbol} {order.side} {qty(order.quantity)} "
                f"does not reduce the position of {held}"
            )
            return self._deny(order, ctx, STATE_RULE, reason)
        for rule in self.rules:
            if (reason := rule.check(order, ctx, self.profile)) is not None:
                return self._deny(order, ctx, type(rule).__name__, reason)
        return APPROVED

    def on_equity(self, ts: datetime, equity: Decimal) -> list[RiskEvent]:
        """Track start-of-day and peak equity; move to REDUCING or HALTED when a limit is breached.

        A new UTC date starts a new day: its first equity is the start-of-day equity, and REDUCING returns to
        ACTIVE. A limit met exactly is not breached. Returns the state changes made (also in :attr:`events`).
        """
        ts, equity = utc(ts, "on_equity ts"), decimal(equity, "on_equity equity")
        if self._last_ts is not None and ts < self._last_ts:
            raise InvalidValue(f"equity at {ts.isoformat()} is older than the last one at {self._last_ts.isoformat()}")
        self._last_ts, self._last_equity = ts, equity
        changes: list[RiskEvent] = []
        if self._day != ts.date():
            first = self._day is None  # after a restart without day_start, REDUCING holds until a new day
            self._day, self._day_start = ts.date(), equity
            if self._state is TradingState.REDUCING and not first:
                changes.append(self._change(TradingState.ACTIVE, ts, f"new trading day {self._day}", equity))
        self._peak = equity if self._peak is None else max(self._peak, equity)
        if self._state is not TradingState.HALTED and (breach := self._drawdown_breach(equity)):
            changes.append(self._change(TradingState.HALTED, ts, breach, equity, "max_drawdown"))
        if self._state is TradingState.ACTIVE and (breach := self._daily_loss_breach(equity)):
            changes.append(self._change(TradingState.REDUCING, ts, breach, equity, "max_daily_loss"))
        return changes

    def on_margin(self, ts: datetime, equity: Decimal, requirement: Decimal) -> list[RiskEvent]:
        """A margin account's maintenance check at a close: equity below the maintenance requirement is a
        margin call (ACTIVE → REDUCING: only orders that reduce positions pass) until it is met again."""
        equity, requirement = decimal(equity, "on_margin equity"), decimal(requirement, "on_margin requirement")
        if equity < requirement and self._state is TradingState.ACTIVE:
            self._margin_call = True
            reason = f"margin call: equity {money(equity)} is below the maintenance requirement {money(requirement)}"
            return [self._change(TradingState.REDUCING, ts, reason, equity, "maintenance_margin")]
        if equity >= requirement and self._margin_call:
            self._margin_call = False
            if self._state is TradingState.REDUCING:
                reason = f"maintenance requirement {money(requirement)} met again (equity {money(equity)})"
                return [self._change(TradingState.ACTIVE, ts, reason, equity, "maintenance_margin")]
        return []

    def kill(self, reason: str, ts: datetime) -> RiskEvent:
        """Halt trading now (the order manager then cancels open orders); only :meth:`resume` undoes it."""
        if not isinstance(reason, str) or not reason.strip():
            raise InvalidValue("the kill switch needs a reason")
        previous, self._state, self._reason = self._state, TradingState.HALTED, reason.strip()
        info = details(**{"from": previous, "to": TradingState.HALTED})
        return self._record(RiskEvent(ts, RiskEventKind.KILL_SWITCH, None, self._reason, info))

    def resume(self, ts: datetime, reason: str = "resumed by hand") -> RiskEvent | None:
        """Return to ACTIVE; None if already ACTIVE.

        Drawdown and daily loss are measured afresh from the last equity seen: resuming acknowledges the loss so
        far, and the limits guard what is lost from here.
        """
        if self._state is TradingState.ACTIVE:
            return None
        if self._last_equity is not None:
            self._peak, self._day_start = self._last_equity, self._last_equity
        return self._change(TradingState.ACTIVE, ts, reason, self._last_equity)

    def drain_events(self) -> list[RiskEvent]:
        """The events recorded since the last drain, oldest first; :attr:`events` is emptied."""
        drained, self.events = self.events, []
        return drained

    def _drawdown_breach(self, equity: Decimal) -> str | None:
        peak, limit = self._peak, self.profile.max_drawdown
        if limit is None or peak is None or peak <= 0 or peak - equity <= limit * peak:
            return None
        return (
            f"drawdown {pct((peak - equity) / peak)} from peak equity {money(peak)} exceeds max_drawdown {pct(limit)}"
        )

    def _daily_loss_breach(self, equity: Decimal) -> str | None:
        start, limit = self._day_start, self.profile.max_daily_loss
        if limit is None or start is None or start <= 0 or start - equity <= limit * start:
            return None
        return (
            f"daily loss {pct((start - equity) / start)} from start-of-day equity {money(start)} "
            f"exceeds max_daily_loss {pct(limit)}"
        )

    def _deny(self, order: SubmitOrder, ctx: RiskContext, rule: str, reason: str) -> RiskDecision:
        info = details(
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            side=order.side,
            order_type=order.order_type,
            quantity=order.quantity,
            limit_price=order.limit_price,
            stop_price=order.stop_price,
            deployment_id=order.deployment_id,
            state=self._state,
        )
        event = self._record(RiskEvent(ctx.ts, RiskEventKind.DENIED, rule, reason, info))
        return RiskDecision(approved=False, reason=reason, rule=rule, event=event)

    def _change(
        self, to: TradingState, ts: datetime, reason: str, equity: Decimal | None, rule: str | None = None
    ) -> RiskEvent:
        previous, self._state = self._state, to
        self._reason = None if to is TradingState.ACTIVE else reason
        info = details(**{"from": previous, "to": to, "equity": equity})
        return self._record(RiskEvent(ts, RiskEventKind.STATE_CHANGE, rule, reason, info))

    def _record(self, event: RiskEvent) -> RiskEvent:
        self.events.append(event)
        return event

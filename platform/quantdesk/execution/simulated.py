"""The simulated broker: a cash account that works orders against bars, as the backtest does.

Which bar works an order: the first bar of its symbol that opens at or after the order's ``ts`` (the close
of bar t is the open of bar t+1) and is newer than every bar of that symbol seen so far. A bar already seen
(a replay repeating itself after a restart) changes nothing.

Prices, per bar (no slippage on limit prices; slippage on market and stop fills, buys up and sells down):

* market: the open.
* limit: a buy fills at ``min(open, limit)`` if ``low <= limit`` (a gap down through the limit fills at the
  open); a sell at ``max(open, limit)`` if ``high >= limit``.
* stop: a buy triggers if ``high >= stop`` and fills at ``max(open, stop)`` (a gap above fills at the open);
  a sell triggers if ``low <= stop`` and fills at ``min(open, stop)``.
* stop-limit: triggers like a stop. On the triggering bar it fills only if it is marketable at the trigger
  price (the open after a gap, the stop otherwise): a buy if that price is <= the limit, a sell if >=; it
  then fills at that price. OHLC does not tell whether the price came back to the limit after the trigger
  within the bar, so otherwise it works as a plain limit order from the next bar on.

Time in force: DAY orders live for one UTC date, the date of the first bar that could work them (an order
placed after the close of a daily bar belongs to the next session), and expire at the first bar of a later
date; GTC orders stay; IOC and FOK get their first bar, then whatever is left is canceled (FOK fills only
if all of it can fill). With ``max_volume_pct`` the orders of a bar share that fraction of its volume, so a
large order fills in parts over several bars.

Cash (mirrors ``quantdesk.backtest.kernel.order_target_nb``, which this layer may not import): a buy the
cash cannot pay, fees included, is cut to ``affordable = (cash - fixed) / (1 + rate)`` of notional with the
same 1e-9 relative / 1e-12 absolute tolerances, and what is left of the order is canceled; a buy meeting
no cash is canceled (submitting a buy to an account without cash and without a pending sale is rejected);
sells and short sales always fill, their proceeds add to the cash (unless the fee exceeds the proceeds,
which the kernel also refuses). Orders of one batch of bars (:meth:`SimulatedBroker.on_bars`) are worked
sells first, sorted by signed quantity × last close, as the kernel orders a bar's calls.

Arithmetic: like the kernel, in float, on the float values of the Decimal cash and quantity; the results
(fill price, fee, cut quantity) are converted with ``Decimal(repr(x))``, and cash and positions are then
kept exactly from the Decimal fills. Where the kernel leaves exactly no cash, the fill spends exactly all
of it (float rounding dust goes to the fee; if the Decimal cost still exceeds the cash, a cut quantity or
else the price is lowered by a few ulps), so fills equal the kernel's to about 1e-15 relative, and never
further apart than the kernel's own 1e-9 snapping tolerance.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Context, Decimal, DivisionByZero, InvalidOperation, Overflow, localcontext
from typing import Any, TypeVar

from quantdesk.execution.broker import BrokerError, BrokerOrder, BrokerRejected
from quantdesk.execution.costs import Costs, PercentSlippage
from quantdesk.model.bar import Bar
from quantdesk.model.commands import SubmitOrder
from quantdesk.model.enums import LiquiditySide, OrderSide, OrderStatus, OrderType, TimeInForce
from quantdesk.model.errors import QuantdeskError
from quantdesk.model.events import OrderAccepted, OrderCanceled, OrderEvent, OrderExpired, OrderFilled, OrderRejected
from quantdesk.model.fills import Fill
from quantdesk.model.ids import ClientOrderId, Symbol, TradeId, VenueOrderId

REL_TOL = 1e-9  # the kernel's tolerances (quantdesk.backtest.kernel.REL_TOL / ABS_TOL)
ABS_TOL = 1e-12
STATE_VERSION = 1
ACCOUNT_TYPES = ("cash", "margin")
MARGIN_INITIAL = 0.5  # Reg-T: new positions need 50 % of their value in equity (buying power 2 × equity - gross)

ZERO = Decimal(0)
# wide enough that sums and products of the float-converted amounts are exact
_EXACT = Context(prec=100, traps=[InvalidOperation, DivisionByZero, Overflow])
_AVERAGE = Context(prec=28)


def _is_close(a: float, b: float) -> bool:
    # kernel.is_close_nb
    if math.isnan(a) or math.isnan(b) or math.isinf(a) or math.isinf(b):
        return False
    if a == b:
        return True
    return abs(a - b) <= max(REL_TOL * max(abs(a), abs(b)), ABS_TOL)


def _sign(x: float) -> float:
    return 0.0 if x == 0.0 else math.copysign(1.0, x)


def _add(a: float, b: float) -> float:
    # kernel.add_nb: a + b, snapped to 0 when the two cancel within tolerance
    if _sign(a) != _sign(b):
        if _is_close(abs(a), abs(b)):
            return 0.0
    elif _is_close(a + b, 0.0):
        return 0.0
    return a + b


def _snap(x: float) -> float:
    return 0.0 if _is_close(x, 0.0) else x


def _dec(x: float) -> Decimal:
    return Decimal(repr(float(x)))  # float(): a numpy scalar's repr is not a number


@dataclass(frozen=True, slots=True)
class _Quote:
    price: float  # what the kernel arithmetic uses
    exact: Decimal  # what the fill reports (the limit or stop price itself when it is the price)
    liquidity: LiquiditySide


@dataclass(frozen=True, slots=True)
class _Trade:
    quantity: Decimal
    price: Decimal
    fee: Decimal
    cash: Decimal  # the account's cash after the trade


def _limit_quote(side: OrderSide, limit: Decimal, bar: Bar) -> _Quote | None:
    level = float(limit)
    if side is OrderSide.BUY:
        if bar.low > level:
            return None
        through = bar.open <= level
    else:
        if bar.high < level:
            return None
        through = bar.open >= level
    if through:  # marketable at the open: takes the open
        return _Quote(bar.open, _dec(bar.open), LiquiditySide.TAKER)
    return _Quote(level, limit, LiquiditySide.MAKER)


def _stop_trigger(side: OrderSide, stop: Decimal, bar: Bar) -> tuple[float, Decimal] | None:
    level = float(stop)
    if side is OrderSide.BUY:
        if bar.high < level:
            return None
        return (bar.open, _dec(bar.open)) if bar.open >= level else (level, stop)
    if bar.low > level:
        return None
    return (bar.open, _dec(bar.open)) if bar.open <= level else (level, stop)


def _slipped(reference: tuple[float, Decimal], side: OrderSide, slippage: PercentSlippage) -> _Quote:
    price = slippage.fill_price(reference[0], side.sign)
    return _Quote(price, reference[1] if price == reference[0] else _dec(price), LiquiditySide.TAKER)


def _quote(order: BrokerOrder, triggered: bool, bar: Bar, slippage: PercentSlippage) -> tuple[bool, _Quote | None]:
    """Whether the order is triggered after ``bar``, and the price it fills at on ``bar`` (None: no fill)."""
    side, limit, stop = order.side, order.limit_price, order.stop_price
    if stop is None:  # market or limit
        if limit is None:
            return triggered, _slipped((bar.open, _dec(bar.open)), side, slippage)
        return triggered, _limit_quote(side, limit, bar)
    trigger = _stop_trigger(side, stop, bar)
    if limit is None:  # stop
        return triggered, None if trigger is None else _slipped(trigger, side, slippage)
    if triggered:
        return True, _limit_quote(side, limit, bar)
    if trigger is None:
        return False, None
    price, exact = trigger
    marketable = price <= float(limit) if side is OrderSide.BUY else price >= float(limit)
    return True, _Quote(price, exact, LiquiditySide.TAKER) if marketable else None


def _largest(budget: Decimal, factor: Decimal) -> Decimal:
    """The largest float value ``x`` (as a Decimal) with ``x × factor <= budget``."""
    with localcontext(_EXACT):
        x = float(budget / factor)
        while x > 0.0 and _dec(x) * factor > budget:
            x = math.nextafter(x, 0.0)
    return _dec(x)


def _buy(cash: Decimal, quantity: Decimal, quote: _Quote, rate: float, fixed: float) -> _Trade | str:
    """``order_target_nb``'s buy branch for ``quantity`` at ``quote``; a str says why nothing can be bought."""
    cash_f = _snap(float(cash))
    size = float(quantity)
    price = quote.price
    if cash_f == 0.0:
        return "insufficient cash: the account has no cash"
    required = size * price
    fee = required * rate + fixed
    total = required + fee
    if _is_close(total, cash_f) or total < cash_f:
        bought, spent = size, total
    else:
        affordable = _add(cash_f, -fixed) / (1.0 + rate)
        if affordable <= 0.0:
            return "insufficient cash: it does not cover the fixed fee"
        bought, fee, spent = affordable / price, cash_f - affordable, cash_f
    if _is_close(size, 0.0):
        return "quantity too small to trade"
    cut = bought < size
    bought_d = min(quantity, _dec(bought)) if cut else quantity
    price_d, fee_d = quote.exact, _dec(fee)
    with localcontext(_EXACT):
        if _add(cash_f, -spent) != 0.0:
            return _Trade(bought_d, price_d, fee_d, cash - bought_d * price_d - fee_d)
        # the kernel leaves exactly no cash: spend exactly all of it, rounding dust going to the fee
        if bought_d * price_d + fee_d > cash:
            if cut:
                bought_d = _largest(cash - fee_d, price_d)
            else:
                price_d = _largest(cash - fee_d, bought_d)
        if bought_d <= 0 or price_d <= 0:
            return "insufficient cash: the account has no cash"
        return _Trade(bought_d, price_d, cash - bought_d * price_d, ZERO)


def _margin_buy(cash: Decimal, quantity: Decimal, quote: _Quote, rate: float, fixed: float) -> _Trade | str:
    """A margin account's buy: filled in full, the cash going into debit if need be."""
    if _is_close(float(quantity), 0.0):
        return "quantity too small to trade"
    with localcontext(_EXACT):
        notional = quantity * quote.exact
        fee = _dec(float(notional) * rate + fixed)
        return _Trade(quantity, quote.exact, fee, cash - notional - fee)


def _sell(cash: Decimal, quantity: Decimal, quote: _Quote, rate: float, fixed: float) -> _Trade | str:
    """``order_target_nb``'s sell branch: sales and short sales always fill unless the fee exceeds the proceeds."""
    sold = float(quantity)
    if _is_close(sold, 0.0):
        return "quantity too small to trade"
    proceeds = sold * quote.price
    fee = proceeds * rate + fixed
    received = _add(proceeds, -fee)
    if received < 0.0:
        return "the fee exceeds the proceeds of the sale"
    with localcontext(_EXACT):
        notional = quantity * quote.exact
        fee_d = notional if received == 0.0 else _dec(fee)
        return _Trade(quantity, quote.exact, fee_d, cash + notional - fee_d)


@dataclass(frozen=True, slots=True)
class SimOrder:
    """The simulated venue's record of one order: the :class:`BrokerOrder` and how it is being worked."""

    order: BrokerOrder
    ts: datetime  # when it arrived: bars opening earlier cannot work it
    fill_notional: Decimal = ZERO
    session: date | None = None  # the UTC date a DAY order lives for, set by the first bar that works it
    triggered: bool = False  # a stop-limit whose stop was reached

    def to_dict(self) -> dict[str, Any]:
        o = self.order
        return {
            "client_order_id": o.client_order_id.value,
            "venue_order_id": None if o.venue_order_id is None else o.venue_order_id.value,
            "symbol": o.symbol.value,
            "side": o.side.value,
            "order_type": o.order_type.value,
            "quantity": str(o.quantity),
            "status": o.status.value,
            "filled_quantity": str(o.filled_quantity),
            "avg_fill_price": str(o.avg_fill_price),
            "time_in_force": o.time_in_force.value,
            "limit_price": _opt_str(o.limit_price),
            "stop_price": _opt_str(o.stop_price),
            "reason": o.reason,
            "ts": self.ts.isoformat(),
            "fill_notional": str(self.fill_notional),
            "session": None if self.session is None else self.session.isoformat(),
            "triggered": self.triggered,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SimOrder:
        venue = data["venue_order_id"]
        order = BrokerOrder(
            client_order_id=ClientOrderId(data["client_order_id"]),
            venue_order_id=None if venue is None else VenueOrderId(venue),
            symbol=Symbol(data["symbol"]),
            side=OrderSide(data["side"]),
            order_type=OrderType(data["order_type"]),
            quantity=_parse_dec(data["quantity"]),
            status=OrderStatus(data["status"]),
            filled_quantity=_parse_dec(data["filled_quantity"]),
            avg_fill_price=_parse_dec(data["avg_fill_price"]),
            time_in_force=TimeInForce(data["time_in_force"]),
            limit_price=_opt_dec(data["limit_price"]),
            stop_price=_opt_dec(data["stop_price"]),
            reason=data["reason"],
        )
        session = data["session"]
        triggered = data["triggered"]
        if not isinstance(triggered, bool):
            raise TypeError(f"triggered must be true or false, got {triggered!r}")
        return cls(
            order=order,
            ts=_parse_ts(data["ts"]),
            fill_notional=_parse_dec(data["fill_notional"]),
            session=None if session is None else date.fromisoformat(session),
            triggered=triggered,
        )


@dataclass
class SimBrokerState:
    """Everything the simulated venue knows; ``to_dict()`` is JSON-safe (Decimals as strings), and a broker
    built on ``SimBrokerState.from_dict(d)`` continues exactly where the saved one was.

    ``orders`` keeps every order ever received, in arrival order (ids are never reused); ``last_bar_ts`` and
    ``last_close`` are those of the newest bar seen per symbol.
    """

    cash: Decimal = ZERO
    positions: dict[Symbol, Decimal] = field(default_factory=dict)
    orders: dict[ClientOrderId, SimOrder] = field(default_factory=dict)
    fills: list[Fill] = field(default_factory=list)
    next_trade_number: int = 1
    last_bar_ts: dict[Symbol, datetime] = field(default_factory=dict)
    last_close: dict[Symbol, float] = field(default_factory=dict)
    account_type: str = "cash"  # "cash": buys are cut to the cash; "margin": Reg-T buying power, see _refusal

    def __post_init__(self) -> None:
        if self.account_type not in ACCOUNT_TYPES:
            raise BrokerError(f"account_type must be one of {', '.join(ACCOUNT_TYPES)}, got {self.account_type!r}")
        if isinstance(self.cash, bool) or not isinstance(self.cash, Decimal | int):
            raise BrokerError(f"cash must be a Decimal, got {type(self.cash).__name__} {self.cash!r}")
        self.cash = Decimal(self.cash)
        if not self.cash.is_finite() or (self.cash < 0 and self.account_type == "cash"):
            raise BrokerError(f"the cash of a cash account must be a finite amount >= 0, got {self.cash}")
        if isinstance(self.next_trade_number, bool) or not isinstance(self.next_trade_number, int):
            raise BrokerError(f"next_trade_number must be an int, got {self.next_trade_number!r}")
        if self.next_trade_number < 1:
            raise BrokerError(f"next_trade_number must be >= 1, got {self.next_trade_number}")
        for symbol, quantity in self.positions.items():
            if not isinstance(symbol, Symbol) or not isinstance(quantity, Decimal) or not quantity.is_finite():
                raise BrokerError(f"positions must map Symbol to a finite Decimal, got {symbol!r}: {quantity!r}")

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.account_dict(),
            "orders": [order.to_dict() for order in self.orders.values()],
            "fills": [_fill_to_dict(fill) for fill in self.fills],
        }

    def account_dict(self) -> dict[str, Any]:
        """:meth:`to_dict` without the order and fill lists (which only grow: they are saved item by item)."""
        return {
            "version": STATE_VERSION,
            "cash": str(self.cash),
            "positions": {symbol.value: str(quantity) for symbol, quantity in self.positions.items()},
            "next_trade_number": self.next_trade_number,
            "last_bar_ts": {symbol.value: ts.isoformat() for symbol, ts in self.last_bar_ts.items()},
            "last_close": {symbol.value: close for symbol, close in self.last_close.items()},
            "account_type": self.account_type,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SimBrokerState:
        """The state ``to_dict`` wrote; :class:`BrokerError` naming the problem if ``data`` is not one."""
        try:
            if data["version"] != STATE_VERSION:
                raise ValueError(f"version {data['version']!r} is not {STATE_VERSION}")
            orders = [SimOrder.from_dict(item) for item in data["orders"]]
            last_close = {Symbol(s): float(close) for s, close in data["last_close"].items()}
            if not all(math.isfinite(close) and close > 0 for close in last_close.values()):
                raise ValueError("last_close prices must be finite and > 0")
            return cls(
                cash=_parse_dec(data["cash"]),
                positions={Symbol(s): _parse_dec(quantity) for s, quantity in data["positions"].items()},
                orders={order.order.client_order_id: order for order in orders},
                fills=[_fill_from_dict(item) for item in data["fills"]],
                next_trade_number=data["next_trade_number"],
                last_bar_ts={Symbol(s): _parse_ts(ts) for s, ts in data["last_bar_ts"].items()},
                last_close=last_close,
                account_type=data.get("account_type", "cash"),
            )
        except (KeyError, TypeError, ValueError, AttributeError, InvalidOperation, QuantdeskError) as exc:
            if isinstance(exc, BrokerError):
                raise
            detail = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
            raise BrokerError(f"invalid simulated broker state: {detail}") from exc


def _opt_str(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _parse_dec(value: object) -> Decimal:
    if not isinstance(value, str):
        raise TypeError(f"amounts are stored as strings, got {value!r}")
    result = Decimal(value)
    if not result.is_finite():
        raise ValueError(f"amount {value!r} is not finite")
    return result


def _opt_dec(value: object) -> Decimal | None:
    return None if value is None else _parse_dec(value)


def _parse_ts(value: object) -> datetime:
    if not isinstance(value, str):
        raise TypeError(f"timestamps are stored as ISO strings, got {value!r}")
    ts = datetime.fromisoformat(value)
    if ts.utcoffset() is None:
        raise ValueError(f"timestamp {value!r} has no time zone")
    return ts


def _fill_to_dict(fill: Fill) -> dict[str, Any]:
    return {
        "trade_id": fill.trade_id.value,
        "client_order_id": fill.client_order_id.value,
        "symbol": fill.symbol.value,
        "side": fill.side.value,
        "quantity": str(fill.quantity),
        "price": str(fill.price),
        "fee": str(fill.fee),
        "ts": fill.ts.isoformat(),
        "liquidity_side": None if fill.liquidity_side is None else fill.liquidity_side.value,
    }


def _fill_from_dict(data: Mapping[str, Any]) -> Fill:
    liquidity = data["liquidity_side"]
    return Fill(
        trade_id=TradeId(data["trade_id"]),
        client_order_id=ClientOrderId(data["client_order_id"]),
        symbol=Symbol(data["symbol"]),
        side=OrderSide(data["side"]),
        quantity=_parse_dec(data["quantity"]),
        price=_parse_dec(data["price"]),
        fee=_parse_dec(data["fee"]),
        ts=_parse_ts(data["ts"]),
        liquidity_side=None if liquidity is None else LiquiditySide(liquidity),
    )


_T = TypeVar("_T")


def _evolve(record: _T, **changes: Any) -> _T:
    """``dataclasses.replace`` for the venue's own records, without re-running their checks: the venue made the
    record and computes the changes itself (replace() re-validates every field, a large part of a fill's cost)."""
    new = object.__new__(type(record))
    for name in record.__slots__:  # type: ignore[attr-defined]
        object.__setattr__(new, name, changes[name] if name in changes else getattr(record, name))
    return new


def _fill_ts(fill: Fill) -> datetime:
    return fill.ts


def _check_bar(bar: object) -> Bar:
    if not isinstance(bar, Bar):
        raise BrokerError(f"on_bar takes a Bar, got {type(bar).__name__}")
    prices = (bar.open, bar.high, bar.low, bar.close)
    if not all(math.isfinite(p) and p > 0 for p in prices) or bar.high < bar.low:
        raise BrokerError(f"bar {bar.symbol} {bar.ts.isoformat()} has unusable prices {prices}")
    if not math.isfinite(bar.volume) or bar.volume < 0:
        raise BrokerError(f"bar {bar.symbol} {bar.ts.isoformat()} has an unusable volume {bar.volume}")
    return bar


@dataclass(frozen=True)
class VenueChanges:
    """The part of a simulated venue's state to save: see :meth:`SimulatedBroker.venue_changes`."""

    account: dict[str, Any]
    orders: dict[int, dict[str, Any]]
    fills: dict[int, dict[str, Any]]


class SimulatedBroker:
    """A simulated cash account implementing :class:`~quantdesk.execution.broker.BrokerPort`.

    Bars come in through :meth:`on_bar` / :meth:`on_bars`; every order event (accepted on submit, filled with
    trade ids ``<account_id>-<n>``, canceled, expired, rejected) goes to an outbox that :meth:`drain_events`
    empties. ``on_bar`` also returns the events of that bar: consume one or the other.

    The broker owns the ``state`` it is given and changes it in place; persist :attr:`state` (a copy).
    """

    def __init__(
        self,
        costs: Costs,
        state: SimBrokerState | None = None,
        *,
        account_id: str = "sim",
        max_volume_pct: float | None = None,
    ) -> None:
        if not isinstance(costs, Costs):
            raise BrokerError(f"costs must be a Costs, got {type(costs).__name__}")
        if state is not None and not isinstance(state, SimBrokerState):
            raise BrokerError(f"state must be a SimBrokerState, got {type(state).__name__}")
        if not isinstance(account_id, str) or not account_id or any(c.isspace() for c in account_id):
            raise BrokerError(f"account_id must be a non-empty string without spaces, got {account_id!r}")
        if max_volume_pct is not None and (
            isinstance(max_volume_pct, bool)
            or not isinstance(max_volume_pct, int | float)
            or not 0.0 < max_volume_pct <= 1.0
        ):
            raise BrokerError(f"max_volume_pct must be in (0, 1] (0.1 is 10% of a bar's volume), got {max_volume_pct}")
        self._costs = costs
        self._state = SimBrokerState() if state is None else state
        self._account_id = account_id
        self._max_volume_pct = None if max_volume_pct is None else float(max_volume_pct)
        self._outbox: list[OrderEvent] = []
        # the working orders in arrival order: each bar looks at these, not at every order ever received
        self._working = dict.fromkeys(cid for cid, r in self._state.orders.items() if r.order.is_working)
        # what changed since the state was last saved (see venue_changes): orders by arrival number, new fills
        self._ids = list(self._state.orders)  # arrival number → client id
        self._number = {cid: n for n, cid in enumerate(self._ids)}
        self._dirty: set[int] = set(self._number.values())
        self._saved_fills = 0

    @property
    def account_id(self) -> str:
        return self._account_id

    @property
    def state(self) -> SimBrokerState:
        """A copy of the venue's state, to persist (``state.to_dict()``)."""
        return SimBrokerState.from_dict(self._state.to_dict())

    # --- BrokerPort ---------------------------------------------------------------------------------------

    def submit(self, command: SubmitOrder) -> BrokerOrder:
        """Accept ``command`` (OrderAccepted in the outbox), or return the order already under its id."""
        if not isinstance(command, SubmitOrder):
            raise BrokerError(f"submit takes a SubmitOrder, got {type(command).__name__}")
        cid = command.client_order_id
        existing = self._state.orders.get(cid)
        if existing is not None:
            if existing.order.matches(command):
                return existing.order
            raise BrokerRejected("the client order id is already used by a different order", cid)
        refusal = self._refusal(command)
        if refusal is not None:
            order = BrokerOrder.from_command(command, None, OrderStatus.REJECTED, refusal)
            self._put(SimOrder(order, command.ts))
            self._outbox.append(OrderRejected(cid, command.ts, refusal))
            raise BrokerRejected(refusal, cid)
        venue_id = VenueOrderId(f"{self._account_id}-o{len(self._state.orders) + 1}")
        order = BrokerOrder.from_command(command, venue_id, OrderStatus.ACCEPTED)
        self._put(SimOrder(order, command.ts))
        self._working[cid] = None
        self._outbox.append(OrderAccepted(cid, command.ts, venue_id))
        return order

    def cancel(self, client_order_id: ClientOrderId) -> BrokerOrder:
        """Cancel a working order (OrderCanceled in the outbox)."""
        record = self._state.orders.get(client_order_id)
        if record is None:
            raise BrokerRejected("unknown order", client_order_id)
        status = record.order.status
        if status is OrderStatus.FILLED:
            raise BrokerRejected("already filled", client_order_id)
        if status.is_terminal:
            raise BrokerRejected(f"already {status}", client_order_id)
        ts = max([record.ts, *self._state.last_bar_ts.values()])
        self._outbox.append(self._finish(record, OrderStatus.CANCELED, ts, "canceled on request"))
        return self._state.orders[client_order_id].order

    def order(self, client_order_id: ClientOrderId) -> BrokerOrder | None:
        record = self._state.orders.get(client_order_id)
        return None if record is None else record.order

    def open_orders(self) -> list[BrokerOrder]:
        return [self._state.orders[cid].order for cid in self._working]

    def fills(self, since: datetime | None = None) -> list[Fill]:
        """The fills at or after ``since`` (inclusive: several fills share a bar's ts; dedupe by trade id)."""
        fills = self._state.fills  # booked in time order: the first one at or after `since` is found by bisection
        return list(fills if since is None else fills[bisect_left(fills, since, key=_fill_ts) :])

    def positions(self) -> dict[Symbol, Decimal]:
        return dict(self._state.positions)

    def cash(self) -> Decimal:
        return self._state.cash

    # --- persistence -----------------------------------------------------------------------------------------

    def venue_changes(self) -> VenueChanges:
        """What changed since :meth:`changes_saved` (everything, the first time): the account document, the
        orders changed (by arrival number) and the fills booked (by booking number), JSON-safe. Saving these
        keeps the stored state equal to :meth:`SimBrokerState.to_dict` without rewriting it whole."""
        orders, fills = self._state.orders, self._state.fills
        return VenueChanges(
            account=self._state.account_dict(),
            orders={n: orders[self._ids[n]].to_dict() for n in sorted(self._dirty)},
            fills={n: _fill_to_dict(fills[n]) for n in range(self._saved_fills, len(fills))},
        )

    def changes_saved(self, changes: VenueChanges) -> None:
        """Forget the changes in ``changes`` (once they are committed); later changes stay pending."""
        self._dirty.difference_update(changes.orders)
        if changes.fills:
            self._saved_fills = max(self._saved_fills, max(changes.fills) + 1)

    def _put(self, record: SimOrder) -> None:
        cid = record.order.client_order_id
        number = self._number.get(cid)
        if number is None:
            number = self._number[cid] = len(self._ids)
            self._ids.append(cid)
        self._state.orders[cid] = record
        self._dirty.add(number)

    # --- the venue ------------------------------------------------------------------------------------------

    def drain_events(self) -> list[OrderEvent]:
        """The events since the last call, oldest first; the outbox is emptied."""
        events, self._outbox = self._outbox, []
        return events

    def on_bar(self, bar: Bar) -> list[OrderEvent]:
        """Work the orders of ``bar``'s symbol against it; the events (also in the outbox)."""
        return self.on_bars([bar])

    def on_bars(self, bars: Iterable[Bar]) -> list[OrderEvent]:
        """Work the orders against one bar per symbol (one timestamp), sells first as the kernel does."""
        batch = [_check_bar(bar) for bar in bars]
        if len({bar.symbol for bar in batch}) != len(batch):
            raise BrokerError("on_bars takes at most one bar per symbol")
        last = self._state.last_bar_ts
        fresh = {bar.symbol: bar for bar in batch if bar.symbol not in last or bar.ts > last[bar.symbol]}
        if not self._working:  # nothing to work: only the last bar seen per symbol moves
            for symbol, bar in fresh.items():
                last[symbol] = bar.ts
                self._state.last_close[symbol] = bar.close
            return []
        room: dict[Symbol, Decimal] | None = None
        if self._max_volume_pct is not None:
            with localcontext(_EXACT):
                room = {s: _dec(bar.volume) * _dec(self._max_volume_pct) for s, bar in fresh.items()}
        queue = []
        for sequence, cid in enumerate(self._working):
            record = self._state.orders[cid]
            order = record.order
            bar = fresh.get(order.symbol)
            if bar is not None and bar.ts >= record.ts:
                reference = self._state.last_close.get(order.symbol, bar.open)
                value = order.side.sign * float(order.leaves_quantity) * reference
                queue.append((value, sequence, order.client_order_id))
        events: list[OrderEvent] = []
        for _, _, cid in sorted(queue):
            record = self._state.orders[cid]
            events.extend(self._work(record, fresh[record.order.symbol], room))
        for symbol, bar in fresh.items():
            last[symbol] = bar.ts
            self._state.last_close[symbol] = bar.close
        self._outbox.extend(events)
        return events

    def _refusal(self, command: SubmitOrder) -> str | None:
        if _is_close(float(command.quantity), 0.0):
            return f"quantity {command.quantity} is below the smallest tradable quantity ({ABS_TOL})"
        if self._state.account_type == "margin":
            return self._margin_refusal(command)
        if command.side is OrderSide.BUY and _snap(float(self._state.cash)) == 0.0:
            pending_sale = any(self._state.orders[cid].order.side is OrderSide.SELL for cid in self._working)
            if not pending_sale:
                return "insufficient cash: the account has no cash and no pending sale"
        return None

    def _margin_refusal(self, command: SubmitOrder) -> str | None:
        """A margin account takes an order while what it adds to the gross exposure (at the limit price, else
        the last close) fits the buying power ``max(0, equity / 50 % - gross)``, as a broker checks at submit."""
        state = self._state
        price = command.limit_price or command.stop_price
        reference = float(price) if price is not None else state.last_close.get(command.symbol)
        if reference is None:
            return None  # no price seen yet for the symbol: nothing to value the order at
        marks = {s: state.last_close.get(s, reference if s == command.symbol else 0.0) for s in state.positions}
        equity = float(state.cash) + sum(float(q) * marks[s] for s, q in state.positions.items())
        gross = sum(abs(float(q)) * marks[s] for s, q in state.positions.items())
        power = max(0.0, equity / MARGIN_INITIAL - gross)
        before = float(state.positions.get(command.symbol, ZERO))
        change = float(command.quantity) * (1.0 if command.side is OrderSide.BUY else -1.0)
        added = (abs(before + change) - abs(before)) * reference
        if added <= power * (1 + REL_TOL) + ABS_TOL:
            return None
        return f"insufficient buying power: the order adds {added:,.2f} of exposure, the account has {power:,.2f}"

    def _work(self, record: SimOrder, bar: Bar, room: dict[Symbol, Decimal] | None) -> list[OrderEvent]:
        order = record.order
        tif = order.time_in_force
        if tif is TimeInForce.DAY:
            day = bar.ts.date()
            if record.session is not None and day > record.session:
                return [self._finish(record, OrderStatus.EXPIRED, bar.ts, "the day order's session ended")]
            record = _evolve(record, session=record.session or day)
        triggered, quote = _quote(order, record.triggered, bar, self._costs.slippage)
        if triggered != record.triggered:
            record = _evolve(record, triggered=triggered)
        self._put(record)
        wanted = order.leaves_quantity
        quantity = wanted if room is None else min(wanted, room[order.symbol])
        unfilled = "the price did not reach the order on its first bar"
        trade: _Trade | str | None = None
        if quote is not None:
            if quantity <= 0 or (tif is TimeInForce.FOK and quantity < wanted):
                unfilled = "the bar's volume could not fill it"
            else:
                trade = self._trade(order.side, quantity, quote)
        if isinstance(trade, str):
            return [self._finish(record, OrderStatus.CANCELED, bar.ts, trade)]
        if trade is not None and tif is TimeInForce.FOK and trade.quantity < wanted:
            trade, unfilled = None, "the cash could not pay for all of it"
        events: list[OrderEvent] = []
        if trade is not None and quote is not None:
            events.append(self._book(record, trade, bar, quote.liquidity))
            if room is not None:
                with localcontext(_EXACT):
                    room[order.symbol] -= trade.quantity
            record = self._state.orders[order.client_order_id]
            if trade.quantity < quantity:
                events.append(self._finish(record, OrderStatus.CANCELED, bar.ts, "cut to the cash available"))
                return events
        if tif in (TimeInForce.IOC, TimeInForce.FOK) and record.order.is_working:
            reason = "the rest of an immediate-or-cancel order" if trade is not None else unfilled
            events.append(self._finish(record, OrderStatus.CANCELED, bar.ts, reason))
        return events

    def _trade(self, side: OrderSide, quantity: Decimal, quote: _Quote) -> _Trade | str:
        fees = self._costs.fees
        if side is OrderSide.BUY and self._state.account_type == "margin":
            execute = _margin_buy  # borrowing is allowed: buying power was checked when the order came in
        else:
            execute = _buy if side is OrderSide.BUY else _sell
        return execute(self._state.cash, quantity, quote, fees.rate, fees.fixed)

    def _book(self, record: SimOrder, trade: _Trade, bar: Bar, liquidity: LiquiditySide) -> OrderFilled:
        order = record.order
        state = self._state
        fill = Fill(
            trade_id=TradeId(f"{self._account_id}-{state.next_trade_number}"),
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            side=order.side,
            quantity=trade.quantity,
            price=trade.price,
            fee=trade.fee,
            ts=bar.ts,
            liquidity_side=liquidity,
        )
        state.next_trade_number += 1
        state.fills.append(fill)
        state.cash = trade.cash
        with localcontext(_EXACT):
            position = state.positions.get(order.symbol, ZERO) + fill.signed_quantity
            filled = order.filled_quantity + trade.quantity
            notional = record.fill_notional + trade.quantity * trade.price
        if position:
            state.positions[order.symbol] = position
        else:
            state.positions.pop(order.symbol, None)
        status = OrderStatus.FILLED if filled == order.quantity else OrderStatus.PARTIALLY_FILLED
        if status is OrderStatus.FILLED:
            self._working.pop(order.client_order_id, None)
        updated = _evolve(
            order, status=status, filled_quantity=filled, avg_fill_price=_AVERAGE.divide(notional, filled)
        )
        self._put(_evolve(record, order=updated, fill_notional=notional))
        return OrderFilled(fill)

    def _finish(self, record: SimOrder, status: OrderStatus, ts: datetime, reason: str) -> OrderEvent:
        cid = record.order.client_order_id
        self._put(_evolve(record, order=_evolve(record.order, status=status, reason=reason)))
        self._working.pop(cid, None)
        return OrderExpired(cid, ts) if status is OrderStatus.EXPIRED else OrderCanceled(cid, ts)

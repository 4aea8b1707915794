"""A user's portfolio: the sum of the ledgers of their deployments."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from quantdesk.model.ids import Symbol
from quantdesk.portfolio._decimal import ZERO, exact
from quantdesk.portfolio.ledger import Ledger, Marks


@dataclass(frozen=True, slots=True)
class PortfolioSummary:
    """Several ledgers added up at the same marks (``ledgers`` is how many).

    ``positions`` nets each symbol's quantity across ledgers and leaves out symbols that net to zero;
    ``gross`` and ``net`` add the ledgers' own exposures, so a long in one deployment and a short of the
    same symbol in another both count in ``gross``: each deployment holds (and margins) its own positions.
    """

    cash: Decimal
    equity: Decimal
    gross: Decimal
    net: Decimal
    realized_pnl_net: Decimal
    unrealized_pnl: Decimal
    positions: Mapping[Symbol, Decimal]
    ledgers: int


def aggregate(ledgers: Iterable[Ledger], marks: Marks) -> PortfolioSummary:
    """The sum of ``ledgers`` valued at ``marks`` (which must price every symbol any of them holds)."""
    cash = equity = gross = net = realized = unrealized = ZERO
    quantities: dict[Symbol, Decimal] = {}
    count = 0
    for ledger in ledgers:
        balances = ledger.balances(marks)
        with exact():
            cash += balances.cash
            equity += balances.equity
            gross += balances.gross
            net += balances.net
            realized += ledger.realized_pnl_net
            unrealized += ledger.unrealized_pnl(marks)
            for symbol, position in ledger.open_positions.items():
                quantities[symbol] = quantities.get(symbol, ZERO) + position.quantity
        count += 1
    held = {symbol: quantities[symbol] for symbol in sorted(quantities, key=str) if quantities[symbol]}
    return PortfolioSummary(
        cash=cash,
        equity=equity,
        gross=gross,
        net=net,
        realized_pnl_net=realized,
        unrealized_pnl=unrealized,
        positions=MappingProxyType(held),
        ledgers=count,
    )

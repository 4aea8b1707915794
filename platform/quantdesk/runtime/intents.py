"""From the strategy's target row at a bar's close to the orders the live cycle sends.

The same three rules as the vectorized engine (:mod:`quantdesk.backtest.orders`: shorting off → flat,
leverage cap, act only when a symbol's weight changes) and the same sizing (:mod:`quantdesk.backtest.kernel`):
``quantity = weight × equity / close − position`` with the equity valued once at this close, orders sorted
by value so that sells go first. Replaying history through the live components therefore sends the orders
the vectorized backtest simulates; ``quantdesk parity`` checks it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

REL_TOL = 1e-9
ABS_TOL = 1e-12


@dataclass(frozen=True)
class OrderIntent:
    """A market order to send for the next bar's open: signed ``quantity`` toward ``weight`` of equity."""

    symbol: str
    quantity: float
    weight: float
    reference_price: float  # the close it was sized at

    @property
    def is_buy(self) -> bool:
        return self.quantity > 0


class TargetRules:
    """The engine's rules for one deployment, with the memory of the last weight acted on per symbol."""

    def __init__(self, symbols: Sequence[str], *, allow_short: bool = True, leverage: float = 1.0) -> None:
        if not math.isfinite(leverage) or leverage <= 0:
            raise ValueError(f"leverage cap must be a positive number, got {leverage}")
        self.symbols = tuple(symbols)
        self.allow_short, self.leverage = allow_short, leverage
        self.last: dict[str, float] = dict.fromkeys(self.symbols, math.nan)

    def decide(self, row: Mapping[str, float]) -> dict[str, float]:
        """The weights to act on for this target row (symbols whose weight did not change are left out)."""
        weights = {}
        for symbol in self.symbols:
            w = float(row.get(symbol, math.nan))
            if math.isinf(w):
                raise ValueError(f"target weight for {symbol} must be a finite number or NaN, got {w}")
            weights[symbol] = 0.0 if (not self.allow_short and w < 0.0) else w
        gross = sum(abs(w) for w in weights.values() if not math.isnan(w))
        if gross > self.leverage * (1 + 1e-12):
            scale = self.leverage / gross
            weights = {s: w * scale for s, w in weights.items()}
        acted = {}
        for symbol, w in weights.items():
            if not math.isnan(w) and (math.isnan(self.last[symbol]) or w != self.last[symbol]):
                acted[symbol] = w
                self.last[symbol] = w
        return acted


def size_orders(
    weights: Mapping[str, float],
    positions: Mapping[str, float],
    closes: Mapping[str, float],
    cash: float,
    symbols: Sequence[str],
) -> list[OrderIntent]:
    """Quantities for ``weights`` at this close, sells first (the kernel's order of a bar's calls)."""
    value = cash
    for symbol in symbols:
        if positions.get(symbol, 0.0) != 0.0:
            value += positions[symbol] * closes[symbol]
    if not value > 0.0:
        return []
    keyed = []
    for k, symbol in enumerate(symbols):
        if symbol not in weights:
            continue
        w, position, close = weights[symbol], positions.get(symbol, 0.0), closes[symbol]
        quantity = w * value / close - position
        if _is_close(quantity, 0.0):
            continue
        keyed.append((w * value - position * close, k, OrderIntent(symbol, quantity, w, close)))
    return [intent for _, _, intent in sorted(keyed, key=lambda item: (item[0], item[1]))]


def _is_close(a: float, b: float) -> bool:
    return a == b or abs(a - b) <= max(REL_TOL * max(abs(a), abs(b)), ABS_TOL)

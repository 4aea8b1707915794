"""Fee and slippage models: small value objects with one job each, the same in every mode.

The vectorized backtest reads their rates into its compiled kernel; the replay and the paper broker call
their methods on each fill. One definition, so a backtest and a paper account charge the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from quantdesk.model.errors import QuantdeskError


class CostModelError(QuantdeskError):
    """A fee or slippage setting that cannot be used (negative, or 100% or more)."""


@dataclass(frozen=True)
class PercentFee:
    """A fee of ``rate`` × traded notional plus ``fixed`` per order, in the quote currency."""

    rate: float = 0.0
    fixed: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate < 1.0:
            raise CostModelError(f"fee rate must be in [0, 1), got {self.rate} (0.001 means 0.1%)")
        if self.fixed < 0.0:
            raise CostModelError(f"fixed fee must be 0 or more, got {self.fixed}")

    def fee(self, notional: float) -> float:
        return abs(notional) * self.rate + self.fixed


@dataclass(frozen=True)
class PercentSlippage:
    """Buys fill ``rate`` above the reference price and sells ``rate`` below it."""

    rate: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate < 1.0:
            raise CostModelError(f"slippage must be in [0, 1), got {self.rate} (0.0005 means 5 bp)")

    def fill_price(self, price: float, side_sign: int) -> float:
        """The price paid (``side_sign`` +1 for a buy) or received (-1 for a sell)."""
        return price * (1.0 + self.rate) if side_sign > 0 else price * (1.0 - self.rate)


@dataclass(frozen=True)
class Costs:
    """The trading costs of one run: fees and slippage."""

    fees: PercentFee = field(default_factory=PercentFee)
    slippage: PercentSlippage = field(default_factory=PercentSlippage)

    @classmethod
    def of(cls, fees: float = 0.0, slippage: float = 0.0, fixed_fee: float = 0.0) -> Costs:
        return cls(PercentFee(fees, fixed_fee), PercentSlippage(slippage))

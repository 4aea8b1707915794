"""Equity snapshots and the equity curve they make, in time order."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from decimal import Decimal

from quantdesk.portfolio._decimal import amount, exact, non_negative, quotient
from quantdesk.portfolio.errors import PortfolioError


@dataclass(frozen=True, slots=True)
class EquitySnapshot:
    """The account valued at marks at ``ts`` (UTC): cash, equity, gross and net exposure."""

    ts: datetime
    cash: Decimal
    equity: Decimal
    gross: Decimal
    net: Decimal

    def __post_init__(self) -> None:
        if not isinstance(self.ts, datetime) or self.ts.utcoffset() is None:
            raise PortfolioError(f"EquitySnapshot.ts must be a timezone-aware datetime, got {self.ts!r}")
        object.__setattr__(self, "ts", self.ts.astimezone(UTC))
        object.__setattr__(self, "cash", amount(self.cash, "EquitySnapshot.cash"))
        object.__setattr__(self, "equity", amount(self.equity, "EquitySnapshot.equity"))
        object.__setattr__(self, "gross", non_negative(self.gross, "EquitySnapshot.gross"))
        object.__setattr__(self, "net", amount(self.net, "EquitySnapshot.net"))


class EquityCurve:
    """Equity snapshots with strictly increasing timestamps; an earlier or repeated timestamp is refused.

    ``drawdown`` follows :mod:`quantdesk.reporting.drawdown`: ``equity / running peak - 1``, <= 0.
    """

    __slots__ = ("_peak", "_snapshots")

    def __init__(self, snapshots: Iterable[EquitySnapshot] = ()) -> None:
        self._snapshots: list[EquitySnapshot] = []
        self._peak: Decimal | None = None
        for snapshot in snapshots:
            self.append(snapshot)

    def append(self, snapshot: EquitySnapshot) -> None:
        """Add ``snapshot``; it must be later than the last one."""
        if not isinstance(snapshot, EquitySnapshot):
            raise PortfolioError(f"an equity curve holds EquitySnapshot, got {type(snapshot).__name__}")
        if self._snapshots and snapshot.ts <= self._snapshots[-1].ts:
            raise PortfolioError(
                f"equity snapshot at {snapshot.ts.isoformat()} is not after the last one "
                f"at {self._snapshots[-1].ts.isoformat()}"
            )
        self._snapshots.append(snapshot)
        self._peak = snapshot.equity if self._peak is None else max(self._peak, snapshot.equity)

    def __len__(self) -> int:
        return len(self._snapshots)

    def __iter__(self) -> Iterator[EquitySnapshot]:
        return iter(self._snapshots)

    @property
    def last(self) -> EquitySnapshot:
        """The latest snapshot."""
        if not self._snapshots:
            raise PortfolioError("the equity curve is empty")
        return self._snapshots[-1]

    @property
    def peak(self) -> Decimal:
        """The highest equity so far."""
        if self._peak is None:
            raise PortfolioError("the equity curve is empty: it has no peak")
        return self._peak

    @property
    def drawdown(self) -> Decimal:
        """The latest equity against the peak, ``equity / peak - 1``: 0 at a new high, -0.25 a quarter below."""
        last, peak = self.last, self.peak
        if peak <= 0:
            raise PortfolioError(f"drawdown needs a positive peak equity, got {peak}")
        with exact():
            return quotient(last.equity - peak, peak)

    def to_rows(self) -> list[dict[str, object]]:
        """One dict per snapshot (``ts, cash, equity, gross, net``), oldest first: for a table or a frame."""
        return [asdict(snapshot) for snapshot in self._snapshots]

"""Clocks: simulated (advanced by the replay feed) or the wall clock. Only the runtime reads real time."""

from __future__ import annotations

from datetime import UTC, datetime


class SimulatedClock:
    """Time as the replay has reached it: the close of the newest bar."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(1970, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance_to(self, ts: datetime) -> None:
        if ts < self._now:
            raise ValueError(f"the simulated clock cannot go back from {self._now.isoformat()} to {ts.isoformat()}")
        self._now = ts


class WallClock:
    """The machine's UTC time (paper and live trading)."""

    def now(self) -> datetime:
        return datetime.now(UTC)

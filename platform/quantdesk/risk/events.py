"""Risk events: what the risk side decided, for the runtime to persist (risk_events) and publish on the bus."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from quantdesk.risk.context import utc


class RiskEventKind(StrEnum):
    """Why a risk event was recorded."""

    DENIED = "denied"  # an order failed a pre-trade check
    STATE_CHANGE = "state_change"  # ACTIVE / REDUCING / HALTED changed by an equity limit or a resume
    KILL_SWITCH = "kill_switch"  # trading halted by hand
    PROTECTION = "protection"  # a stop-loss, take-profit or trailing stop fired


@dataclass(frozen=True, slots=True)
class RiskEvent:
    """One risk decision in the past tense. ``details`` holds plain strings (Decimals as text), JSON-safe."""

    ts: datetime
    kind: RiskEventKind
    rule: str | None
    reason: str
    details: dict[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ts", utc(self.ts, "RiskEvent.ts"))
        object.__setattr__(self, "kind", RiskEventKind(self.kind))
        object.__setattr__(self, "details", details(**self.details))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: ``ts`` as ISO 8601, the kind as its value."""
        return {
            "ts": self.ts.isoformat(),
            "kind": str(self.kind),
            "rule": self.rule,
            "reason": self.reason,
            "details": dict(self.details),
        }


def details(**values: object) -> dict[str, str]:
    """Event details as text, leaving out the values that are None."""
    return {key: str(value) for key, value in values.items() if value is not None}

"""What the repositories return where the model has no type of its own: deployments, strategy versions and
risk events, as small frozen values (the rows themselves never leave the persistence package)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from quantdesk.model import DeploymentId, Symbol, TradingState, UserId


class DeploymentMode(StrEnum):
    """How a deployment trades: against replayed history, a paper account or a live one."""

    REPLAY = "replay"
    PAPER = "paper"
    LIVE = "live"


class DeploymentStatus(StrEnum):
    """Where a deployment is in its life."""

    CREATED = "created"
    RUNNING = "running"
    STOPPED = "stopped"
    HALTED = "halted"
    FAILED = "failed"


class AccountType(StrEnum):
    """A cash account (no borrowing) or a Reg-T margin account."""

    CASH = "cash"
    MARGIN = "margin"


class RiskEventKind(StrEnum):
    """What a risk event records."""

    DENIED = "denied"
    STATE_CHANGE = "state_change"
    KILL_SWITCH = "kill_switch"
    PROTECTION = "protection"


@dataclass(frozen=True, slots=True)
class StrategyVersion:
    """One promoted version of a strategy: what ran (code, params), on what data, and what it scored."""

    id: int
    name: str
    version: int
    strategy_path: str
    params: dict[str, Any]
    code_hash: str
    data_range_start: datetime | None
    data_range_end: datetime | None
    data_hash: str | None
    metrics: dict[str, Any]
    gates: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Deployment:
    """One running instance of a strategy version; ``cash`` is the initial cash."""

    id: DeploymentId
    strategy_version_id: int
    user_id: UserId
    mode: DeploymentMode
    feed: str
    speed: float | None
    symbols: tuple[Symbol, ...]
    status: DeploymentStatus
    trading_state: TradingState
    risk_profile_id: int | None
    cash: Decimal
    account_type: AccountType
    created_at: datetime
    updated_at: datetime
    last_bar_ts: datetime | None


@dataclass(frozen=True, slots=True)
class RiskEvent:
    """A risk decision worth keeping: a denial, a state change, the kill switch, a protection firing."""

    id: int
    deployment_id: DeploymentId
    ts: datetime
    kind: RiskEventKind
    rule: str | None
    reason: str | None
    details: dict[str, Any]

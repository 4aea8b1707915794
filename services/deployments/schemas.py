"""Bodies and answers of the deployment endpoints."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, FiniteFloat, StringConstraints

from services.common.schemas import RequestBody


class DeploymentIn(RequestBody):
    """Deploy a registry version on a paper account (simulated broker, the catalog's bars replayed)."""

    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")] = Field(
        description="registry name (GET /registry)"
    )
    version: Annotated[int, Field(ge=1)] | None = Field(default=None, description="default: the latest")
    mode: Literal["paper"] = "paper"
    account: Literal["cash", "margin"] = Field(
        default="cash", description="cash: no borrowing, no shorts; margin: Reg-T 2x buying power, shorts allowed"
    )
    cash: FiniteFloat = Field(default=100_000.0, gt=0, le=1e12, description="starting cash")
    speed: FiniteFloat | None = Field(
        default=None, gt=0, le=1e9, description="simulated seconds per real second; default: as fast as possible"
    )


class Counts(BaseModel):
    orders: int
    open_orders: int
    fills: int
    equity_points: int


class EquityPoint(BaseModel):
    ts: datetime
    cash: Decimal
    equity: Decimal


class LastRun(BaseModel):
    """The latest run in this API process."""

    running: bool
    outcome: str | None = Field(description="when it ended: finished, paused, stopped or halted")
    bars: int = Field(description="bars traded in this run")
    error: str | None


class DeploymentOut(BaseModel):
    id: str
    registry_name: str
    registry_version: int
    strategy_path: str
    user: str
    mode: str
    feed: str
    speed: float | None
    symbols: list[str]
    status: str = Field(description="created, running, stopped, halted or failed")
    trading_state: str = Field(description="active, reducing or halted (kill switch)")
    account: str
    cash: Decimal = Field(description="starting cash")
    created_at: datetime
    updated_at: datetime
    last_bar: datetime | None
    last_run: LastRun | None
    counts: Counts | None = Field(default=None, description="only on GET /deployments/{id}")
    equity: EquityPoint | None = Field(default=None, description="the latest equity snapshot")

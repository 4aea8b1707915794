"""Bodies and answers of the strategies and registry endpoints."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, FiniteFloat, StringConstraints

from quantdesk.persistence import StrategyVersion
from quantdesk.strategy.registry import StrategyInfo
from services.common.research import ResearchIn

RegistryName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]


class StrategyOut(BaseModel):
    name: str
    summary: str
    path: str = Field(description="module:Class")
    default_symbols: list[str]
    symbol_count: int
    default_adjustment: str
    defaults: dict[str, Any] = Field(description="the parameters that have defaults, with them")
    params_schema: dict[str, Any] = Field(description="JSON Schema of the parameters (ranges, types)")

    @classmethod
    def of(cls, info: StrategyInfo) -> StrategyOut:
        return cls(
            name=info.name,
            summary=info.summary,
            path=info.path,
            default_symbols=list(info.default_symbols),
            symbol_count=info.cls.symbol_count,
            default_adjustment=info.cls.default_adjustment,
            defaults=info.params,
            params_schema=info.cls.params_model.model_json_schema(),
        )


class VersionOut(BaseModel):
    """One promoted version: what ran (code hash, parameters), on what data, what it scored, its gates."""

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

    @classmethod
    def of(cls, version: StrategyVersion) -> VersionOut:
        return cls(
            name=version.name,
            version=version.version,
            strategy_path=version.strategy_path,
            params=version.params,
            code_hash=version.code_hash,
            data_range_start=version.data_range_start,
            data_range_end=version.data_range_end,
            data_hash=version.data_hash,
            metrics=version.metrics,
            gates=version.gates,
            created_at=version.created_at,
        )


class PromoteIn(ResearchIn):
    """Run the gates on a configured strategy; record it as the next version of ``name`` if they all pass."""

    name: RegistryName = Field(description="registry name (e.g. trend-msft)")
    oos_start: date | None = Field(default=None, description="first bar of the held-out period")
    min_sharpe: FiniteFloat | None = None
    min_return: FiniteFloat | None = None
    max_drawdown: Annotated[float, Field(gt=0, le=1)] | None = None
    min_trades: Annotated[int, Field(ge=0)] | None = None


class GateOut(BaseModel):
    name: str
    passed: bool
    detail: str


class PromotionOut(BaseModel):
    name: str
    promoted: bool
    version: int | None
    gates: list[GateOut]
    metrics: dict[str, Any]
    oos_metrics: dict[str, Any] | None

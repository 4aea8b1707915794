"""Bodies and answers of the backtest endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, Field

from services.common.jobs import Job, JobStatus
from services.common.research import ResearchIn

JobId = Annotated[str, Path(pattern=r"^bt-[0-9a-f]{12}$")]


class BacktestIn(ResearchIn):
    """A backtest of a configured strategy on the catalog's bars: decide at the close, fill at the next open."""


class BacktestJobOut(BaseModel):
    id: str
    status: JobStatus
    request: dict[str, Any]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    result: dict[str, Any] | None = Field(description="when done: metrics, trades count, final equity, ...")
    error: str | None = Field(description="when failed: why")

    @classmethod
    def of(cls, job: Job) -> BacktestJobOut:
        return cls(
            id=job.id,
            status=job.status,
            request=job.request,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            result=job.summary,
            error=job.error,
        )

"""``/backtests``: submit a backtest (202 + job id), list and poll one's own jobs."""

from __future__ import annotations

from fastapi import APIRouter, status

from services.backtests import service
from services.backtests.schemas import BacktestIn, BacktestJobOut, JobId
from services.common.engine import Eng
from services.common.security import CurrentUser

router = APIRouter(prefix="/backtests", tags=["backtests"])


@router.post("", status_code=status.HTTP_202_ACCEPTED)
def submit(body: BacktestIn, user: CurrentUser, engine: Eng) -> BacktestJobOut:
    """Queue a backtest; poll ``GET /backtests/{id}`` until its status is done (or failed, with the reason)."""
    return service.submit(engine, user, body)


@router.get("")
def jobs(user: CurrentUser, engine: Eng) -> list[BacktestJobOut]:
    """The caller's backtest jobs of this API process, newest first."""
    return service.jobs(engine, user)


@router.get("/{job_id}")
def job(job_id: JobId, user: CurrentUser, engine: Eng) -> BacktestJobOut:
    """One of the caller's jobs: status, and when done the metrics, the number of trades, the final equity."""
    return BacktestJobOut.of(service.job(engine, user, job_id))

"""``/deployments/{id}/report | trades.csv | transactions.csv`` and ``/backtests/{id}/report | trades.csv``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from services.common.db import Uow
from services.common.engine import Eng
from services.common.security import CurrentUser
from services.common.trading import DeploymentIdPath
from services.reports import service
from services.reports.schemas import BacktestJobId

router = APIRouter(tags=["reports"])
CSV = {200: {"content": {"text/csv": {}}, "description": "CSV with a header row"}}


def _csv(named: tuple[str, str]) -> Response:
    filename, text = named
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/deployments/{deployment_id}/report")
def deployment_report(deployment_id: DeploymentIdPath, user: CurrentUser, uow: Uow) -> dict[str, Any]:
    """Performance so far: final equity, closed trades, fills and the metrics of the equity curve."""
    return service.deployment_report(uow, user, deployment_id)


@router.get("/deployments/{deployment_id}/trades.csv", response_class=Response, responses=CSV)
def deployment_trades(deployment_id: DeploymentIdPath, user: CurrentUser, uow: Uow) -> Response:
    """The trade log: round trips (a trade still open has no exit yet)."""
    return _csv(service.deployment_trades_csv(uow, user, deployment_id))


@router.get("/deployments/{deployment_id}/transactions.csv", response_class=Response, responses=CSV)
def deployment_transactions(deployment_id: DeploymentIdPath, user: CurrentUser, uow: Uow) -> Response:
    """Every fill: time, symbol, side, quantity, price, fee and the cash after it."""
    return _csv(service.deployment_transactions_csv(uow, user, deployment_id))


@router.get("/backtests/{job_id}/report")
def backtest_report(job_id: BacktestJobId, user: CurrentUser, engine: Eng) -> dict[str, Any]:
    """The finished backtest's summary and metrics (409 while it is queued or running, or if it failed)."""
    return service.backtest_report(engine, user, job_id)


@router.get("/backtests/{job_id}/trades.csv", response_class=Response, responses=CSV)
def backtest_trades(job_id: BacktestJobId, user: CurrentUser, engine: Eng) -> Response:
    """The finished backtest's trade log (a trade open at the end is marked at the last close)."""
    return _csv(service.backtest_trades_csv(engine, user, job_id))

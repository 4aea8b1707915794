"""Reports: a deployment's performance from its equity curve and fills (``quantdesk.reporting``), and a
finished backtest job's, as the backtest computed it."""

from __future__ import annotations

from typing import Any

import pandas as pd

from quantdesk.backtest import BacktestResult
from quantdesk.persistence import Deployment, UnitOfWork, UserAccount
from quantdesk.reporting import compute_metrics, periods_per_year_from_index
from services.common.engine import Engine
from services.common.errors import Conflict
from services.common.jobs import JobStatus
from services.common.results import json_safe, owned_job
from services.common.trading import owned_deployment
from services.reports import tables

BACKTEST = "backtest"


def deployment_report(uow: UnitOfWork, user: UserAccount, deployment_id: str) -> dict[str, Any]:
    """The summary and metrics of the deployment so far (metrics need two bars at least: None before)."""
    deployment = owned_deployment(uow, user, deployment_id)
    version = uow.strategies.get(deployment.strategy_version_id)
    assert version is not None
    curve = uow.equity.curve(deployment.id)
    fills = uow.fills.for_deployment(deployment.id)
    symbols = [str(s) for s in deployment.symbols]
    index = tables.bar_index((ts for ts, _, _ in curve), fills)
    trades = tables.round_trips(fills, index, symbols)
    closed = trades[trades["status"] == "closed"]
    metrics = None
    if len(curve) >= 2:
        equity = pd.Series([float(e) for _, _, e in curve], index=pd.DatetimeIndex([ts for ts, _, _ in curve]))
        metrics = compute_metrics(
            equity,
            initial_cash=float(deployment.cash),
            periods_per_year=periods_per_year_from_index(equity.index),
            trade_pnl=closed["pnl"].to_numpy(dtype=float),
            trade_returns=closed["return"].to_numpy(dtype=float),
            time_in_market=tables.time_in_market(fills, index, symbols),
        ).to_dict()
    return json_safe({
        "id": str(deployment.id),
        "strategy": version.strategy_path,
        "registry": {"name": version.name, "version": version.version},
        "params": version.params,
        "symbols": symbols,
        "start": curve[0][0].isoformat() if curve else None,
        "end": curve[-1][0].isoformat() if curve else None,
        "bars": len(curve),
        "initial_cash": float(deployment.cash),
        "final_equity": float(curve[-1][2]) if curve else float(deployment.cash),
        "trades": len(closed),
        "open_trades": len(trades) - len(closed),
        "fills": len(fills),
        "metrics": metrics,
    })  # fmt: skip


def deployment_trades_csv(uow: UnitOfWork, user: UserAccount, deployment_id: str) -> tuple[str, str]:
    deployment = owned_deployment(uow, user, deployment_id)
    fills = uow.fills.for_deployment(deployment.id)
    index = tables.bar_index((ts for ts, _, _ in uow.equity.curve(deployment.id)), fills)
    trades = tables.round_trips(fills, index, [str(s) for s in deployment.symbols])
    return _name(deployment, "trades"), _trades_csv(trades)


def deployment_transactions_csv(uow: UnitOfWork, user: UserAccount, deployment_id: str) -> tuple[str, str]:
    deployment = owned_deployment(uow, user, deployment_id)
    rows = tables.transactions(deployment, uow.fills.for_deployment(deployment.id))
    return _name(deployment, "transactions"), tables.csv_text(tables.TRANSACTION_COLUMNS, rows)


def backtest_report(engine: Engine, user: UserAccount, job_id: str) -> dict[str, Any]:
    """The finished job's summary: what ``BacktestResult.to_json()`` gives (and the prices' adjustment)."""
    _, summary = _finished(engine, user, job_id)
    return {"id": job_id, **(summary or {})}


def backtest_trades_csv(engine: Engine, user: UserAccount, job_id: str) -> tuple[str, str]:
    result, _ = _finished(engine, user, job_id)
    return f"{job_id}-trades.csv", _trades_csv(result.trades)


def _finished(engine: Engine, user: UserAccount, job_id: str) -> tuple[BacktestResult, dict[str, Any] | None]:
    job = owned_job(engine, user, job_id, BACKTEST)
    if job.status is not JobStatus.DONE:
        why = f": {job.error}" if job.error else "; try again when it is done"
        raise Conflict(f"backtest job {job_id} is {job.status}{why}")
    return job.result, job.summary


def _trades_csv(trades: pd.DataFrame) -> str:
    return tables.csv_text(tables.TRADE_COLUMNS, trades[list(tables.TRADE_COLUMNS)].itertuples(index=False))


def _name(deployment: Deployment, what: str) -> str:
    return f"{deployment.id}-{what}.csv"

"""Backtest jobs: the request checked now, the backtest run on the app's job runner."""

from __future__ import annotations

from typing import Any

from quantdesk.backtest import BacktestResult, backtest
from quantdesk.persistence import UserAccount
from services.backtests.schemas import BacktestIn, BacktestJobOut
from services.common.engine import Engine
from services.common.jobs import Job
from services.common.research import configured, load
from services.common.results import json_safe, owned_job

KIND = "backtest"


def submit(engine: Engine, user: UserAccount, body: BacktestIn) -> BacktestJobOut:
    """Queue the backtest; an unknown strategy or bad parameters answer 422 at once."""
    configured(body)

    def work() -> tuple[BacktestResult, dict[str, Any]]:
        job = load(engine.catalog(), body, engine.settings.quarantine_dir)
        result = backtest(
            job.strategy, job.bars, costs=body.costs, cash=body.cash, allow_short=body.allow_short,
            leverage=body.leverage,
        )  # fmt: skip
        return result, json_safe({**result.to_json(), "adjustment": job.adjustment})

    job = engine.jobs.submit(KIND, user.username, body.model_dump(mode="json"), work, prefix="bt")
    return BacktestJobOut.of(job)


def jobs(engine: Engine, user: UserAccount) -> list[BacktestJobOut]:
    return [BacktestJobOut.of(job) for job in engine.jobs.of(user.username, KIND)]


def job(engine: Engine, user: UserAccount, job_id: str) -> Job:
    return owned_job(engine, user, job_id, KIND)

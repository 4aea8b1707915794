"""The strategies package, the registry (``uow.strategies``) and promotion (``quantdesk.runtime.promotion``)."""

from __future__ import annotations

from quantdesk.model import QuantdeskError
from quantdesk.persistence import UnitOfWork
from quantdesk.runtime.promotion import Minimums, promote
from quantdesk.strategy.registry import list_strategies
from services.common.engine import Engine
from services.common.errors import NotFound, Unprocessable
from services.common.research import configured, load, unprocessable
from services.strategies.schemas import GateOut, PromoteIn, PromotionOut, StrategyOut, VersionOut


def strategies() -> list[StrategyOut]:
    return [StrategyOut.of(info) for info in list_strategies()]


def registry(uow: UnitOfWork) -> list[VersionOut]:
    return [VersionOut.of(version) for version in uow.strategies.all()]


def versions(uow: UnitOfWork, name: str) -> list[VersionOut]:
    found = uow.strategies.all(name)
    if not found:
        raise NotFound(f"no promoted strategy {name} in the registry")
    return [VersionOut.of(version) for version in found]


def run_promotion(engine: Engine, body: PromoteIn) -> PromotionOut:
    """Run every gate; 422 naming the gates that failed (nothing is recorded then)."""
    configured(body)  # an unknown strategy or bad parameters answer before any data is read
    minimums = Minimums(body.min_sharpe, body.min_return, body.max_drawdown, body.min_trades)
    try:
        job = load(engine.catalog(), body, engine.settings.quarantine_dir)
        result = promote(
            job.strategy, job.bars, name=body.name, database_url=engine.database_url, costs=body.costs,
            cash=body.cash, timeframe=body.timeframe, oos_start=_day(body), minimums=minimums,
        )  # fmt: skip
    except QuantdeskError as exc:
        raise unprocessable(exc) from None
    if not result.promoted:
        failed = "; ".join(f"gate {g.name} failed: {g.detail}" for g in result.gates if not g.passed)
        raise Unprocessable(f"{body.name} was not promoted ({failed}); nothing was recorded")
    return PromotionOut(
        name=result.name,
        promoted=True,
        version=result.version,
        gates=[GateOut(name=g.name, passed=g.passed, detail=g.detail) for g in result.gates],
        metrics=result.metrics,
        oos_metrics=result.oos_metrics,
    )


def _day(body: PromoteIn) -> str | None:
    return None if body.oos_start is None else body.oos_start.isoformat()

"""Deployments (``uow.deployments``) and their runners in this process (:class:`DeploymentRunners`).

Actions that a runner thread also writes (start, stop, kill switch) use short transactions of their own, so
that the request never holds the database while the runner waits for it, and the answer shows what the
runner did.
"""

from __future__ import annotations

from decimal import Decimal

from quantdesk.model import DeploymentId, TradingState
from quantdesk.persistence import AccountType, Deployment, DeploymentStatus, UnitOfWork, UserAccount, transaction
from services.common.context import ApiContext
from services.common.engine import Engine
from services.common.errors import Conflict, Unprocessable
from services.common.trading import owned_deployment
from services.deployments.schemas import Counts, DeploymentIn, DeploymentOut, EquityPoint, LastRun


def create(ctx: ApiContext, engine: Engine, uow: UnitOfWork, user: UserAccount, body: DeploymentIn) -> DeploymentOut:
    """Record a deployment of the registry version for the caller; 422 if there is no such version."""
    found = uow.strategies.get_version(body.name, body.version)
    if found is None:
        which = f"{body.name} v{body.version}" if body.version else body.name
        raise Unprocessable(f"no promoted strategy {which} in the registry (see GET /registry)")
    deployment = uow.deployments.create(
        found.id, user.user_id, body.mode, found.params.get("symbols", []), Decimal(repr(body.cash)),
        feed="replay", speed=body.speed, account_type=AccountType(body.account), ts=ctx.clock(),
    )  # fmt: skip
    return view(engine, uow, deployment)


def deployments(engine: Engine, uow: UnitOfWork, user: UserAccount) -> list[DeploymentOut]:
    return [view(engine, uow, d, detail=False) for d in uow.deployments.all(user.user_id)]


def deployment(engine: Engine, uow: UnitOfWork, user: UserAccount, deployment_id: str) -> DeploymentOut:
    return view(engine, uow, owned_deployment(uow, user, deployment_id))


def start(ctx: ApiContext, engine: Engine, user: UserAccount, deployment_id: str) -> DeploymentOut:
    """Run the deployment in a background thread of this process; 409 if it runs or cannot trade.

    It is marked running before its thread starts (the runner marks it again, then stopped when it ends), so
    the answer and every later read show it running. Marked running with no runner here (this process never
    ran it) means another process runs it, or ran it and died: stop it first to take it over."""
    with transaction(ctx.sessions) as uow:
        found = owned_deployment(uow, user, deployment_id)
        if found.trading_state is TradingState.HALTED:
            raise Conflict(f"deployment {deployment_id} is halted by its kill switch; it does not trade")
        if engine.runners.running(deployment_id):
            raise Conflict(f"deployment {deployment_id} is running already")
        if found.status is DeploymentStatus.RUNNING and engine.runners.handle(deployment_id) is None:
            raise Conflict(
                f"deployment {deployment_id} is marked running by another process; stop it first "
                f"(POST /deployments/{deployment_id}/stop) if nothing runs it any more"
            )
        uow.deployments.set_status(found.id, DeploymentStatus.RUNNING, ts=ctx.clock())
    try:
        engine.runners.start(deployment_id)
    except Conflict:
        raise  # started by a request a moment ago: it runs
    except BaseException:
        with transaction(ctx.sessions) as uow:
            uow.deployments.set_status(found.id, found.status, ts=ctx.clock())
        raise
    return _fresh(ctx, engine, user, deployment_id)


def stop(ctx: ApiContext, engine: Engine, user: UserAccount, deployment_id: str) -> DeploymentOut:
    """Ask the deployment to stop after its current bar (open orders stay at the broker), as `quantdesk stop`."""
    with transaction(ctx.sessions) as uow:
        found = owned_deployment(uow, user, deployment_id)
        if found.status is not DeploymentStatus.HALTED:
            uow.deployments.set_status(found.id, DeploymentStatus.STOPPED, ts=ctx.clock())
    engine.runners.wake(deployment_id)
    return _fresh(ctx, engine, user, deployment_id)


def kill(ctx: ApiContext, engine: Engine, user: UserAccount, deployment_id: str) -> DeploymentOut:
    """HALTED, as `quantdesk kill-switch`: a runner here cancels its open orders now, one elsewhere at its
    next bar; nothing trades until the deployment is resumed by hand."""
    with transaction(ctx.sessions) as uow:
        found = owned_deployment(uow, user, deployment_id)
        uow.deployments.set_trading_state(found.id, TradingState.HALTED, ts=ctx.clock())
    engine.runners.halt(deployment_id)
    return _fresh(ctx, engine, user, deployment_id)


def view(engine: Engine, uow: UnitOfWork, deployment: Deployment, *, detail: bool = True) -> DeploymentOut:
    version = uow.strategies.get(deployment.strategy_version_id)
    assert version is not None  # a foreign key
    status = deployment.status
    last_run = _last_run(engine, str(deployment.id))
    if last_run is not None and last_run.error and not last_run.running and status is DeploymentStatus.RUNNING:
        status = uow.deployments.set_status(deployment.id, DeploymentStatus.FAILED).status
    counts = equity = None
    if detail:
        orders = uow.orders.for_deployment(deployment.id)
        curve = uow.equity.curve(deployment.id)
        counts = Counts(
            orders=len(orders),
            open_orders=sum(1 for o in orders if not o.is_terminal),
            fills=len(uow.fills.for_deployment(deployment.id)),
            equity_points=len(curve),
        )
        if curve:
            equity = EquityPoint(ts=curve[-1][0], cash=curve[-1][1], equity=curve[-1][2])
    return DeploymentOut(
        id=str(deployment.id),
        registry_name=version.name,
        registry_version=version.version,
        strategy_path=version.strategy_path,
        user=str(deployment.user_id),
        mode=str(deployment.mode),
        feed=deployment.feed,
        speed=deployment.speed,
        symbols=[str(s) for s in deployment.symbols],
        status=str(status),
        trading_state=str(deployment.trading_state),
        account=str(deployment.account_type),
        cash=deployment.cash,
        created_at=deployment.created_at,
        updated_at=deployment.updated_at,
        last_bar=deployment.last_bar_ts,
        last_run=last_run,
        counts=counts,
        equity=equity,
    )


def _last_run(engine: Engine, deployment_id: str) -> LastRun | None:
    handle = engine.runners.handle(deployment_id)
    if handle is None:
        return None
    running = handle.running
    summary = None if running else handle.summary
    error = None if running or handle.error is None else str(handle.error) or type(handle.error).__name__
    return LastRun(running=running, outcome=None if summary is None else summary.status, bars=handle.bars, error=error)


def _fresh(ctx: ApiContext, engine: Engine, user: UserAccount, deployment_id: str) -> DeploymentOut:
    with transaction(ctx.sessions) as uow:
        return view(engine, uow, owned_deployment(uow, user, DeploymentId(deployment_id).value))

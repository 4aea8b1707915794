"""``/deployments``: a user's deployments of registry versions; start, stop and the kill switch."""

from __future__ import annotations

from fastapi import APIRouter, status

from services.common.context import Ctx
from services.common.db import Uow
from services.common.engine import Eng
from services.common.security import CurrentUser, Trader
from services.common.trading import DeploymentIdPath
from services.deployments import service
from services.deployments.schemas import DeploymentIn, DeploymentOut

router = APIRouter(prefix="/deployments", tags=["deployments"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create(body: DeploymentIn, user: Trader, ctx: Ctx, engine: Eng, uow: Uow) -> DeploymentOut:
    """Deploy a promoted version on a paper account (traders and admins); then POST .../start."""
    return service.create(ctx, engine, uow, user, body)


@router.get("")
def deployments(user: CurrentUser, engine: Eng, uow: Uow) -> list[DeploymentOut]:
    """The caller's deployments, newest first."""
    return service.deployments(engine, uow, user)


@router.get("/{deployment_id}")
def deployment(deployment_id: DeploymentIdPath, user: CurrentUser, engine: Eng, uow: Uow) -> DeploymentOut:
    """Status, trading state, last bar, the latest equity and counts of orders, fills and equity points."""
    return service.deployment(engine, uow, user, deployment_id)


@router.post("/{deployment_id}/start", status_code=status.HTTP_202_ACCEPTED)
def start(deployment_id: DeploymentIdPath, user: Trader, ctx: Ctx, engine: Eng) -> DeploymentOut:
    """Run it in the background in this API process, resuming where it left off; 409 if it runs already."""
    return service.start(ctx, engine, user, deployment_id)


@router.post("/{deployment_id}/stop")
def stop(deployment_id: DeploymentIdPath, user: Trader, ctx: Ctx, engine: Eng) -> DeploymentOut:
    """Stop after the current bar; open orders stay at the broker; start again to resume."""
    return service.stop(ctx, engine, user, deployment_id)


@router.post("/{deployment_id}/kill-switch")
def kill_switch(deployment_id: DeploymentIdPath, user: Trader, ctx: Ctx, engine: Eng) -> DeploymentOut:
    """Halt trading: cancel every open order and refuse new ones until resumed by hand."""
    return service.kill(ctx, engine, user, deployment_id)

"""``/deployments/{id}/positions | orders | fills | equity``, and manual orders."""

from __future__ import annotations

from fastapi import APIRouter, status

from services.common.context import Ctx
from services.common.db import Uow
from services.common.engine import Eng
from services.common.security import CurrentUser, Trader
from services.common.trading import DeploymentIdPath, PositionOut
from services.portfolio import service
from services.portfolio.schemas import EquityOut, FillOut, ManualOrderIn, OrderOut

router = APIRouter(prefix="/deployments/{deployment_id}", tags=["portfolio"])


@router.get("/positions")
def positions(deployment_id: DeploymentIdPath, user: CurrentUser, uow: Uow) -> list[PositionOut]:
    """The positions by symbol (flat ones too: they hold the realised P&L)."""
    return service.deployment_positions(uow, user, deployment_id)


@router.get("/orders")
def orders(deployment_id: DeploymentIdPath, user: CurrentUser, uow: Uow) -> list[OrderOut]:
    """Every order, oldest first, as its event log has it now."""
    return service.orders(uow, user, deployment_id)


@router.post("/orders", status_code=status.HTTP_202_ACCEPTED)
def manual_order(deployment_id: DeploymentIdPath, body: ManualOrderIn, user: Trader, ctx: Ctx, engine: Eng) -> OrderOut:
    """A manual market order: checked by the deployment's risk engine (422 with the rule's reason, recorded as
    a risk event), then sent; it fills at the next bar's open. 409 unless the deployment is running here."""
    return service.manual_order(ctx, engine, user, deployment_id, body)


@router.get("/fills")
def fills(deployment_id: DeploymentIdPath, user: CurrentUser, uow: Uow) -> list[FillOut]:
    """Every fill, in time order."""
    return service.fills(uow, user, deployment_id)


@router.get("/equity")
def equity(deployment_id: DeploymentIdPath, user: CurrentUser, uow: Uow) -> list[EquityOut]:
    """The equity history: cash and equity at each bar's close."""
    return service.equity(uow, user, deployment_id)

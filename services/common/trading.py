"""What the trading domains share: a user's own deployment (someone else's answers 404, as a missing one
does, so ids cannot be probed) and how positions are shown."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import Path
from pydantic import BaseModel

from quantdesk.model import DeploymentId, Position
from quantdesk.persistence import Deployment, UnitOfWork, UserAccount
from services.common.errors import NotFound

DEPLOYMENT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
DeploymentIdPath = Annotated[str, Path(pattern=DEPLOYMENT_ID_PATTERN, description="dep-...")]


def owned_deployment(uow: UnitOfWork, user: UserAccount, deployment_id: str) -> Deployment:
    """The caller's deployment ``deployment_id``; :class:`NotFound` if there is none or it is another user's."""
    found = uow.deployments.get(DeploymentId(deployment_id))
    if found is None or found.user_id != user.user_id:
        raise NotFound(f"no deployment {deployment_id}")
    return found


class PositionOut(BaseModel):
    """A holding; money and quantities as decimal strings (exact)."""

    symbol: str
    quantity: Decimal
    avg_price: Decimal
    cost_basis: Decimal
    realized_pnl: Decimal
    fees: Decimal
    realized_pnl_net: Decimal

    @classmethod
    def of(cls, position: Position) -> PositionOut:
        return cls(
            symbol=str(position.symbol),
            quantity=position.quantity,
            avg_price=position.avg_price,
            cost_basis=position.cost_basis,
            realized_pnl=position.realized_pnl,
            fees=position.fees,
            realized_pnl_net=position.realized_pnl_net,
        )


def positions(uow: UnitOfWork, deployment: Deployment) -> list[PositionOut]:
    """The deployment's stored positions, by symbol (flat ones included: they hold the realised P&L)."""
    return [PositionOut.of(p) for p in uow.positions.all(deployment.id).values()]

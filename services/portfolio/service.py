"""A deployment's records (``uow.positions / orders / fills / equity``) and manual orders.

A manual order goes to the deployment's runner in this process, which passes it through the same risk engine
as the strategy's orders (the user's stored risk profile, loaded when the run started): denied, it is recorded
as a risk event and answered 422 with the rule's reason; approved, it is recorded and sent under the client
order id ``<deployment>:<bar>:<symbol>:manual-<n>`` and fills at the next bar's open.
"""

from __future__ import annotations

from quantdesk.model import ClientOrderId, OrderSide
from quantdesk.persistence import UnitOfWork, UserAccount, transaction
from services.common.context import ApiContext
from services.common.engine import Engine
from services.common.errors import Unprocessable
from services.common.trading import PositionOut, owned_deployment, positions
from services.portfolio.schemas import EquityOut, FillOut, ManualOrderIn, OrderOut


def deployment_positions(uow: UnitOfWork, user: UserAccount, deployment_id: str) -> list[PositionOut]:
    return positions(uow, owned_deployment(uow, user, deployment_id))


def orders(uow: UnitOfWork, user: UserAccount, deployment_id: str) -> list[OrderOut]:
    found = owned_deployment(uow, user, deployment_id)
    return [OrderOut.of(order) for order in uow.orders.for_deployment(found.id)]


def fills(uow: UnitOfWork, user: UserAccount, deployment_id: str) -> list[FillOut]:
    found = owned_deployment(uow, user, deployment_id)
    return [FillOut.of(fill) for fill in uow.fills.for_deployment(found.id)]


def equity(uow: UnitOfWork, user: UserAccount, deployment_id: str) -> list[EquityOut]:
    found = owned_deployment(uow, user, deployment_id)
    return [EquityOut(ts=ts, cash=cash, equity=value) for ts, cash, value in uow.equity.curve(found.id)]


def manual_order(
    ctx: ApiContext, engine: Engine, user: UserAccount, deployment_id: str, body: ManualOrderIn
) -> OrderOut:
    """Send the order through the running deployment; 409 if it is not running here, 422 if risk denies it."""
    with transaction(ctx.sessions) as uow:
        owned_deployment(uow, user, deployment_id)
    outcome = engine.runners.submit_manual(deployment_id, body.symbol, OrderSide(body.side), body.quantity)
    if not outcome.approved:
        raise Unprocessable(f"order denied by the risk engine ({outcome.rule}): {outcome.reason}")
    with transaction(ctx.sessions) as uow:
        order = uow.orders.get(ClientOrderId(str(outcome.client_order_id)))
    assert order is not None  # recorded before it was sent
    return OrderOut.of(order)

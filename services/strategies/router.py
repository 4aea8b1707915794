"""``/strategies`` (the classes available) and ``/registry`` (promoted versions, and promotion)."""

from __future__ import annotations

from fastapi import APIRouter, status

from services.common.db import Uow
from services.common.engine import Eng
from services.common.security import CurrentUser, Trader
from services.strategies import service
from services.strategies.schemas import PromoteIn, PromotionOut, RegistryName, StrategyOut, VersionOut

router = APIRouter(tags=["strategies"])


@router.get("/strategies")
def list_strategies(_user: CurrentUser) -> list[StrategyOut]:
    """The strategies of ``strategies/`` with their default symbols and the JSON Schema of their parameters."""
    return service.strategies()


@router.get("/registry")
def registry(_user: CurrentUser, uow: Uow) -> list[VersionOut]:
    """Every promoted version, by name then version."""
    return service.registry(uow)


@router.get("/registry/{name}/versions")
def versions(name: RegistryName, _user: CurrentUser, uow: Uow) -> list[VersionOut]:
    """The versions of one registry name, oldest first; 404 if none was promoted."""
    return service.versions(uow, name)


@router.post("/registry/promote", status_code=status.HTTP_201_CREATED)
def promote(body: PromoteIn, _user: Trader, engine: Eng) -> PromotionOut:
    """Run the gates (causality, parity, the out-of-sample minimums given) and record the next version of
    ``name`` if they all pass; 422 naming each failed gate otherwise (traders and admins)."""
    return service.run_promotion(engine, body)

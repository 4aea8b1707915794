"""The database dependency: one transaction per request, committed before the response is sent (so a client's
next request sees it) and rolled back if the route raises."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends

from quantdesk.persistence import UnitOfWork, transaction
from services.common.context import Ctx


def get_uow(ctx: Ctx) -> Iterator[UnitOfWork]:
    with transaction(ctx.sessions) as uow:
        yield uow


Uow = Annotated[UnitOfWork, Depends(get_uow, scope="function")]

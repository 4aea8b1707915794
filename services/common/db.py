"""The database dependency: one transaction per request, committed before the response is sent (so a client's
next request sees it) and rolled back if the route raises."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request

from quantdesk.persistence import UnitOfWork, transaction
from services.common.context import Ctx


def get_uow(request: Request, ctx: Ctx) -> Iterator[UnitOfWork]:
    # a GET only reads: its transaction takes no write lock, so reads run side by side (SQLite WAL)
    with transaction(ctx.sessions, read_only=request.method in ("GET", "HEAD")) as uow:
        yield uow


Uow = Annotated[UnitOfWork, Depends(get_uow, scope="function")]

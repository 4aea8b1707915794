"""Checks behind ``/health``."""

from __future__ import annotations

import logging

from quantdesk.persistence import PersistenceError, transaction
from services.common.context import ApiContext

logger = logging.getLogger("services")


def database_ok(ctx: ApiContext) -> bool:
    """True if the database answers a query on the users table (reachable and migrated)."""
    try:
        with transaction(ctx.sessions) as uow:
            uow.users.page(limit=1)
    except PersistenceError as exc:
        logger.warning("health check: %s", exc)
        return False
    return True

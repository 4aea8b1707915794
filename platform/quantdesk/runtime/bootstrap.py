"""What ``quantdesk up`` sets up on embedded defaults: a demo user, a seed strategy promoted through the gates,
and a paper deployment of it replaying the bundled data fast enough to watch orders and fills flow."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from quantdesk.data.catalog import Catalog
from quantdesk.data.panel import load_panel
from quantdesk.execution.costs import Costs
from quantdesk.persistence import Deployment, password_hasher, transaction
from quantdesk.runtime.deployment import create_deployment
from quantdesk.runtime.promotion import promote
from quantdesk.strategy.registry import get_strategy

DEMO_USER = "demo"
SEED_NAME = "demo-trend"
SEED_STRATEGY = "trend_following"
SEED_SYMBOLS = ("MSFT",)
SEED_RANGE = ("2003-01-01", "2013-03-01")
SEED_OOS_START = "2011-01-01"
BARS_PER_SECOND = 20.0


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str | None  # only when it was created just now: it is printed once and never stored in clear


def ensure_demo_user(sessions: sessionmaker[Session]) -> DemoUser:
    """The demo trader, created with a random password the first time."""
    with transaction(sessions) as uow:
        if uow.users.by_username(DEMO_USER) is not None:
            return DemoUser(DEMO_USER, None)
        password = secrets.token_urlsafe(12)
        uow.users.add(DEMO_USER, password_hasher().hash(password), "trader", display_name="Demo trader")
        return DemoUser(DEMO_USER, password)


def ensure_seed_strategy(url: str, catalog: Catalog) -> str:
    """The seed strategy in the registry, promoted through the gates the first time; returns its name."""
    with transaction(_sessions(url)) as uow:
        if uow.strategies.get_version(SEED_NAME, None) is not None:
            return SEED_NAME
    strategy = get_strategy(SEED_STRATEGY)(symbols=list(SEED_SYMBOLS))
    bars = load_panel(catalog, SEED_SYMBOLS, "1d", *SEED_RANGE, adjustment="adjusted")
    result = promote(
        strategy, bars, name=SEED_NAME, database_url=url, costs=Costs.of(fees=0.001), oos_start=SEED_OOS_START
    )
    if not result.promoted:
        failed = "; ".join(f"{g.name}: {g.detail}" for g in result.gates if not g.passed)
        raise RuntimeError(f"the seed strategy did not pass its gates: {failed}")
    return SEED_NAME


def demo_deployment(url: str, user: str, *, bars_per_second: float = BARS_PER_SECOND) -> Deployment:
    """A new paper deployment of the seed strategy for ``user``, replaying ``bars_per_second`` daily bars."""
    return create_deployment(url, SEED_NAME, user_id=user, speed=86_400 * bars_per_second)


def _sessions(url: str) -> sessionmaker[Session]:
    from quantdesk.persistence import create_engine_for, session_factory

    return session_factory(create_engine_for(url))

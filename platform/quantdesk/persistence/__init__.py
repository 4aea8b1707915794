"""Persistence: SQLAlchemy tables, repositories and Alembic migrations (the only package that imports
SQLAlchemy). A SQLite file (WAL) by default, PostgreSQL when ``QUANTDESK_DATABASE_URL`` says so::

    upgrade(url)                                   # or `quantdesk db upgrade`; check(url) refuses an old schema
    sessions = session_factory(create_engine_for(url))
    with transaction(sessions) as uow:             # one transaction: all of it is written, or none
        uow.orders.add(order, deployment_id, intent="target")
        uow.orders.append_event(OrderSubmitted(order.client_order_id, now))
"""

from quantdesk.persistence.broker_state import SimBrokerStateRepository
from quantdesk.persistence.deployments import DeploymentRepository, StrategyVersionRepository
from quantdesk.persistence.engine import create_engine_for, session_factory
from quantdesk.persistence.errors import PersistenceError, safe_url
from quantdesk.persistence.ledger import EquityRepository, PositionRepository
from quantdesk.persistence.migrate import check, current, downgrade, head, upgrade
from quantdesk.persistence.notifications import NotificationRepository
from quantdesk.persistence.orders import FillRepository, OrderRepository
from quantdesk.persistence.records import (
    AccountType,
    Deployment,
    DeploymentMode,
    DeploymentStatus,
    RiskEvent,
    RiskEventKind,
    StrategyVersion,
)
from quantdesk.persistence.risk import RISK_PROFILE_FIELDS, RiskRepository
from quantdesk.persistence.unit_of_work import UnitOfWork, transaction
from quantdesk.persistence.users import (
    BrokerCredential,
    BrokerCredentialRepository,
    RefreshToken,
    RefreshTokenRepository,
    Role,
    UserAccount,
    UsernameTaken,
    UserRepository,
    normalize_username,
    password_hasher,
)

__all__ = [
    "RISK_PROFILE_FIELDS",
    "AccountType",
    "BrokerCredential",
    "BrokerCredentialRepository",
    "Deployment",
    "DeploymentMode",
    "DeploymentRepository",
    "DeploymentStatus",
    "EquityRepository",
    "FillRepository",
    "NotificationRepository",
    "OrderRepository",
    "PersistenceError",
    "PositionRepository",
    "RefreshToken",
    "RefreshTokenRepository",
    "RiskEvent",
    "RiskEventKind",
    "RiskRepository",
    "Role",
    "SimBrokerStateRepository",
    "StrategyVersion",
    "StrategyVersionRepository",
    "UnitOfWork",
    "UserAccount",
    "UserRepository",
    "UsernameTaken",
    "check",
    "create_engine_for",
    "current",
    "downgrade",
    "head",
    "normalize_username",
    "password_hasher",
    "safe_url",
    "session_factory",
    "transaction",
    "upgrade",
]

"""One transaction over every repository: all of it is written, or none of it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from quantdesk.persistence.broker_state import SimBrokerStateRepository
from quantdesk.persistence.deployments import DeploymentRepository, StrategyVersionRepository
from quantdesk.persistence.engine import READ_ONLY
from quantdesk.persistence.errors import translate
from quantdesk.persistence.ledger import EquityRepository, PositionRepository
from quantdesk.persistence.notifications import NotificationRepository
from quantdesk.persistence.orders import FillRepository, OrderRepository
from quantdesk.persistence.outbox import OutboxRepository
from quantdesk.persistence.risk import RiskRepository
from quantdesk.persistence.users import BrokerCredentialRepository, RefreshTokenRepository, UserRepository


class UnitOfWork:
    """The repositories, all on one session (one transaction)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.orders = OrderRepository(session)
        self.fills = FillRepository(session)
        self.positions = PositionRepository(session)
        self.equity = EquityRepository(session)
        self.risk = RiskRepository(session)
        self.deployments = DeploymentRepository(session)
        self.strategies = StrategyVersionRepository(session)
        self.sim_broker = SimBrokerStateRepository(session)
        self.users = UserRepository(session)
        self.tokens = RefreshTokenRepository(session)
        self.credentials = BrokerCredentialRepository(session)
        self.outbox = OutboxRepository(session)
        self.notifications = NotificationRepository(session)


@contextmanager
def transaction(sessions: sessionmaker[Session], *, read_only: bool = False) -> Iterator[UnitOfWork]:
    """``with transaction(sessions) as uow: ...``: commit when the block ends, roll back if it raises.

    ``read_only=True`` is for a block that only reads: on SQLite it does not take the write lock, so many
    readers (API requests) run side by side with the one writer. Database errors (unreachable, not migrated,
    a constraint) leave as one-line :class:`~quantdesk.persistence.errors.PersistenceError`; other exceptions
    pass through unchanged after the rollback.
    """
    session = sessions()
    try:
        if read_only:  # the transaction begins here, with the option its BEGIN reads
            session.connection(execution_options={READ_ONLY: True})
        yield UnitOfWork(session)
        session.commit()
    except SQLAlchemyError as exc:
        _rollback(session)
        raise translate(exc, _url(session)) from exc
    except BaseException:
        _rollback(session)
        raise
    finally:
        session.close()


def _rollback(session: Session) -> None:
    with suppress(SQLAlchemyError):  # the connection is gone; the database discards the transaction itself
        session.rollback()


def _url(session: Session) -> URL | None:
    try:
        return session.get_bind().engine.url
    except SQLAlchemyError:
        return None

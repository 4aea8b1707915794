"""Strategy versions (what was promoted) and deployments (where a version runs)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quantdesk.model import DeploymentId, Symbol, TradingState, UserId
from quantdesk.persistence.columns import as_utc, jsonable
from quantdesk.persistence.errors import PersistenceError
from quantdesk.persistence.records import (
    AccountType,
    Deployment,
    DeploymentMode,
    DeploymentStatus,
    StrategyVersion,
)
from quantdesk.persistence.tables import DeploymentRow, StrategyVersionRow

E = TypeVar("E", bound=StrEnum)


class StrategyVersionRepository:
    """Promoted strategy versions, numbered 1, 2, ... per strategy name."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def next_version(self, name: str) -> int:
        """The number the next version of ``name`` gets: one more than the highest stored, 1 for the first."""
        highest = self._session.scalar(
            select(func.max(StrategyVersionRow.version)).where(StrategyVersionRow.name == name)
        )
        return (highest or 0) + 1

    def create(
        self,
        name: str,
        strategy_path: str,
        *,
        params: Mapping[str, Any],
        code_hash: str,
        data_range_start: datetime | None = None,
        data_range_end: datetime | None = None,
        data_hash: str | None = None,
        metrics: Mapping[str, Any] | None = None,
        gates: Mapping[str, Any] | None = None,
        version: int | None = None,
        ts: datetime | None = None,
    ) -> StrategyVersion:
        """Store a new version of strategy ``name`` (``strategy_path`` is ``"module:Class"``); its number is
        :meth:`next_version` unless given. A number that exists raises :class:`PersistenceError`."""
        if ":" not in strategy_path:
            raise PersistenceError(f"strategy path {strategy_path!r} must be 'module:Class'")
        version = self.next_version(name) if version is None else version
        if self.get_version(name, version) is not None:
            raise PersistenceError(f"strategy {name} version {version} exists already")
        row = StrategyVersionRow(
            name=name,
            version=version,
            strategy_path=strategy_path,
            params=jsonable(dict(params)),
            code_hash=code_hash,
            data_range_start=_optional_utc(data_range_start),
            data_range_end=_optional_utc(data_range_end),
            data_hash=data_hash,
            metrics=jsonable(dict(metrics or {})),
            gates=jsonable(dict(gates or {})),
            created_at=_now(ts),
        )
        self._session.add(row)
        self._session.flush()
        return _strategy_version(row)

    def get(self, version_id: int) -> StrategyVersion | None:
        row = self._session.get(StrategyVersionRow, version_id)
        return None if row is None else _strategy_version(row)

    def get_version(self, name: str, version: int | None = None) -> StrategyVersion | None:
        """Version ``version`` of strategy ``name`` (the latest if None), or None."""
        query = select(StrategyVersionRow).where(StrategyVersionRow.name == name)
        if version is not None:
            query = query.where(StrategyVersionRow.version == version)
        row = self._session.scalars(query.order_by(StrategyVersionRow.version.desc()).limit(1)).first()
        return None if row is None else _strategy_version(row)

    def all(self, name: str | None = None) -> list[StrategyVersion]:
        """Every version (of ``name`` if given), by name then version."""
        query = select(StrategyVersionRow)
        if name is not None:
            query = query.where(StrategyVersionRow.name == name)
        rows = self._session.scalars(query.order_by(StrategyVersionRow.name, StrategyVersionRow.version))
        return [_strategy_version(row) for row in rows]


class DeploymentRepository:
    """Deployments: a strategy version running in one mode for one user, with its status and trading state."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def create(
        self,
        strategy_version_id: int,
        user_id: UserId,
        mode: DeploymentMode | str,
        symbols: Iterable[Symbol],
        cash: Decimal,
        *,
        feed: str = "replay",
        speed: float | None = None,
        account_type: AccountType | str = AccountType.CASH,
        risk_profile_id: int | None = None,
        deployment_id: DeploymentId | None = None,
        ts: datetime | None = None,
    ) -> Deployment:
        """Store a new deployment in status CREATED and trading state ACTIVE; its id is ``dep-<12 hex>``
        unless given. An id that exists raises :class:`PersistenceError`."""
        deployment_id = deployment_id or DeploymentId(f"dep-{uuid.uuid4().hex[:12]}")
        if self._session.get(DeploymentRow, deployment_id.value) is not None:
            raise PersistenceError(f"deployment {deployment_id} exists already")
        now = _now(ts)
        row = DeploymentRow(
            id=deployment_id.value,
            strategy_version_id=strategy_version_id,
            user_id=user_id.value,
            mode=_member(DeploymentMode, mode, "deployment mode").value,
            feed=feed,
            speed=speed,
            symbols=[Symbol(str(symbol)).value for symbol in symbols],
            status=DeploymentStatus.CREATED.value,
            trading_state=TradingState.ACTIVE.value,
            risk_profile_id=risk_profile_id,
            cash=cash,
            account_type=_member(AccountType, account_type, "account type").value,
            created_at=now,
            updated_at=now,
            last_bar_ts=None,
        )
        self._session.add(row)
        self._session.flush()
        return _deployment(row)

    def get(self, deployment_id: DeploymentId) -> Deployment | None:
        row = self._session.get(DeploymentRow, deployment_id.value)
        return None if row is None else _deployment(row)

    def all(self, user_id: UserId | None = None, status: DeploymentStatus | str | None = None) -> list[Deployment]:
        """Deployments, newest first, optionally of one user and in one status."""
        query = select(DeploymentRow)
        if user_id is not None:
            query = query.where(DeploymentRow.user_id == user_id.value)
        if status is not None:
            query = query.where(DeploymentRow.status == _member(DeploymentStatus, status, "deployment status").value)
        rows = self._session.scalars(query.order_by(DeploymentRow.created_at.desc(), DeploymentRow.id))
        return [_deployment(row) for row in rows]

    def set_status(
        self, deployment_id: DeploymentId, status: DeploymentStatus | str, ts: datetime | None = None
    ) -> Deployment:
        value = _member(DeploymentStatus, status, "deployment status").value
        row = self._row(deployment_id)
        row.status = value
        row.updated_at = _now(ts)
        self._session.flush()
        return _deployment(row)

    def set_trading_state(
        self, deployment_id: DeploymentId, state: TradingState | str, ts: datetime | None = None
    ) -> Deployment:
        value = _member(TradingState, state, "trading state").value
        row = self._row(deployment_id)
        row.trading_state = value
        row.updated_at = _now(ts)
        self._session.flush()
        return _deployment(row)

    def set_last_bar(self, deployment_id: DeploymentId, bar_ts: datetime, ts: datetime | None = None) -> None:
        """Record the close time of the last bar the deployment acted on (where a restart resumes)."""
        row = self._row(deployment_id)
        row.last_bar_ts = as_utc(bar_ts, "bar_ts")
        row.updated_at = _now(ts)
        self._session.flush()

    def _row(self, deployment_id: DeploymentId) -> DeploymentRow:
        row = self._session.get(DeploymentRow, deployment_id.value)
        if row is None:
            raise PersistenceError(f"no deployment {deployment_id}")
        return row


def _member(kind: type[E], value: object, what: str) -> E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise PersistenceError(f"{what} {value!r} is not one of {allowed}") from None


def _now(ts: datetime | None) -> datetime:
    return datetime.now(UTC) if ts is None else as_utc(ts)


def _optional_utc(ts: datetime | None) -> datetime | None:
    return None if ts is None else as_utc(ts)


def _strategy_version(row: StrategyVersionRow) -> StrategyVersion:
    return StrategyVersion(
        id=row.id,
        name=row.name,
        version=row.version,
        strategy_path=row.strategy_path,
        params=row.params,
        code_hash=row.code_hash,
        data_range_start=row.data_range_start,
        data_range_end=row.data_range_end,
        data_hash=row.data_hash,
        metrics=row.metrics,
        gates=row.gates,
        created_at=row.created_at,
    )


def _deployment(row: DeploymentRow) -> Deployment:
    return Deployment(
        id=DeploymentId(row.id),
        strategy_version_id=row.strategy_version_id,
        user_id=UserId(row.user_id),
        mode=DeploymentMode(row.mode),
        feed=row.feed,
        speed=row.speed,
        symbols=tuple(Symbol(symbol) for symbol in row.symbols),
        status=DeploymentStatus(row.status),
        trading_state=TradingState(row.trading_state),
        risk_profile_id=row.risk_profile_id,
        cash=row.cash,
        account_type=AccountType(row.account_type),
        created_at=row.created_at,
        updated_at=row.updated_at,
        last_bar_ts=row.last_bar_ts,
    )

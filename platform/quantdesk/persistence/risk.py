"""Risk profiles (as plain dicts: the risk package owns the RiskProfile type) and risk events."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quantdesk.model import DeploymentId, UserId
from quantdesk.persistence.columns import as_utc, jsonable
from quantdesk.persistence.errors import PersistenceError
from quantdesk.persistence.records import RiskEvent, RiskEventKind
from quantdesk.persistence.tables import RiskEventRow, RiskProfileRow

RISK_PROFILE_FIELDS: Mapping[str, type] = {
    "max_weight_per_symbol": float,
    "max_gross_exposure": float,
    "max_order_notional": Decimal,
    "max_orders_per_minute": int,
    "price_collar_pct": float,
    "duplicate_window_seconds": float,
    "max_daily_loss": float,
    "max_drawdown": float,
    "allowed_symbols": list,
    "allow_short": bool,
    "stop_loss_pct": float,
    "take_profit_pct": float,
    "trailing_stop_pct": float,
}
"""The fields of a stored risk profile and the Python type each is returned as (None where it was None)."""
_REQUIRED = frozenset({"allowed_symbols", "allow_short"})


class RiskRepository:
    """Risk profiles per user (by name), and the risk events of deployments."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def save_profile(self, user_id: UserId, name: str, profile: Mapping[str, Any], ts: datetime | None = None) -> int:
        """Create or replace the user's profile ``name``; return its id.

        ``profile`` must hold exactly the keys of :data:`RISK_PROFILE_FIELDS` (a missing limit must never
        silently become "no limit"); values may be None.
        """
        values = _checked_profile(profile)
        row = self._session.scalars(
            select(RiskProfileRow).where(RiskProfileRow.user_id == user_id.value, RiskProfileRow.name == name)
        ).one_or_none()
        if row is None:
            row = RiskProfileRow(user_id=user_id.value, name=name)
            self._session.add(row)
        for field, value in values.items():
            setattr(row, field, value)
        row.updated_at = datetime.now(UTC) if ts is None else as_utc(ts)
        self._session.flush()
        return row.id

    def get_profile(self, profile_id: int) -> dict[str, Any] | None:
        """The profile's fields (see :data:`RISK_PROFILE_FIELDS`), or None if there is no such profile."""
        row = self._session.get(RiskProfileRow, profile_id)
        return None if row is None else _profile_dict(row)

    def find_profile(self, user_id: UserId, name: str = "default") -> tuple[int, dict[str, Any]] | None:
        """``(id, fields)`` of the user's profile ``name``, or None."""
        row = self._session.scalars(
            select(RiskProfileRow).where(RiskProfileRow.user_id == user_id.value, RiskProfileRow.name == name)
        ).one_or_none()
        return None if row is None else (row.id, _profile_dict(row))

    def profiles(self, user_id: UserId) -> dict[str, int]:
        """The user's profile names and their ids."""
        query = select(RiskProfileRow.name, RiskProfileRow.id).where(RiskProfileRow.user_id == user_id.value)
        return dict(self._session.execute(query.order_by(RiskProfileRow.name)).all())

    def record_event(
        self,
        deployment_id: DeploymentId,
        ts: datetime,
        kind: RiskEventKind | str,
        *,
        rule: str | None = None,
        reason: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> int:
        """Store a risk event (a denial, a state change, the kill switch, a protection); return its id."""
        try:
            kind = RiskEventKind(kind)
        except ValueError:
            kinds = ", ".join(k.value for k in RiskEventKind)
            raise PersistenceError(f"risk event kind {kind!r} is not one of {kinds}") from None
        row = RiskEventRow(
            deployment_id=deployment_id.value,
            ts=as_utc(ts),
            kind=kind.value,
            rule=rule,
            reason=reason,
            details=jsonable(dict(details or {})),
        )
        self._session.add(row)
        self._session.flush()
        return row.id

    def events(
        self, deployment_id: DeploymentId, since: datetime | None = None, kind: RiskEventKind | str | None = None
    ) -> list[RiskEvent]:
        """The deployment's risk events in time order, optionally from ``since`` on and of one ``kind``."""
        query = select(RiskEventRow).where(RiskEventRow.deployment_id == deployment_id.value)
        if since is not None:
            query = query.where(RiskEventRow.ts >= as_utc(since, "since"))
        if kind is not None:
            query = query.where(RiskEventRow.kind == RiskEventKind(kind).value)
        return [
            RiskEvent(
                id=row.id,
                deployment_id=DeploymentId(row.deployment_id),
                ts=row.ts,
                kind=RiskEventKind(row.kind),
                rule=row.rule,
                reason=row.reason,
                details=row.details,
            )
            for row in self._session.scalars(query.order_by(RiskEventRow.ts, RiskEventRow.id))
        ]


def _checked_profile(profile: Mapping[str, Any]) -> dict[str, Any]:
    missing = sorted(set(RISK_PROFILE_FIELDS) - set(profile))
    unknown = sorted(set(profile) - set(RISK_PROFILE_FIELDS))
    if missing or unknown:
        problems = []
        if missing:
            problems.append(f"missing {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown {', '.join(unknown)}")
        raise PersistenceError(f"risk profile fields: {'; '.join(problems)}")
    return {
        field: None if profile[field] is None and field not in _REQUIRED else _value(field, kind, profile[field])
        for field, kind in RISK_PROFILE_FIELDS.items()
    }


def _value(field: str, kind: type, value: object) -> Any:
    """``value`` as the type the field is stored as; a bool is never taken for a number, nor a number for one."""
    if isinstance(value, bool) == (kind is bool):
        if kind is Decimal and isinstance(value, Decimal | int):
            return Decimal(value)
        if kind is Decimal and isinstance(value, float):
            return Decimal(repr(value))  # the shortest decimal that reads back as this float
        if kind is float and isinstance(value, int | float | Decimal):
            return float(value)
        if kind in (int, bool) and isinstance(value, kind):
            return value
        if kind is list and isinstance(value, list | tuple):
            return [str(symbol) for symbol in value]
        if kind is list and isinstance(value, set | frozenset):
            return sorted(str(symbol) for symbol in value)
    raise PersistenceError(f"risk profile field {field} must be {kind.__name__}, got {value!r}")


def _profile_dict(row: RiskProfileRow) -> dict[str, Any]:
    profile = {field: getattr(row, field) for field in RISK_PROFILE_FIELDS}
    profile["allowed_symbols"] = list(profile["allowed_symbols"])
    return profile

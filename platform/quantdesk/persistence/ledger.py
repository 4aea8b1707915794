"""Positions and the equity curve of deployments."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from quantdesk.model import DeploymentId, Position, Symbol
from quantdesk.persistence._sql import upsert
from quantdesk.persistence.columns import as_utc
from quantdesk.persistence.tables import EquitySnapshotRow, PositionRow

POSITIONS = PositionRow.__table__
SNAPSHOTS = EquitySnapshotRow.__table__


class PositionRepository:
    """The latest position per (deployment, symbol); flat positions are kept (they hold realised P&L)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def save(self, deployment_id: DeploymentId, position: Position, ts: datetime | None = None) -> None:
        """Store ``position`` as the deployment's holding in its symbol (replacing the previous one);
        ``ts`` (default: now) records when."""
        values = {
            "deployment_id": deployment_id.value,
            "symbol": position.symbol.value,
            "quantity": position.quantity,
            "cost_basis": position.cost_basis,
            "realized_pnl": position.realized_pnl,
            "fees": position.fees,
            "updated_at": datetime.now(UTC) if ts is None else as_utc(ts),
        }
        upsert(self._session, POSITIONS, values, ("deployment_id", "symbol"))

    def all(self, deployment_id: DeploymentId) -> dict[Symbol, Position]:
        """Every stored position of the deployment, by symbol."""
        query = (
            select(PositionRow)
            .where(PositionRow.deployment_id == deployment_id.value)
            .order_by(PositionRow.symbol)
            .execution_options(populate_existing=True)  # rows are written by upserts, around the identity map
        )
        positions = {}
        for row in self._session.scalars(query):
            symbol = Symbol(row.symbol)
            positions[symbol] = Position(symbol, row.quantity, row.cost_basis, row.realized_pnl, row.fees)
        return positions


class EquityRepository:
    """Snapshots of cash and equity per deployment; one per timestamp (a later snapshot at the same time
    replaces it, so replaying a bar after a restart is harmless)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def snapshot(self, deployment_id: DeploymentId, ts: datetime, cash: Decimal, equity: Decimal) -> None:
        values = {"deployment_id": deployment_id.value, "ts": as_utc(ts), "cash": cash, "equity": equity}
        upsert(self._session, SNAPSHOTS, values, ("deployment_id", "ts"))

    def curve(
        self, deployment_id: DeploymentId, since: datetime | None = None
    ) -> list[tuple[datetime, Decimal, Decimal]]:
        """``(ts, cash, equity)`` in time order (from ``since`` on, if given)."""
        query = select(EquitySnapshotRow).where(EquitySnapshotRow.deployment_id == deployment_id.value)
        if since is not None:
            query = query.where(EquitySnapshotRow.ts >= as_utc(since, "since"))
        rows = self._session.scalars(query.order_by(EquitySnapshotRow.ts).execution_options(populate_existing=True))
        return [(row.ts, row.cash, row.equity) for row in rows]

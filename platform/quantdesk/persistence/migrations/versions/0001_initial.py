"""The initial schema: risk profiles, strategy versions, deployments, orders and their events, fills,
positions, equity snapshots, risk events and the simulated broker's state.

Revision ID: 0001
Revises:
Create Date: 2026-11-25

Types are spelled out here rather than imported from the application, so this file keeps creating exactly
this schema whatever the models become: decimals are NUMERIC (exact, unconstrained) on PostgreSQL and
text on SQLite; timestamps are TIMESTAMP WITH TIME ZONE (UTC text on SQLite); JSON is JSONB on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DECIMAL = sa.Numeric().with_variant(sa.String(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "risk_profiles",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("max_weight_per_symbol", sa.Float(), nullable=True),
        sa.Column("max_gross_exposure", sa.Float(), nullable=True),
        sa.Column("max_order_notional", DECIMAL, nullable=True),
        sa.Column("max_orders_per_minute", sa.Integer(), nullable=True),
        sa.Column("price_collar_pct", sa.Float(), nullable=True),
        sa.Column("duplicate_window_seconds", sa.Float(), nullable=True),
        sa.Column("max_daily_loss", sa.Float(), nullable=True),
        sa.Column("max_drawdown", sa.Float(), nullable=True),
        sa.Column("allowed_symbols", JSON, nullable=False),
        sa.Column("allow_short", sa.Boolean(), nullable=False),
        sa.Column("stop_loss_pct", sa.Float(), nullable=True),
        sa.Column("take_profit_pct", sa.Float(), nullable=True),
        sa.Column("trailing_stop_pct", sa.Float(), nullable=True),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_risk_profiles"),
        sa.UniqueConstraint("user_id", "name", name="uq_risk_profiles_user_id_name"),
    )
    op.create_table(
        "strategy_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("strategy_path", sa.String(200), nullable=False),
        sa.Column("params", JSON, nullable=False),
        sa.Column("code_hash", sa.String(128), nullable=False),
        sa.Column("data_range_start", TIMESTAMP, nullable=True),
        sa.Column("data_range_end", TIMESTAMP, nullable=True),
        sa.Column("data_hash", sa.String(128), nullable=True),
        sa.Column("metrics", JSON, nullable=False),
        sa.Column("gates", JSON, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_strategy_versions"),
        sa.UniqueConstraint("name", "version", name="uq_strategy_versions_name_version"),
    )
    op.create_table(
        "deployments",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("strategy_version_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("feed", sa.String(64), nullable=False),
        sa.Column("speed", sa.Float(), nullable=True),
        sa.Column("symbols", JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("trading_state", sa.String(16), nullable=False),
        sa.Column("risk_profile_id", sa.Integer(), nullable=True),
        sa.Column("cash", DECIMAL, nullable=False),
        sa.Column("account_type", sa.String(16), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("last_bar_ts", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_deployments"),
        sa.ForeignKeyConstraint(
            ["strategy_version_id"],
            ["strategy_versions.id"],
            name="fk_deployments_strategy_version_id_strategy_versions",
        ),
        sa.ForeignKeyConstraint(
            ["risk_profile_id"], ["risk_profiles.id"], name="fk_deployments_risk_profile_id_risk_profiles"
        ),
    )
    op.create_index("ix_deployments_strategy_version_id", "deployments", ["strategy_version_id"])
    op.create_index("ix_deployments_risk_profile_id", "deployments", ["risk_profile_id"])
    op.create_index("ix_deployments_user_id_status", "deployments", ["user_id", "status"])
    op.create_index("ix_deployments_status", "deployments", ["status"])

    op.create_table(
        "orders",
        sa.Column("client_order_id", sa.String(200), nullable=False),
        sa.Column("deployment_id", sa.String(64), nullable=False),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("order_type", sa.String(16), nullable=False),
        sa.Column("quantity", DECIMAL, nullable=False),
        sa.Column("limit_price", DECIMAL, nullable=True),
        sa.Column("stop_price", DECIMAL, nullable=True),
        sa.Column("time_in_force", sa.String(8), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("venue_order_id", sa.String(200), nullable=True),
        sa.Column("filled_quantity", DECIMAL, nullable=False),
        sa.Column("avg_fill_price", DECIMAL, nullable=False),
        sa.Column("intent", sa.String(32), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("client_order_id", name="pk_orders"),
        sa.ForeignKeyConstraint(["deployment_id"], ["deployments.id"], name="fk_orders_deployment_id_deployments"),
    )
    op.create_index("ix_orders_deployment_id_status", "orders", ["deployment_id", "status"])
    op.create_index("ix_orders_deployment_id_created_at", "orders", ["deployment_id", "created_at"])
    op.create_index("ix_orders_venue_order_id", "orders", ["venue_order_id"])

    op.create_table(
        "order_events",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("client_order_id", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("ts", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_order_events"),
        sa.ForeignKeyConstraint(
            ["client_order_id"], ["orders.client_order_id"], name="fk_order_events_client_order_id_orders"
        ),
    )
    op.create_index("ix_order_events_client_order_id_id", "order_events", ["client_order_id", "id"])

    op.create_table(
        "fills",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("deployment_id", sa.String(64), nullable=False),
        sa.Column("trade_id", sa.String(128), nullable=False),
        sa.Column("client_order_id", sa.String(200), nullable=False),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("quantity", DECIMAL, nullable=False),
        sa.Column("price", DECIMAL, nullable=False),
        sa.Column("fee", DECIMAL, nullable=False),
        sa.Column("liquidity_side", sa.String(8), nullable=True),
        sa.Column("ts", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_fills"),
        sa.ForeignKeyConstraint(["deployment_id"], ["deployments.id"], name="fk_fills_deployment_id_deployments"),
        sa.ForeignKeyConstraint(
            ["client_order_id"], ["orders.client_order_id"], name="fk_fills_client_order_id_orders"
        ),
        sa.UniqueConstraint("deployment_id", "trade_id", name="uq_fills_deployment_id_trade_id"),
    )
    op.create_index("ix_fills_deployment_id_ts", "fills", ["deployment_id", "ts"])
    op.create_index("ix_fills_client_order_id", "fills", ["client_order_id"])

    op.create_table(
        "positions",
        sa.Column("deployment_id", sa.String(64), nullable=False),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("quantity", DECIMAL, nullable=False),
        sa.Column("cost_basis", DECIMAL, nullable=False),
        sa.Column("realized_pnl", DECIMAL, nullable=False),
        sa.Column("fees", DECIMAL, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("deployment_id", "symbol", name="pk_positions"),
        sa.ForeignKeyConstraint(["deployment_id"], ["deployments.id"], name="fk_positions_deployment_id_deployments"),
    )
    op.create_table(
        "equity_snapshots",
        sa.Column("deployment_id", sa.String(64), nullable=False),
        sa.Column("ts", TIMESTAMP, nullable=False),
        sa.Column("cash", DECIMAL, nullable=False),
        sa.Column("equity", DECIMAL, nullable=False),
        sa.PrimaryKeyConstraint("deployment_id", "ts", name="pk_equity_snapshots"),
        sa.ForeignKeyConstraint(
            ["deployment_id"], ["deployments.id"], name="fk_equity_snapshots_deployment_id_deployments"
        ),
    )
    op.create_table(
        "risk_events",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("deployment_id", sa.String(64), nullable=False),
        sa.Column("ts", TIMESTAMP, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("rule", sa.String(100), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("details", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_risk_events"),
        sa.ForeignKeyConstraint(["deployment_id"], ["deployments.id"], name="fk_risk_events_deployment_id_deployments"),
    )
    op.create_index("ix_risk_events_deployment_id_ts", "risk_events", ["deployment_id", "ts"])

    op.create_table(
        "sim_broker_state",
        sa.Column("account_id", sa.String(100), nullable=False),
        sa.Column("state", JSON, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("account_id", name="pk_sim_broker_state"),
    )


def downgrade() -> None:
    op.drop_table("sim_broker_state")
    op.drop_index("ix_risk_events_deployment_id_ts", table_name="risk_events")
    op.drop_table("risk_events")
    op.drop_table("equity_snapshots")
    op.drop_table("positions")
    op.drop_index("ix_fills_client_order_id", table_name="fills")
    op.drop_index("ix_fills_deployment_id_ts", table_name="fills")
    op.drop_table("fills")
    op.drop_index("ix_order_events_client_order_id_id", table_name="order_events")
    op.drop_table("order_events")
    op.drop_index("ix_orders_venue_order_id", table_name="orders")
    op.drop_index("ix_orders_deployment_id_created_at", table_name="orders")
    op.drop_index("ix_orders_deployment_id_status", table_name="orders")
    op.drop_table("orders")
    op.drop_index("ix_deployments_status", table_name="deployments")
    op.drop_index("ix_deployments_user_id_status", table_name="deployments")
    op.drop_index("ix_deployments_risk_profile_id", table_name="deployments")
    op.drop_index("ix_deployments_strategy_version_id", table_name="deployments")
    op.drop_table("deployments")
    op.drop_table("strategy_versions")
    op.drop_table("risk_profiles")

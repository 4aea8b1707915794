"""The tables, as SQLAlchemy 2 declarative models. Only repositories and migrations use them.

Money and quantities are :class:`~quantdesk.persistence.columns.ExactDecimal`, timestamps
:class:`~quantdesk.persistence.columns.UTCDateTime`, free-form data JSON. Enumerations (side, status...) are
short strings holding the model's enum values. A change here needs a new migration in ``migrations/versions``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from quantdesk.persistence.columns import JSON_TYPE, ExactDecimal, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# an autoincrementing 64-bit key; SQLite autoincrements only an INTEGER PRIMARY KEY
BIG_ID = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        Decimal: ExactDecimal(),
        datetime: UTCDateTime(),
        dict[str, Any]: JSON_TYPE,
    }


class RiskProfileRow(Base):
    __tablename__ = "risk_profiles"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    max_weight_per_symbol: Mapped[float | None] = mapped_column(Float)
    max_gross_exposure: Mapped[float | None] = mapped_column(Float)
    max_order_notional: Mapped[Decimal | None]
    max_orders_per_minute: Mapped[int | None] = mapped_column(Integer)
    price_collar_pct: Mapped[float | None] = mapped_column(Float)
    duplicate_window_seconds: Mapped[float | None] = mapped_column(Float)
    max_daily_loss: Mapped[float | None] = mapped_column(Float)
    max_drawdown: Mapped[float | None] = mapped_column(Float)
    allowed_symbols: Mapped[list[str]] = mapped_column(JSON_TYPE)
    allow_short: Mapped[bool] = mapped_column(Boolean)
    stop_loss_pct: Mapped[float | None] = mapped_column(Float)
    take_profit_pct: Mapped[float | None] = mapped_column(Float)
    trailing_stop_pct: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime]


class StrategyVersionRow(Base):
    __tablename__ = "strategy_versions"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    strategy_path: Mapped[str] = mapped_column(String(200))
    params: Mapped[dict[str, Any]]
    code_hash: Mapped[str] = mapped_column(String(128))
    data_range_start: Mapped[datetime | None]
    data_range_end: Mapped[datetime | None]
    data_hash: Mapped[str | None] = mapped_column(String(128))
    metrics: Mapped[dict[str, Any]]
    gates: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class DeploymentRow(Base):
    __tablename__ = "deployments"
    __table_args__ = (
        Index("ix_deployments_user_id_status", "user_id", "status"),
        Index("ix_deployments_status", "status"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    strategy_version_id: Mapped[int] = mapped_column(ForeignKey("strategy_versions.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16))
    feed: Mapped[str] = mapped_column(String(64))
    speed: Mapped[float | None] = mapped_column(Float)
    symbols: Mapped[list[str]] = mapped_column(JSON_TYPE)
    status: Mapped[str] = mapped_column(String(16))
    trading_state: Mapped[str] = mapped_column(String(16))
    risk_profile_id: Mapped[int | None] = mapped_column(ForeignKey("risk_profiles.id"), index=True)
    cash: Mapped[Decimal]
    account_type: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    last_bar_ts: Mapped[datetime | None]


class OrderRow(Base):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_deployment_id_status", "deployment_id", "status"),
        Index("ix_orders_deployment_id_created_at", "deployment_id", "created_at"),
    )

    client_order_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    deployment_id: Mapped[str] = mapped_column(ForeignKey("deployments.id"))
    symbol: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(8))
    order_type: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[Decimal]
    limit_price: Mapped[Decimal | None]
    stop_price: Mapped[Decimal | None]
    time_in_force: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(20))
    venue_order_id: Mapped[str | None] = mapped_column(String(200), index=True)
    filled_quantity: Mapped[Decimal]
    avg_fill_price: Mapped[Decimal]
    intent: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class OrderEventRow(Base):
    __tablename__ = "order_events"
    __table_args__ = (Index("ix_order_events_client_order_id_id", "client_order_id", "id"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    client_order_id: Mapped[str] = mapped_column(ForeignKey("orders.client_order_id"))
    kind: Mapped[str] = mapped_column(String(20))
    payload: Mapped[dict[str, Any]]
    ts: Mapped[datetime]


class FillRow(Base):
    __tablename__ = "fills"
    __table_args__ = (
        UniqueConstraint("deployment_id", "trade_id"),
        Index("ix_fills_deployment_id_ts", "deployment_id", "ts"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    deployment_id: Mapped[str] = mapped_column(ForeignKey("deployments.id"))
    trade_id: Mapped[str] = mapped_column(String(128))
    client_order_id: Mapped[str] = mapped_column(ForeignKey("orders.client_order_id"), index=True)
    symbol: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(8))
    quantity: Mapped[Decimal]
    price: Mapped[Decimal]
    fee: Mapped[Decimal]
    liquidity_side: Mapped[str | None] = mapped_column(String(8))
    ts: Mapped[datetime]


class PositionRow(Base):
    __tablename__ = "positions"

    deployment_id: Mapped[str] = mapped_column(ForeignKey("deployments.id"), primary_key=True)
    symbol: Mapped[str] = mapped_column(String(32), primary_key=True)
    quantity: Mapped[Decimal]
    cost_basis: Mapped[Decimal]
    realized_pnl: Mapped[Decimal]
    fees: Mapped[Decimal]
    updated_at: Mapped[datetime]


class EquitySnapshotRow(Base):
    __tablename__ = "equity_snapshots"

    deployment_id: Mapped[str] = mapped_column(ForeignKey("deployments.id"), primary_key=True)
    ts: Mapped[datetime] = mapped_column(primary_key=True)
    cash: Mapped[Decimal]
    equity: Mapped[Decimal]


class RiskEventRow(Base):
    __tablename__ = "risk_events"
    __table_args__ = (Index("ix_risk_events_deployment_id_ts", "deployment_id", "ts"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    deployment_id: Mapped[str] = mapped_column(ForeignKey("deployments.id"))
    ts: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(20))
    rule: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]]


class SimBrokerStateRow(Base):
    __tablename__ = "sim_broker_state"

    account_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    state: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]


class SimBrokerRow(Base):
    """One item of a list in a simulated account's state (``kind`` = "orders" or "fills"), by position: the
    lists only grow, so each save writes the items that changed, not the whole state."""

    __tablename__ = "sim_broker_rows"

    account_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    item: Mapped[dict[str, Any]]


class UserRow(Base):
    """An account of the API; ``username`` is also the user's :class:`~quantdesk.model.UserId` (risk profiles
    and deployments are keyed by it)."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("username"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(254))
    display_name: Mapped[str | None] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class RefreshTokenRow(Base):
    """One refresh token (its SHA-256, never the token); the tokens of one login share ``family_id``."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (UniqueConstraint("token_hash"), Index("ix_refresh_tokens_family_id", "family_id"))

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    family_id: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    rotated_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class BrokerCredentialRow(Base):
    """A user's API key for a broker; the secret is stored encrypted (the services hold the key)."""

    __tablename__ = "broker_credentials"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    broker: Mapped[str] = mapped_column(String(32), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(200))
    secret_encrypted: Mapped[str] = mapped_column(Text)
    paper: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime]


class OutboxRow(Base):
    """An event staged in the transaction of the records it describes, until a relay publishes it."""

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("key"), Index("ix_outbox_published_at_id", "published_at", "id"))

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(300))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    published_at: Mapped[datetime | None]


class NotificationRow(Base):
    """One notification of a user (in-app), made from one event at most once (``source_key``)."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "source_key"),
        Index("ix_notifications_user_id_created_at", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]]
    source_key: Mapped[str] = mapped_column(String(300))
    deployment_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]


class NotificationPreferenceRow(Base):
    """Which channels a user's notifications of one severity go to (in_app, email, webhook, sms)."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    severity: Mapped[str] = mapped_column(String(16), primary_key=True)
    channels: Mapped[list[str]] = mapped_column(JSON_TYPE)
    updated_at: Mapped[datetime]


class NotificationTargetRow(Base):
    """Where a user's notifications go outside the app: an email address, a webhook (URL and the secret its
    bodies are signed with), a phone number."""

    __tablename__ = "notification_targets"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254))
    webhook_url: Mapped[str | None] = mapped_column(String(2000))
    webhook_secret: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime]


class NotificationDeliveryRow(Base):
    """One notification on one outside channel: delivered once, retried with backoff until it is."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (UniqueConstraint("notification_id", "channel"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"))
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]

"""The simulated broker's order and fill lists as rows: a save writes what changed, not the whole state.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

Existing states are split: their ``orders`` and ``fills`` lists move to ``sim_broker_rows`` (one row per item,
``seq`` = its position) and the document keeps the rest plus ``"__rows__"``, the keys moved out. The
downgrade puts them back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
LISTS = ("orders", "fills")

STATES = sa.table("sim_broker_state", sa.column("account_id", sa.String), sa.column("state", JSON))
ROWS = sa.table(
    "sim_broker_rows",
    sa.column("account_id", sa.String),
    sa.column("kind", sa.String),
    sa.column("seq", sa.Integer),
    sa.column("item", JSON),
)


def upgrade() -> None:
    op.create_table(
        "sim_broker_rows",
        sa.Column("account_id", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("item", JSON, nullable=False),
        sa.PrimaryKeyConstraint("account_id", "kind", "seq", name="pk_sim_broker_rows"),
    )
    bind = op.get_bind()
    for account_id, state in bind.execute(sa.select(STATES.c.account_id, STATES.c.state)).all():
        document = _loaded(state)
        moved = [key for key in LISTS if isinstance(document.get(key), list)]
        if not moved:
            continue
        rows = [
            {"account_id": account_id, "kind": key, "seq": n, "item": item}
            for key in moved
            for n, item in enumerate(document.pop(key))
        ]
        if rows:
            bind.execute(ROWS.insert(), rows)
        document["__rows__"] = moved
        bind.execute(STATES.update().where(STATES.c.account_id == account_id).values(state=document))


def downgrade() -> None:
    bind = op.get_bind()
    for account_id, state in bind.execute(sa.select(STATES.c.account_id, STATES.c.state)).all():
        document = _loaded(state)
        for key in document.pop("__rows__", []):
            items = bind.execute(
                sa.select(ROWS.c.item).where(ROWS.c.account_id == account_id, ROWS.c.kind == key).order_by(ROWS.c.seq)
            ).scalars()
            document[key] = [_loaded(item) for item in items]
        bind.execute(STATES.update().where(STATES.c.account_id == account_id).values(state=document))
    op.drop_table("sim_broker_rows")


def _loaded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value

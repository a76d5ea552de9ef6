"""bot state

The Telegram bot's conversation state (aiogram FSM storage), so that a conversation
survives a restart.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bot_states",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=100), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_bot_states")),
    )
    op.create_index(op.f("ix_bot_states_updated_at"), "bot_states", ["updated_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_bot_states_updated_at"), table_name="bot_states")
    op.drop_table("bot_states")

"""e-mail channel: the durable inbound mail queue and the auto-reply log

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-21 20:38:34.368613
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbound_mail",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("request", "unsubscribe", "bounce", name="inboundkind", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("message_id_hash", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("envelope", sa.LargeBinary(), nullable=True),
        sa.Column("raw", sa.LargeBinary(), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "queued", "processing", "done", "failed", name="inboundstate", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_mail")),
        sa.UniqueConstraint(
            "kind",
            "message_id_hash",
            "content_hash",
            name=op.f("uq_inbound_mail_kind_message_id_hash_content_hash"),
        ),
    )
    op.create_index(
        "ix_inbound_mail_state_next_attempt", "inbound_mail", ["state", "next_attempt_at"], unique=False
    )
    op.create_table(
        "auto_replies",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("address_index", sa.String(length=64), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auto_replies")),
    )
    op.create_index(
        "ix_auto_replies_address_sent", "auto_replies", ["address_index", "sent_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_auto_replies_address_sent", table_name="auto_replies")
    op.drop_table("auto_replies")
    op.drop_index("ix_inbound_mail_state_next_attempt", table_name="inbound_mail")
    op.drop_table("inbound_mail")

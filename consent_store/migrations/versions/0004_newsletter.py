"""newsletter: pending sign-ups expire, resumable sends

Adds ``newsletter_subscriptions.requested_at`` (when the sign-up waiting for its double
opt-in was made) and the tables of newsletter sends and their queued recipients.

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-24 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "newsletter_subscriptions", sa.Column("requested_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_table(
        "newsletter_sends",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("template_sha256", sa.String(length=64), nullable=False),
        sa.Column("subject_lines", sa.JSON(), nullable=False),
        sa.Column("rate", sa.Float(), nullable=True),
        sa.Column("operator", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("queued", sa.Integer(), nullable=False),
        sa.Column("skipped_suppressed", sa.Integer(), nullable=False),
        sa.Column("skipped_withdrawn", sa.Integer(), nullable=False),
        sa.Column("skipped_unreachable", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_newsletter_sends")),
    )
    op.create_table(
        "newsletter_send_recipients",
        sa.Column("send_id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["send_id"],
            ["newsletter_sends.id"],
            name=op.f("fk_newsletter_send_recipients_send_id_newsletter_sends"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["newsletter_subscriptions.id"],
            name=op.f("fk_newsletter_send_recipients_subscription_id_newsletter_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("send_id", "subscription_id", name=op.f("pk_newsletter_send_recipients")),
    )
    op.create_index(
        op.f("ix_newsletter_send_recipients_subscription_id"),
        "newsletter_send_recipients",
        ["subscription_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_newsletter_send_recipients_subscription_id"), table_name="newsletter_send_recipients"
    )
    op.drop_table("newsletter_send_recipients")
    op.drop_table("newsletter_sends")
    with op.batch_alter_table("newsletter_subscriptions") as batch:
        batch.drop_column("requested_at")

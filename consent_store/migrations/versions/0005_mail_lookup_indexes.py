"""mail: index the columns the mail path looks up per batch

``intake_requests.source_ref`` (a mail's Message-ID: was a request made of it before?) and
``inbound_mail.content_hash`` (the SMTP server's duplicate check, at every group commit)
were read by scanning the whole table.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 00:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_intake_requests_source_ref"), "intake_requests", ["source_ref"], unique=False)
    op.create_index(op.f("ix_inbound_mail_content_hash"), "inbound_mail", ["content_hash"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_inbound_mail_content_hash"), table_name="inbound_mail")
    op.drop_index(op.f("ix_intake_requests_source_ref"), table_name="intake_requests")

"""initial schema

All tables, the ledger head row, and triggers that make consent_events append-only.

Revision ID: 0001
Revises:
Create Date: 2026-11-21 20:27:46.784453
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


GENESIS_HASH = "0" * 64

_SQLITE_TRIGGERS = [
    """CREATE TRIGGER consent_events_no_update BEFORE UPDATE ON consent_events
       BEGIN SELECT RAISE(ABORT, 'consent_events is append-only'); END""",
    """CREATE TRIGGER consent_events_no_delete BEFORE DELETE ON consent_events
       BEGIN SELECT RAISE(ABORT, 'consent_events is append-only'); END""",
]
_POSTGRES_TRIGGERS = [
    """CREATE FUNCTION consent_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'consent_events is append-only'; END $$""",
    """CREATE TRIGGER consent_events_append_only BEFORE UPDATE OR DELETE ON consent_events
       FOR EACH ROW EXECUTE FUNCTION consent_events_append_only()""",
    """CREATE TRIGGER consent_events_no_truncate BEFORE TRUNCATE ON consent_events
       FOR EACH STATEMENT EXECUTE FUNCTION consent_events_append_only()""",
]


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("subject_pseudonym", sa.String(length=16), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(
        op.f("ix_audit_events_subject_pseudonym"), "audit_events", ["subject_pseudonym"], unique=False
    )
    op.create_table(
        "coaches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("intro", sa.Text(), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=True),
        sa.Column("email_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("email_index", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coaches")),
        sa.UniqueConstraint("code", name=op.f("uq_coaches_code")),
        sa.UniqueConstraint("email_index", name=op.f("uq_coaches_email_index")),
        sa.UniqueConstraint("telegram_user_id", name=op.f("uq_coaches_telegram_user_id")),
    )
    op.create_table(
        "consent_events",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subject_pseudonym", sa.String(length=16), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum(
                "special_category",
                "contact_handover",
                "newsletter",
                name="purpose",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "action",
            sa.Enum("granted", "withdrawn", name="consentaction", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("policy_version", sa.String(length=32), nullable=False),
        sa.Column("wording_version", sa.String(length=32), nullable=False),
        sa.Column("wording_sha256", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "telegram", "email", "web", "operator", "system", name="channel", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("evidence", sa.String(length=255), nullable=False),
        sa.Column(
            "actor",
            sa.Enum("subject", "operator", "system", name="actor", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("actor_reason", sa.Text(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_consent_events")),
        sa.UniqueConstraint("hash", name=op.f("uq_consent_events_hash")),
        sa.UniqueConstraint("id", name=op.f("uq_consent_events_id")),
        sa.UniqueConstraint("prev_hash", name=op.f("uq_consent_events_prev_hash")),
    )
    op.create_index(
        op.f("ix_consent_events_subject_pseudonym"), "consent_events", ["subject_pseudonym"], unique=False
    )
    op.create_table(
        "ledger_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("length", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_head")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "telegram", "email", "web", "operator", "system", name="channel", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column(
            "recipient_kind",
            sa.Enum("subject", "coach", name="recipientkind", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("concerns_subject_id", sa.Uuid(), nullable=True),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("thread", sa.String(length=64), nullable=True),
        sa.Column("dedupe_key", sa.String(length=128), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "sending",
                "sent",
                "failed",
                "cancelled",
                name="outboxstate",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivery_ref", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbox_dedupe_key")),
    )
    op.create_index(op.f("ix_outbox_concerns_subject_id"), "outbox", ["concerns_subject_id"], unique=False)
    op.create_index(op.f("ix_outbox_recipient_id"), "outbox", ["recipient_id"], unique=False)
    op.create_index("ix_outbox_state_next_attempt", "outbox", ["state", "next_attempt_at"], unique=False)
    op.create_index(op.f("ix_outbox_thread"), "outbox", ["thread"], unique=False)
    op.create_table(
        "subjects",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("pseudonym", sa.String(length=16), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column(
            "state",
            sa.Enum("active", "erased", name="subjectstate", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_active_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subjects")),
        sa.UniqueConstraint("pseudonym", name=op.f("uq_subjects_pseudonym")),
    )
    op.create_table(
        "suppressions",
        sa.Column("address_hash", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("address_hash", name=op.f("pk_suppressions")),
    )
    op.create_table(
        "contact_points",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("email", "phone", "telegram", name="contactkind", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("blind_index", sa.String(length=64), nullable=False),
        sa.Column("unreachable", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_contact_points_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_points")),
        sa.UniqueConstraint(
            "subject_id", "kind", "blind_index", name=op.f("uq_contact_points_subject_id_kind_blind_index")
        ),
    )
    op.create_index(op.f("ix_contact_points_blind_index"), "contact_points", ["blind_index"], unique=False)
    op.create_index(op.f("ix_contact_points_subject_id"), "contact_points", ["subject_id"], unique=False)
    op.create_table(
        "newsletter_subscriptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "telegram", "email", "web", "operator", "system", name="channel", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("address_index", sa.String(length=64), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending", "active", "unsubscribed", name="newsletterstate", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_newsletter_subscriptions_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_newsletter_subscriptions")),
        sa.UniqueConstraint(
            "channel", "address_index", name=op.f("uq_newsletter_subscriptions_channel_address_index")
        ),
    )
    op.create_index(
        op.f("ix_newsletter_subscriptions_subject_id"),
        "newsletter_subscriptions",
        ["subject_id"],
        unique=False,
    )
    op.create_table(
        "subject_keys",
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_subject_keys_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("subject_id", name=op.f("pk_subject_keys")),
    )
    op.create_table(
        "intake_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=12), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "telegram", "email", "web", "operator", "system", name="channel", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("topic", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("anonymised_text", sa.Text(), nullable=False),
        sa.Column("original_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("special_category", sa.Boolean(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "draft",
                "open",
                "accepted",
                "handed_over",
                "withdrawn",
                "expired",
                name="requeststate",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("contact_point_id", sa.Uuid(), nullable=True),
        sa.Column("matched_coach_id", sa.Uuid(), nullable=True),
        sa.Column("source_ref", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_point_id"],
            ["contact_points.id"],
            name=op.f("fk_intake_requests_contact_point_id_contact_points"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["matched_coach_id"], ["coaches.id"], name=op.f("fk_intake_requests_matched_coach_id_coaches")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_intake_requests_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_requests")),
        sa.UniqueConstraint("reference", name=op.f("uq_intake_requests_reference")),
    )
    op.create_index(
        "ix_intake_requests_state_expires", "intake_requests", ["state", "expires_at"], unique=False
    )
    op.create_index(op.f("ix_intake_requests_subject_id"), "intake_requests", ["subject_id"], unique=False)
    op.create_table(
        "handovers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("coach_id", sa.Uuid(), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "telegram", "email", "web", "operator", "system", name="channel", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["coach_id"], ["coaches.id"], name=op.f("fk_handovers_coach_id_coaches")),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["intake_requests.id"],
            name=op.f("fk_handovers_request_id_intake_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handovers")),
        sa.UniqueConstraint("request_id", name=op.f("uq_handovers_request_id")),
    )
    op.create_index(op.f("ix_handovers_coach_id"), "handovers", ["coach_id"], unique=False)
    op.create_table(
        "offers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("coach_id", sa.Uuid(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "open",
                "accepted",
                "declined",
                "superseded",
                "rejected",
                "withdrawn",
                name="offerstate",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["coach_id"], ["coaches.id"], name=op.f("fk_offers_coach_id_coaches")),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["intake_requests.id"],
            name=op.f("fk_offers_request_id_intake_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offers")),
        sa.UniqueConstraint("request_id", "coach_id", name=op.f("uq_offers_request_id_coach_id")),
    )
    op.create_index(op.f("ix_offers_coach_id"), "offers", ["coach_id"], unique=False)
    op.create_index(op.f("ix_offers_request_id"), "offers", ["request_id"], unique=False)

    ledger_head = sa.table(
        "ledger_head",
        sa.column("id", sa.Integer),
        sa.column("length", sa.Integer),
        sa.column("last_hash", sa.String),
        sa.column("mac", sa.String),
    )
    op.bulk_insert(ledger_head, [{"id": 1, "length": 0, "last_hash": GENESIS_HASH, "mac": ""}])
    dialect = op.get_bind().dialect.name
    for statement in _POSTGRES_TRIGGERS if dialect == "postgresql" else _SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS consent_events_append_only ON consent_events")
        op.execute("DROP TRIGGER IF EXISTS consent_events_no_truncate ON consent_events")
        op.execute("DROP FUNCTION IF EXISTS consent_events_append_only()")
    op.drop_index(op.f("ix_offers_request_id"), table_name="offers")
    op.drop_index(op.f("ix_offers_coach_id"), table_name="offers")
    op.drop_table("offers")
    op.drop_index(op.f("ix_handovers_coach_id"), table_name="handovers")
    op.drop_table("handovers")
    op.drop_index(op.f("ix_intake_requests_subject_id"), table_name="intake_requests")
    op.drop_index("ix_intake_requests_state_expires", table_name="intake_requests")
    op.drop_table("intake_requests")
    op.drop_table("subject_keys")
    op.drop_index(op.f("ix_newsletter_subscriptions_subject_id"), table_name="newsletter_subscriptions")
    op.drop_table("newsletter_subscriptions")
    op.drop_index(op.f("ix_contact_points_subject_id"), table_name="contact_points")
    op.drop_index(op.f("ix_contact_points_blind_index"), table_name="contact_points")
    op.drop_table("contact_points")
    op.drop_table("suppressions")
    op.drop_table("subjects")
    op.drop_index(op.f("ix_outbox_thread"), table_name="outbox")
    op.drop_index("ix_outbox_state_next_attempt", table_name="outbox")
    op.drop_index(op.f("ix_outbox_recipient_id"), table_name="outbox")
    op.drop_index(op.f("ix_outbox_concerns_subject_id"), table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("ledger_head")
    op.drop_index(op.f("ix_consent_events_subject_pseudonym"), table_name="consent_events")
    op.drop_table("consent_events")
    op.drop_table("coaches")
    op.drop_index(op.f("ix_audit_events_subject_pseudonym"), table_name="audit_events")
    op.drop_table("audit_events")

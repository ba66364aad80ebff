"""training sessions: sessions of CPC's programmes with their trainers, sign-ups, attendance
reports and subscriptions to new sessions, and outbox entries owned by a session

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TelegramId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UtcDateTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("training_session_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_outbox_training_session_id"), ["training_session_id"], unique=False
        )
    op.create_table(
        "training_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_code", sa.String(length=64), nullable=False),
        sa.Column("starts_at", UtcDateTime, nullable=False),
        sa.Column("ends_at", UtcDateTime, nullable=False),
        sa.Column("settlement_code", sa.String(length=64), nullable=False),
        sa.Column("place_kind", sa.String(length=16), nullable=False),
        sa.Column("place_name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("signed_up", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("import_key", sa.String(length=64), nullable=True),
        sa.Column("created_by", TelegramId, nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("changed_at", UtcDateTime, nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_code"],
            ["programmes.code"],
            name=op.f("fk_training_sessions_programme_code_programmes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_sessions")),
        sa.UniqueConstraint("import_key", name=op.f("uq_training_sessions_import_key")),
    )
    op.create_index("ix_training_sessions_starts", "training_sessions", ["starts_at"])
    op.create_index(
        "ix_training_sessions_settlement_starts",
        "training_sessions",
        ["settlement_code", "starts_at"],
    )
    op.create_table(
        "session_trainers",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", TelegramId, nullable=False),
        sa.Column("answer", sa.String(length=12), nullable=False),
        sa.Column("answered_at", UtcDateTime, nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training_sessions.id"],
            name=op.f("fk_session_trainers_session_id_training_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_session_trainers_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "user_id", name=op.f("pk_session_trainers")),
    )
    op.create_index(
        op.f("ix_session_trainers_user_id"), "session_trainers", ["user_id"], unique=False
    )
    op.create_table(
        "training_signups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", TelegramId, nullable=True),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("changed_at", UtcDateTime, nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training_sessions.id"],
            name=op.f("fk_training_signups_session_id_training_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_training_signups_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_signups")),
        sa.UniqueConstraint("session_id", "user_id", name=op.f("uq_training_signups_session_id")),
    )
    op.create_index("ix_training_signups_user", "training_signups", ["user_id"])
    op.create_table(
        "attendance_reports",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("girls", sa.Integer(), nullable=False),
        sa.Column("boys", sa.Integer(), nullable=False),
        sa.Column("women", sa.Integer(), nullable=False),
        sa.Column("men", sa.Integer(), nullable=False),
        sa.Column("age_6_9", sa.Integer(), nullable=False),
        sa.Column("age_10_13", sa.Integer(), nullable=False),
        sa.Column("age_14_16", sa.Integer(), nullable=False),
        sa.Column("adults", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reported_by", TelegramId, nullable=True),
        sa.Column("reported_at", UtcDateTime, nullable=False),
        sa.Column("corrected_by", TelegramId, nullable=True),
        sa.Column("corrected_at", UtcDateTime, nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training_sessions.id"],
            name=op.f("fk_attendance_reports_session_id_training_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_attendance_reports")),
    )
    op.create_table(
        "training_subscriptions",
        sa.Column("user_id", TelegramId, nullable=False),
        sa.Column("programme_code", sa.String(length=64), nullable=False),
        sa.Column("settlement_code", sa.String(length=64), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_training_subscriptions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "user_id", "programme_code", "settlement_code", name=op.f("pk_training_subscriptions")
        ),
    )
    op.create_index(
        "ix_training_subscriptions_programme",
        "training_subscriptions",
        ["programme_code", "settlement_code"],
    )


def downgrade() -> None:
    op.drop_index("ix_training_subscriptions_programme", table_name="training_subscriptions")
    op.drop_table("training_subscriptions")
    op.drop_table("attendance_reports")
    op.drop_index("ix_training_signups_user", table_name="training_signups")
    op.drop_table("training_signups")
    op.drop_index(op.f("ix_session_trainers_user_id"), table_name="session_trainers")
    op.drop_table("session_trainers")
    op.drop_index("ix_training_sessions_settlement_starts", table_name="training_sessions")
    op.drop_index("ix_training_sessions_starts", table_name="training_sessions")
    op.drop_table("training_sessions")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_training_session_id"))
        batch_op.drop_column("training_session_id")

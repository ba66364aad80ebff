"""day centre bookings: opening times, closures, services, slot counters, bookings, the
waiting list, and outbox entries owned by a booking

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TelegramId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UtcDateTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("day_centres", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "open_days",
                sa.JSON(),
                server_default=sa.text('\'["mon", "tue", "wed", "thu", "fri"]\''),
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("opens", sa.Time(), server_default=sa.text("'09:00:00'"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("closes", sa.Time(), server_default=sa.text("'18:00:00'"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("book_days_ahead", sa.Integer(), server_default=sa.text("14"), nullable=False)
        )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("booking_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_booking_id"), ["booking_id"], unique=False)
    op.create_table(
        "centre_closures",
        sa.Column("centre_code", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.JSON(), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_code"],
            ["day_centres.code"],
            name=op.f("fk_centre_closures_centre_code_day_centres"),
        ),
        sa.PrimaryKeyConstraint("centre_code", "day", name=op.f("pk_centre_closures")),
    )
    op.create_table(
        "services",
        sa.Column("centre_code", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.Column("name", sa.JSON(), nullable=False),
        sa.Column("description", sa.JSON(), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("places", sa.Integer(), nullable=False),
        sa.Column("counted_in", sa.String(length=16), nullable=False),
        sa.Column("days", sa.JSON(), nullable=False),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("ends", sa.Time(), nullable=False),
        sa.Column("age_min", sa.Integer(), nullable=False),
        sa.Column("age_max", sa.Integer(), nullable=False),
        sa.Column("adult_required", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_code"], ["day_centres.code"], name=op.f("fk_services_centre_code_day_centres")
        ),
        sa.PrimaryKeyConstraint("centre_code", "code", name=op.f("pk_services")),
    )
    op.create_table(
        "booking_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("centre_code", sa.String(length=64), nullable=False),
        sa.Column("service_code", sa.String(length=64), nullable=False),
        sa.Column("starts_at", UtcDateTime, nullable=False),
        sa.Column("taken", sa.Integer(), nullable=False),
        sa.Column("held", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_slots")),
        sa.UniqueConstraint(
            "centre_code", "service_code", "starts_at", name=op.f("uq_booking_slots_centre_code")
        ),
    )
    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", TelegramId, nullable=True),
        sa.Column("centre_code", sa.String(length=64), nullable=False),
        sa.Column("service_code", sa.String(length=64), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", UtcDateTime, nullable=False),
        sa.Column("ends_at", UtcDateTime, nullable=False),
        sa.Column("places", sa.Integer(), nullable=False),
        sa.Column("children", sa.Integer(), nullable=False),
        sa.Column("ages", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("confirm_key", sa.String(length=64), nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("changed_at", UtcDateTime, nullable=False),
        sa.ForeignKeyConstraint(
            ["slot_id"], ["booking_slots.id"], name=op.f("fk_bookings_slot_id_booking_slots")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_bookings_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
        sa.UniqueConstraint("confirm_key", name=op.f("uq_bookings_confirm_key")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_bookings_user_starts", "bookings", ["user_id", "starts_at"], unique=False)
    op.create_index("ix_bookings_slot_status", "bookings", ["slot_id", "status"], unique=False)
    op.create_table(
        "waiting_list",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("user_id", TelegramId, nullable=False),
        sa.Column("places", sa.Integer(), nullable=False),
        sa.Column("ages", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("joined_at", UtcDateTime, nullable=False),
        sa.Column("offered_at", UtcDateTime, nullable=True),
        sa.Column("offer_until", UtcDateTime, nullable=True),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_waiting_list_booking_id_bookings")
        ),
        sa.ForeignKeyConstraint(
            ["slot_id"], ["booking_slots.id"], name=op.f("fk_waiting_list_slot_id_booking_slots")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_waiting_list_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waiting_list")),
        sa.UniqueConstraint("slot_id", "user_id", name=op.f("uq_waiting_list_slot_id")),
    )
    op.create_index(
        "ix_waiting_list_state_until", "waiting_list", ["state", "offer_until"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_waiting_list_state_until", table_name="waiting_list")
    op.drop_table("waiting_list")
    op.drop_index("ix_bookings_slot_status", table_name="bookings")
    op.drop_index("ix_bookings_user_starts", table_name="bookings")
    op.drop_table("bookings")
    op.drop_table("booking_slots")
    op.drop_table("services")
    op.drop_table("centre_closures")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_booking_id"))
        batch_op.drop_column("booking_id")
    with op.batch_alter_table("day_centres", schema=None) as batch_op:
        batch_op.drop_column("book_days_ahead")
        batch_op.drop_column("closes")
        batch_op.drop_column("opens")
        batch_op.drop_column("open_days")

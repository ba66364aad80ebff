"""update journal and form keys

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 16:00:03.958447
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "received_updates",
        sa.Column(
            "update_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_received_updates")),
    )
    with op.batch_alter_table("received_updates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_received_updates_handled_at"), ["handled_at"], unique=False
        )

    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("form_key", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_requests_form_key"), ["form_key"])


def downgrade() -> None:

    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_requests_form_key"), type_="unique")
        batch_op.drop_column("form_key")

    with op.batch_alter_table("received_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_received_updates_handled_at"))

    op.drop_table("received_updates")

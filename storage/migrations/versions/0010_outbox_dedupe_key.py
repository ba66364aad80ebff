"""outbox dedupe key: an entry that must be written once whoever writes it (the morning
summary of a centre's day, written by a scheduled job that a restart or a second worker may
run again) carries a key the database keeps unique

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dedupe_key", sa.String(length=96), nullable=True))
        batch_op.create_index("ix_outbox_dedupe_key", ["dedupe_key"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_dedupe_key")
        batch_op.drop_column("dedupe_key")

"""why a request is urgent

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 17:06:19.149255
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("danger", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("urgent_words", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.drop_column("urgent_words")
        batch_op.drop_column("danger")

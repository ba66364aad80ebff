"""closures made by staff (a day closed with /close is marked, so loading the reference file
again does not reopen it) and each day centre's landmark

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("centre_closures", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("by_staff", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )
    with op.batch_alter_table("day_centres", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("landmark", sa.JSON(), server_default=sa.text("'{}'"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("day_centres", schema=None) as batch_op:
        batch_op.drop_column("landmark")
    with op.batch_alter_table("centre_closures", schema=None) as batch_op:
        batch_op.drop_column("by_staff")

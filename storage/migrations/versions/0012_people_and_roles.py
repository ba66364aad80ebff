"""people and roles: one list of people with their roles (staff, peer trainer) replaces the
staff-only list; every staff member is carried over as an active staff role, flags kept

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TELEGRAM_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("user_id", TELEGRAM_ID, autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=128), nullable=True),
        sa.Column("settlement_code", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_people")),
    )
    op.create_table(
        "person_roles",
        sa.Column("user_id", TELEGRAM_ID, autoincrement=False, nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("on_duty", sa.Boolean(), nullable=False),
        sa.Column("programmes", sa.JSON(), nullable=False),
        sa.Column("application", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", TELEGRAM_ID, nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["people.user_id"], name=op.f("fk_person_roles_user_id_people")
        ),
        sa.PrimaryKeyConstraint("user_id", "role", name=op.f("pk_person_roles")),
    )
    with op.batch_alter_table("person_roles", schema=None) as batch_op:
        batch_op.create_index("ix_person_roles_role_status", ["role", "status"], unique=False)
    # Every staff member becomes a person with an active staff role, added when they were.
    op.execute(
        "INSERT INTO people (user_id, name, settlement_code, created_at) "
        "SELECT user_id, name, NULL, added_at FROM staff_members"
    )
    op.execute(
        "INSERT INTO person_roles (user_id, role, status, is_admin, on_duty, programmes, "
        "application, requested_at, decided_by, decided_at) "
        "SELECT user_id, 'staff', 'active', is_admin, on_duty, '[]', 1, added_at, NULL, added_at "
        "FROM staff_members"
    )
    op.drop_table("staff_members")


def downgrade() -> None:
    op.create_table(
        "staff_members",
        sa.Column("user_id", TELEGRAM_ID, autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("on_duty", sa.Boolean(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_staff_members")),
    )
    # Only who is staff now goes back; a staff member whose name was erased gets the
    # placeholder core.staff shows for them. Trainers have no place in the old schema.
    op.execute(
        "INSERT INTO staff_members (user_id, name, is_admin, on_duty, added_at) "
        "SELECT r.user_id, COALESCE(p.name, 'Admin ' || CAST(r.user_id AS VARCHAR(20))), "
        "r.is_admin, r.on_duty, COALESCE(r.decided_at, r.requested_at) "
        "FROM person_roles r JOIN people p ON p.user_id = r.user_id "
        "WHERE r.role = 'staff' AND r.status = 'active'"
    )
    with op.batch_alter_table("person_roles", schema=None) as batch_op:
        batch_op.drop_index("ix_person_roles_role_status")
    op.drop_table("person_roles")
    op.drop_table("people")

"""an alert names any urgent procedure of the plan by its id, not one of two fixed ids (issue 14)

Revision ID: d2a7c4e9b1f3
Revises: c9d4e2f6a8b1
Create Date: 2026-12-02 10:30:00

The ids are the school's content now. The column keeps the id's shape (no capitals, no spaces, not
empty); the alert service lets through only ids of the current plan's urgent procedures. Stored
alerts keep their ids.
"""

import sqlalchemy as sa
from alembic import op

revision = "d2a7c4e9b1f3"
down_revision = "a1f5e9c3d7b2"
branch_labels = None
depends_on = None

ID_SHAPE = "alternative = lower(alternative) AND alternative NOT LIKE '% %' AND alternative <> ''"
OLD_IDS = "alternative IN ('alternativ-3', 'alternativ-4')"


def _old_checks() -> list[str]:
    """Name the CHECK constraints that allowed only the two fixed ids (PostgreSQL names them)."""
    checks = sa.inspect(op.get_bind()).get_check_constraints("alert")
    return [c["name"] for c in checks if c.get("name") and "alternativ-3" in c["sqltext"]]


def upgrade():
    old = _old_checks()
    # SQLite rebuilds the table without the old, unnamed check; PostgreSQL drops it by name.
    with op.batch_alter_table("alert", schema=None, recreate="auto") as batch_op:
        for name in old:
            batch_op.drop_constraint(name, type_="check")
        batch_op.alter_column(
            "alternative",
            existing_type=sa.String(length=12),
            type_=sa.String(length=64),
            existing_nullable=False,
        )
        batch_op.create_check_constraint("ck_alert_alternative_id", sa.text(ID_SHAPE))


def downgrade():
    # Fails on purpose while an alert names another procedure: it would not fit the old column.
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_constraint("ck_alert_alternative_id", type_="check")
        batch_op.alter_column(
            "alternative",
            existing_type=sa.String(length=64),
            type_=sa.String(length=12),
            existing_nullable=False,
        )
        batch_op.create_check_constraint("alert_alternative", sa.text(OLD_IDS))

"""user.push_dropped_at: when the push service dropped an account's last device

Revision ID: c8d4f6b0e2a3
Revises: d2a8f4c6e1b9
Create Date: 2026-12-02 08:10:00

A 404/410 from the push service deletes the subscription; a leader whose last device went that way
read only «Varsler er av» and never learnt why. The time is kept so her next visit says so, and the
readiness view shows it.
"""

import sqlalchemy as sa
from alembic import op

revision = "c8d4f6b0e2a3"
down_revision = "d2a8f4c6e1b9"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("push_dropped_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("push_dropped_at")

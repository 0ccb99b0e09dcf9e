"""login throttle: failures per typed address or device cookie, with an exponential wait

Revision ID: a6d1f3b5c7e9
Revises: f4c2d8e6a1b3
Create Date: 2026-12-02 07:40:00

Replaces the per-account lock (user.failed_logins, user.locked_until, now unused): failures count per
e-mail address typed, known or not, so a wrong password for a known and an unknown address answer
alike; and a device that logged in before has its own count, so a stranger hammering an account does
not lock its owner out (OWASP's device cookies).
"""

import sqlalchemy as sa
from alembic import op

revision = "a6d1f3b5c7e9"
down_revision = "f4c2d8e6a1b3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("login_throttle", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_throttle_updated_at"), ["updated_at"], unique=False)


def downgrade():
    with op.batch_alter_table("login_throttle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_throttle_updated_at"))
    op.drop_table("login_throttle")

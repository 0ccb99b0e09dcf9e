"""rate limits: counters shared by every worker, in the app's database

Revision ID: f4c2d8e6a1b3
Revises: e3b8c1a9f2d6
Create Date: 2026-12-02 07:20:00

With memory:// each gunicorn worker counted on its own, so every per-address limit was as many times
higher as there were workers. On PostgreSQL the counters live in this table; on SQLite in the same
table in a file of its own beside the database (backend/rate_limits.py), so a counter never waits for
the app's write lock.
"""

import sqlalchemy as sa
from alembic import op

revision = "f4c2d8e6a1b3"
down_revision = "e3b8c1a9f2d6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rate_limit",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("rate_limit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rate_limit_expires_at"), ["expires_at"], unique=False)


def downgrade():
    with op.batch_alter_table("rate_limit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rate_limit_expires_at"))
    op.drop_table("rate_limit")

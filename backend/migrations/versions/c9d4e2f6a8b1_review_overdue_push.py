"""push notices that are neither an alert nor a plan update: the overdue review (issue 12)

Revision ID: c9d4e2f6a8b1
Revises: c8d4f6b0e2a3
Create Date: 2026-12-02 08:05:00

A delivery of a notice keeps plan_revision_id (the revision whose review date passed), so the check
"an alert or a revision" still holds; `notice` names what the message says ("review_overdue").
"""

import sqlalchemy as sa
from alembic import op

revision = "c9d4e2f6a8b1"
down_revision = "c8d4f6b0e2a3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("alert_delivery", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notice", sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table("alert_delivery", schema=None) as batch_op:
        batch_op.drop_column("notice")

"""two-factor setup: keep the pending secret on the user until confirmed or cancelled

Revision ID: e4b8c2d6a913
Revises: a6d1f3b5c7e9
Create Date: 2026-12-02 07:10:00

The secret was kept in the session cookie and made anew on every load of the setup page, so a phone
that reloaded the page while the person switched to the authenticator app had the wrong key. It now
lives on the user row, server side, until the first code confirms it or the person cancels.
"""

import sqlalchemy as sa
from alembic import op

revision = "e4b8c2d6a913"
down_revision = "a6d1f3b5c7e9"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_pending_secret", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("totp_pending_secret")

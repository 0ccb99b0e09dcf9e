"""user.contact_id: an account linked to a person in the plan's contact list

Revision ID: d2a8f4c6e1b9
Revises: b7c3e5a9d1f2
Create Date: 2026-12-02 08:00:00

The role on an alert's answers and the call chain's readiness came from a contact with the same
name as the account, so renaming either side lost it. The link is the contact's stable id (the
slug in contacts.yaml, kept by the admin editor across revisions), one account per contact.
"""

import sqlalchemy as sa
from alembic import op

revision = "d2a8f4c6e1b9"
down_revision = "b7c3e5a9d1f2"
branch_labels = None
depends_on = None


# A plain ADD COLUMN and a unique index: a unique constraint would make SQLite rebuild the user table,
# and dropping the old one (foreign keys on) would cascade to every row that references an account:
# devices, invitations, recovery codes.
def upgrade():
    op.add_column("user", sa.Column("contact_id", sa.String(length=64), nullable=True))
    op.create_index("ix_user_contact_id", "user", ["contact_id"], unique=True)


def downgrade():
    op.drop_index("ix_user_contact_id", table_name="user")
    op.drop_column("user", "contact_id")

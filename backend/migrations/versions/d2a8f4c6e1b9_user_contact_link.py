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


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contact_id", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_user_contact_id", ["contact_id"])


def downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_constraint("uq_user_contact_id", type_="unique")
        batch_op.drop_column("contact_id")

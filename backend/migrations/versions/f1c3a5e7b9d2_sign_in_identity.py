"""sign-in with Feide or another OpenID Connect provider: the linked identities

Revision ID: f1c3a5e7b9d2
Revises: e4b8c2d9a7f1
Create Date: 2026-12-02 07:30:00

Only the issuer and the subject id of a person's account at the provider are kept (never a token),
one row per provider the person signs in with.
"""

import sqlalchemy as sa
from alembic import op

revision = "f1c3a5e7b9d2"
down_revision = "e4b8c2d9a7f1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sign_in_identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("issuer", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("issuer", "subject", name="uq_sign_in_identity_issuer_subject"),
    )
    with op.batch_alter_table("sign_in_identity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sign_in_identity_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("sign_in_identity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_identity_user_id"))
    op.drop_table("sign_in_identity")

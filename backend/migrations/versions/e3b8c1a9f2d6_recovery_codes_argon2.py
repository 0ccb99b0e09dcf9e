"""recovery codes: a salted, slow hash (argon2id) instead of plain SHA-256

Revision ID: e3b8c1a9f2d6
Revises: d7e2a9c4b1f0
Create Date: 2026-12-02 07:10:00

A recovery code has about 50 bits; unsalted SHA-256 of it can be searched on a GPU by anyone who gets
a copy of the database or a backup. The stored value is now argon2id over that SHA-256 (hash
wrapping), so codes made before this migration are upgraded here, in place, without their plain
text: every existing code keeps working, and no weak hash is left behind.
Downgrading cannot unwrap them: it deletes the recovery codes (admins make new ones under «Min konto»).
"""

import sqlalchemy as sa
from alembic import op
from argon2 import PasswordHasher

revision = "e3b8c1a9f2d6"
down_revision = "d7e2a9c4b1f0"
branch_labels = None
depends_on = None

# The app's defaults (backend/config.py); a verify reads the parameters from the hash itself.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def upgrade():
    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.alter_column(
            "code_hash",
            existing_type=sa.String(length=64),
            type_=sa.String(length=255),
            existing_nullable=False,
        )
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, code_hash FROM recovery_code")).fetchall()
    for row_id, old in rows:
        if old.startswith("$argon2"):
            continue
        connection.execute(
            sa.text("UPDATE recovery_code SET code_hash = :new WHERE id = :id"),
            {"new": HASHER.hash(old), "id": row_id},
        )


def downgrade():
    op.execute("DELETE FROM recovery_code")
    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.alter_column(
            "code_hash",
            existing_type=sa.String(length=255),
            type_=sa.String(length=64),
            existing_nullable=False,
        )

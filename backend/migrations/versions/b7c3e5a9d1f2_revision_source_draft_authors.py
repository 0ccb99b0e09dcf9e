"""where each revision came from, and who made each change in the draft

Revision ID: b7c3e5a9d1f2
Revises: b9e4d2f7a3c1
Create Date: 2026-12-02 08:10:00

`plan_revision.source` says whether a revision came from an import of a content folder ("import")
or from the admin (a publish or a restore: "admin"), so `flask content import` can refuse to
overwrite work done in the admin after the folder's last import. Existing revisions are classified
by the note an import always wrote («Importert fra …»).

`plan_draft.change_authors` maps each changed field of the draft to who changed it last, so the draft
page shows who made each change.
"""

import sqlalchemy as sa
from alembic import op

revision = "b7c3e5a9d1f2"
down_revision = "b9e4d2f7a3c1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("plan_revision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=20), nullable=True))
    op.execute(
        "UPDATE plan_revision SET source = CASE WHEN note LIKE 'Importert fra%' THEN 'import' "
        "ELSE 'admin' END"
    )
    with op.batch_alter_table("plan_draft", schema=None) as batch_op:
        batch_op.add_column(sa.Column("change_authors", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("plan_draft", schema=None) as batch_op:
        batch_op.drop_column("change_authors")
    with op.batch_alter_table("plan_revision", schema=None) as batch_op:
        batch_op.drop_column("source")

"""web push: user foreign keys on subscriptions, alerts and acknowledgements

Revision ID: d7e2a9c4b1f0
Revises: 3f0886e1efd7
Create Date: 2026-11-26 18:05:00

The push tables were made before accounts existed; now their user columns point at user.id.
A deleted user's devices go with them; alerts and answers stay in the history without the link.
SQLite cannot add a constraint to a table, so batch_alter_table copies each table.
"""

from alembic import op

revision = "d7e2a9c4b1f0"
down_revision = "3f0886e1efd7"
branch_labels = None
depends_on = None


def upgrade():
    # Rows pointing at users that do not exist (made before accounts) would break the new constraints.
    op.execute(
        'DELETE FROM push_subscription WHERE user_id IS NOT NULL AND user_id NOT IN (SELECT id FROM "user")'
    )
    op.execute('UPDATE alert SET sender_user_id = NULL WHERE sender_user_id NOT IN (SELECT id FROM "user")')
    op.execute('UPDATE alert_acknowledgement SET user_id = NULL WHERE user_id NOT IN (SELECT id FROM "user")')
    with op.batch_alter_table("push_subscription", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_push_subscription_user_id_user", "user", ["user_id"], ["id"], ondelete="CASCADE"
        )
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_alert_sender_user_id_user", "user", ["sender_user_id"], ["id"], ondelete="SET NULL"
        )
    with op.batch_alter_table("alert_acknowledgement", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_alert_acknowledgement_user_id_user", "user", ["user_id"], ["id"], ondelete="SET NULL"
        )


def downgrade():
    with op.batch_alter_table("alert_acknowledgement", schema=None) as batch_op:
        batch_op.drop_constraint("fk_alert_acknowledgement_user_id_user", type_="foreignkey")
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_constraint("fk_alert_sender_user_id_user", type_="foreignkey")
    with op.batch_alter_table("push_subscription", schema=None) as batch_op:
        batch_op.drop_constraint("fk_push_subscription_user_id_user", type_="foreignkey")

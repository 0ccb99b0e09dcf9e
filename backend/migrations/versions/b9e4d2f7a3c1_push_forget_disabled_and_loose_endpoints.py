"""push subscriptions: forget those of disabled accounts and endpoints not in the strict form

Revision ID: b9e4d2f7a3c1
Revises: f1c3a5e7b9d2
Create Date: 2026-12-02 08:10:00

Disabling an account now deletes its devices' subscriptions, and an endpoint is stored only in a
strict form (backend/services/alerts/subscriptions.py: https on 443, a host of [a-z0-9.-] labels,
URL-safe path and query, at most 1,000 characters). Rows stored before either rule are deleted
here, so no disabled person's device and no prose kept as an "endpoint" stays behind. Their
deliveries stay as history without the link, as when a device unsubscribes. The form below is a
copy frozen with this migration. Downgrading has nothing to bring back.
"""

import ipaddress
import re

import sqlalchemy as sa
from alembic import op

revision = "b9e4d2f7a3c1"
down_revision = "f1c3a5e7b9d2"
branch_labels = None
depends_on = None

STRICT = re.compile(
    r"(?P<scheme>https?)://(?P<host>[a-z0-9.-]+)(?::(?P<port>[1-9][0-9]{0,4}))?"
    r"(?P<path>(?:/[A-Za-z0-9_~:=.-]*)+)"
    r"(?:\?(?:[A-Za-z0-9_~:=&.-]|%(?:2[bBfF]|3[dD]))*)?",
    re.IGNORECASE,
)
LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
NUMERIC = re.compile(r"0x[0-9a-f]*|[0-9]+")


def strict(endpoint: str) -> bool:
    """Whether a stored endpoint has the form the app now stores (any host; the allow-list is config)."""
    found = STRICT.fullmatch(endpoint) if len(endpoint) <= 1000 else None
    if found is None or any(part in {".", ".."} for part in found["path"].split("/")):
        return False
    host = found["host"].lower()
    try:
        return str(ipaddress.IPv4Address(host)) == host
    except ValueError:
        pass
    labels = host.split(".")
    return (
        len(labels) >= 2
        and all(LABEL.fullmatch(label) for label in labels)
        and not NUMERIC.fullmatch(labels[-1])
    )


def upgrade():
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            'SELECT s.id, s.endpoint, u.disabled FROM push_subscription s LEFT JOIN "user" u ON u.id = s.user_id'
        )
    ).fetchall()
    gone = [row_id for row_id, endpoint, disabled in rows if disabled or not strict(endpoint)]
    for row_id in gone:
        connection.execute(
            sa.text("UPDATE alert_delivery SET subscription_id = NULL WHERE subscription_id = :id"),
            {"id": row_id},
        )
        connection.execute(sa.text("DELETE FROM push_subscription WHERE id = :id"), {"id": row_id})


def downgrade():
    pass

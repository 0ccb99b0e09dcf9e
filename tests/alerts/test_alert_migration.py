"""Migrations that rebuild the alert table keep its deliveries and answers.

SQLite changes a table's CHECK constraint by building a new table and dropping the old one; with
foreign keys on, dropping `alert` deletes every delivery and acknowledgement by ON DELETE CASCADE.
The migration environment turns foreign keys off while it runs (SQLite's own recipe), and checks them
before it commits.
"""

from __future__ import annotations

import os

from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import AckResponse, Alert, AlertAcknowledgement, AlertDelivery, Place

BEFORE_ANY_ID = "a1f5e9c3d7b2"  # before «an alert names any urgent procedure»


def counts() -> tuple[int, int, int]:
    return tuple(
        db.session.execute(select(func.count()).select_from(table)).scalar_one()
        for table in (Alert, AlertDelivery, AlertAcknowledgement)
    )


def test_rebuilding_the_alert_table_keeps_deliveries_and_answers(app):
    with app.app_context():
        place = Place(name="Kantina")
        db.session.add(place)
        db.session.flush()
        alert = Alert(alternative="alternativ-4", place_id=place.id, ack_nonce=os.urandom(16))
        db.session.add(alert)
        db.session.flush()
        db.session.add(AlertDelivery(alert_id=alert.id))
        db.session.add(AlertAcknowledgement(alert_id=alert.id, response=AckResponse.KOMMER))
        db.session.commit()
        assert counts() == (1, 1, 1)
        db.session.remove()  # end the reading transaction: PostgreSQL's ALTER TABLE waits for its lock

        downgrade(revision=BEFORE_ANY_ID)
        db.session.remove()
        assert counts() == (1, 1, 1)
        db.session.remove()
        upgrade()
        db.session.remove()
        assert counts() == (1, 1, 1)
        if db.engine.dialect.name == "sqlite":  # and the app's connections enforce foreign keys again
            for _ in range(3):
                with db.engine.connect() as connection:
                    assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1

"""The push tables: no free text about a student, constraints that hold, migration in step."""

from __future__ import annotations

import inspect as pyinspect

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Boolean, DateTime, Integer, LargeBinary, String, Text, inspect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DataError, IntegrityError

from backend.extensions import db
from backend.models import ALERT_PROCEDURE_ID_LENGTH, Alert, AlertDelivery, Place, utcnow
from backend.services import alerts as push_service
from backend.services.alerts.sender import claim_query

# The only string-typed column an alert may have is the urgent procedure's id: a short slug.
ALERT_COLUMNS = {
    "id": Integer,
    "created_at": DateTime,
    "alternative": String,
    "place_id": Integer,
    "drill": Boolean,
    "sender_user_id": Integer,
    "ack_nonce": LargeBinary,
}


def test_alert_model_has_no_free_text_column():
    """Student-data guard: an alert is ids, flags, times and a procedure's id; nothing can hold a name."""
    columns = Alert.__table__.columns
    assert {c.name for c in columns} == set(ALERT_COLUMNS)
    for column in columns:
        assert isinstance(column.type, ALERT_COLUMNS[column.name]), column.name
        if isinstance(column.type, String | Text):
            assert column.name == "alternative", f"{column.name} would take free text"
            assert not isinstance(column.type, Text) and column.type.length == ALERT_PROCEDURE_ID_LENGTH == 64
    assert Alert.__table__.c.ack_nonce.type.length == 16
    for typed in ("Ola i 2STA er ruset", "Ola", "", "akutt a", "x" * 65):
        with pytest.raises(ValueError):
            Alert(alternative=typed, place_id=1, ack_nonce=b"0" * 16)
    assert Alert(alternative="akutt-a", place_id=1, ack_nonce=b"0" * 16).alternative == "akutt-a"


@pytest.mark.parametrize("typed", ["Ola i 2STA er ruset", "Ola", "ola nordmann", "", "x" * 65])
def test_alert_table_in_the_database_refuses_typed_text_as_the_procedure(app, typed):
    """The migrated table itself (not just the model) rejects a typed text in `alternative`:
    capitals, spaces, nothing, or more than an id's length."""
    with app.app_context():
        columns = {c["name"]: c["type"] for c in inspect(db.engine).get_columns("alert")}
        text_columns = [name for name, kind in columns.items() if isinstance(kind, String | Text)]
        assert text_columns == ["alternative"]
        assert columns["alternative"].length == 64
        db.session.add(Place(name="Rom 204"))
        db.session.commit()
        insert = text(
            "INSERT INTO alert (created_at, alternative, place_id, drill, ack_nonce) "
            "VALUES (:now, :typed, 1, false, :nonce)"
        )
        # SQLite's CHECK gives an IntegrityError; PostgreSQL's varchar(64) a DataError for the long one.
        # (SQLite does not enforce a varchar's length: the model and the alert service refuse it.)
        if not (len(typed) > 64 and db.engine.dialect.name == "sqlite"):
            with pytest.raises((IntegrityError, DataError)):
                db.session.execute(insert, {"now": utcnow(), "typed": typed, "nonce": b"0" * 16})
            db.session.rollback()
        db.session.execute(insert, {"now": utcnow(), "typed": "akutt-a", "nonce": b"0" * 16})
        db.session.rollback()


def test_create_alert_takes_no_text_and_refuses_other_alternatives(app):
    """The alert service has no parameter for text, and checks the alternative and the place."""
    params = set(pyinspect.signature(push_service.create_alert).parameters)
    assert params == {"alternative", "place_id", "drill", "sender_user_id", "recipient_user_ids"}
    with app.app_context():
        place = Place(name="Kantina")
        hidden = Place(name="Gammelt rom", active=False)
        db.session.add_all([place, hidden])
        db.session.commit()
        unknown = "Velg et av planens akutte alternativer"
        with pytest.raises(push_service.AlertError, match=unknown) as refused:
            push_service.create_alert("alternativ-1", place.id)  # in the plan, but not urgent
        assert refused.value.field == "alternative"
        with pytest.raises(push_service.AlertError, match=unknown):
            push_service.create_alert("akutt-a", place.id)  # not in this plan
        with pytest.raises(push_service.AlertError, match="Velg et sted fra listen"):
            push_service.create_alert("alternativ-3", 999)
        with pytest.raises(push_service.AlertError, match="Velg et sted fra listen"):
            push_service.create_alert("alternativ-3", hidden.id)
        assert [p.name for p in push_service.active_places()] == ["Kantina"]


def test_alert_payload_carries_no_free_text(app):
    """The push message has a fixed set of fields: text only from the plan and the admin's place list."""
    with app.app_context():
        place = Place(name="Rom 204")
        db.session.add(place)
        db.session.commit()
        alert = Alert(alternative="alternativ-3", place_id=place.id, ack_nonce=b"n" * 16)
        db.session.add(alert)
        db.session.commit()
        payload = push_service.alert_payload(alert)
    assert set(payload) == {
        "type",
        "title",
        "body",
        "drill",
        "alert_id",
        "alternative",
        "place",
        "created_at",
        "tag",
        "ack_url",
        "url",
    }


def test_delivery_is_for_exactly_one_message(app):
    """A delivery row belongs to an alert or to a plan revision, never both or neither."""
    with app.app_context():
        db.session.add(AlertDelivery(alert_id=None, plan_revision_id=None))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_migrations_match_the_models(app):
    """`flask db migrate` would find nothing to do: the migration builds exactly these tables."""
    with app.app_context(), db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert diff == []


def test_claim_uses_skip_locked_where_the_database_has_it():
    """On PostgreSQL the claim locks rows with FOR UPDATE SKIP LOCKED; SQLite needs no row locks."""
    now = utcnow()
    on_postgres = str(claim_query("postgresql", 50, now).compile(dialect=postgresql.dialect()))
    on_sqlite = str(claim_query("sqlite", 50, now).compile(dialect=sqlite.dialect()))
    assert "FOR UPDATE SKIP LOCKED" in on_postgres
    assert "FOR UPDATE" not in on_sqlite
    assert "alert_delivery.status = " in on_postgres and "next_attempt_at <=" in on_postgres


def test_user_columns_are_foreign_keys_to_user(push_app):
    """Devices, senders and answers point at user.id; a device goes with its owner, history stays."""
    with push_app.app_context():
        inspector = inspect(db.engine)
        keys = {
            (table, tuple(fk["constrained_columns"]), fk["referred_table"], fk["options"].get("ondelete"))
            for table in ("push_subscription", "alert", "alert_acknowledgement")
            for fk in inspector.get_foreign_keys(table)
            if fk["referred_table"] == "user"
        }
        assert keys == {
            ("push_subscription", ("user_id",), "user", "CASCADE"),
            ("alert", ("sender_user_id",), "user", "SET NULL"),
            ("alert_acknowledgement", ("user_id",), "user", "SET NULL"),
        }
        with pytest.raises(IntegrityError):
            push_service.subscribe(_device(), user_id=999, alerts=True)
        db.session.rollback()


def _device() -> dict:
    from tests.push_support import browser_subscription

    return browser_subscription("https://fcm.googleapis.com/fcm/send/fk-test")

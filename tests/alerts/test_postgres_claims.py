"""On PostgreSQL, two senders' claims never overlap: FOR UPDATE SKIP LOCKED passes locked rows by."""

from __future__ import annotations

import pytest

from backend.extensions import db
from backend.models import Place, utcnow
from backend.services.alerts import alerts as push_service
from backend.services.alerts.sender import claim_query
from tests.alerts.conftest import add_device

pytestmark = pytest.mark.postgres_only


def test_a_second_claim_skips_the_rows_the_first_has_locked(push_app, fake_push, monkeypatch):
    """While one sender's claim transaction is open, another claims only the other deliveries."""
    monkeypatch.setattr(push_service, "_wake_sender", lambda app: None)
    for _ in range(6):
        add_device(push_app, fake_push)
    with push_app.app_context():
        place = Place(name="Rom 204")
        db.session.add(place)
        db.session.commit()
        push_service.create_alert("alternativ-3", place.id)
        now = utcnow()
        engine = db.engine
        with engine.connect() as first, engine.connect() as second:
            taken = first.execute(claim_query(engine.dialect.name, 4, now)).scalars().all()
            rest = second.execute(claim_query(engine.dialect.name, 10, now)).scalars().all()
            assert len(taken) == 4 and len(rest) == 2
            assert not set(taken) & set(rest)
            first.rollback()
            # Once the first lets go, its rows can be claimed again: nothing is lost.
            second.rollback()
            assert len(second.execute(claim_query(engine.dialect.name, 10, now)).scalars().all()) == 6

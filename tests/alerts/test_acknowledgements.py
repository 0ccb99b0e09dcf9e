"""Answers to an alert ("Jeg kommer"), and the progress the sender's screen will show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import AckResponse, Alert, AlertAcknowledgement, AlertDelivery, Place
from backend.services.alerts import alerts as push_service
from backend.services.alerts.sender import retry_after_seconds
from tests.alerts.conftest import add_device, wait_until
from tests.fakepush import GONE


@pytest.fixture
def alert_id(push_app, fake_push):
    """An alert to two leaders' devices (one of them gone), sent and settled."""
    add_device(push_app, fake_push, user_id=2)
    add_device(push_app, fake_push, GONE, user_id=3)
    with push_app.app_context():
        place = Place(name="Rom 204")
        db.session.add(place)
        db.session.commit()
        alert = push_service.create_alert("alternativ-3", place.id, sender_user_id=1)
        return alert.id


def test_the_token_in_the_push_acknowledges_the_alert(push_app, fake_push, alert_id):
    """The ack_url token from the decrypted message records "kommer" for the leader."""
    push = fake_push.wait_for(2)[0]  # both devices got the same message
    token = push.message["ack_url"].rsplit("/", 1)[1]
    with push_app.app_context():
        ack = push_service.acknowledge(alert_id, token, user_id=2)
        assert ack is not None
        assert ack.response == AckResponse.KOMMER
        again = push_service.acknowledge(alert_id, token, user_id=2)
        assert again.id == ack.id  # tapping twice records one answer
        progress = push_service.alert_progress(alert_id)
    assert [a.user_id for a in progress.acknowledgements] == [2]


def test_wrong_token_or_alert_records_nothing(push_app, alert_id):
    """A guessed token, another alert's token or an unknown alert gives no answer."""
    with push_app.app_context():
        alert = db.session.get(push_service.Alert, alert_id)
        token = push_service.ack_token(alert)
        other = push_service.create_alert("alternativ-4", alert.place_id)
        assert push_service.acknowledge(alert_id, "A" * 32, user_id=2) is None
        assert push_service.acknowledge(alert_id, push_service.ack_token(other), user_id=2) is None
        assert push_service.acknowledge(9999, token, user_id=2) is None
        assert push_service.acknowledge(alert_id, None, user_id=2) is None
        assert push_service.alert_progress(alert_id).acknowledgements == []


def test_token_depends_on_the_secret_key(push_app, alert_id):
    """The token cannot be computed from the database alone: it is keyed with SECRET_KEY."""
    with push_app.app_context():
        alert = db.session.get(push_service.Alert, alert_id)
        token = push_service.ack_token(alert)
        push_app.config["SECRET_KEY"] = "another-key"
        assert push_service.ack_token(alert) != token


def test_progress_counts_devices_by_outcome(push_app, fake_push, alert_id):
    """The sender's screen can say: sent to N devices, delivered to M."""
    fake_push.wait_for(2)

    def settled():
        with push_app.app_context():
            progress = push_service.alert_progress(alert_id)
        return progress if progress.pending == 0 else None

    progress = wait_until(push_app, settled)
    assert (progress.devices, progress.delivered, progress.gone, progress.failed) == (2, 1, 1, 0)


def test_retry_after_is_read_as_seconds_or_http_date():
    """Retry-After comes as a number of seconds or as an HTTP date; both are honoured."""
    now = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("120", now) == 120
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30
    assert retry_after_seconds(format_datetime(now - timedelta(seconds=30), usegmt=True), now) == 0
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None, now) is None
    assert retry_after_seconds("", now) is None


def test_old_alerts_are_deleted_with_their_deliveries_and_answers(push_app, fake_push, alert_id):
    """Alerts older than ALERT_HISTORY_DAYS go, with their rows; newer ones stay."""
    fake_push.wait_for(2)
    with push_app.app_context():
        alert = db.session.get(Alert, alert_id)
        push_service.acknowledge(alert_id, push_service.ack_token(alert), user_id=2)
        recent = push_service.create_alert("alternativ-4", alert.place_id).id
        alert.created_at = alert.created_at - timedelta(days=push_app.config["ALERT_HISTORY_DAYS"] + 1)
        db.session.commit()
        recent_deliveries = _count(AlertDelivery, alert_id=recent)
    assert recent_deliveries >= 1
    result = push_app.test_cli_runner().invoke(args=["push", "purge"])
    assert result.exit_code == 0 and "Slettet 1 varsler" in result.output
    with push_app.app_context():
        assert db.session.execute(select(Alert.id)).scalars().all() == [recent]
        assert _count(AlertDelivery, alert_id=alert_id) == 0
        assert _count(AlertAcknowledgement, alert_id=alert_id) == 0
        assert _count(AlertDelivery, alert_id=recent) == recent_deliveries


def _count(model, **where) -> int:
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.session.execute(query).scalar_one()

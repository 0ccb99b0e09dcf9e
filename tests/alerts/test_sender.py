"""The sender's own safety rules: claims are fenced, stale queue entries go back unsent."""

from __future__ import annotations

import runpy
import socket
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from backend.extensions import db
from backend.models import AlertDelivery, DeliveryStatus, Place
from backend.services.alerts import alerts as push_service
from backend.services.alerts import sender as push_sender
from backend.services.alerts import subscriptions
from backend.services.alerts.sender import MAX_QUEUE_WAIT_SECONDS, PushSender
from tests.alerts.conftest import add_device, deliveries, wait_until
from tests.fakepush import FakePushService


def _stored_alert(app, fake, monkeypatch) -> int:
    """Store an alert to one device without waking any sender."""
    monkeypatch.setattr(push_service, "_wake_sender", lambda app: None)
    add_device(app, fake)
    with app.app_context():
        place = Place(name="Rom 204")
        db.session.add(place)
        db.session.commit()
        return push_service.create_alert("alternativ-3", place.id).id


def test_result_of_a_claim_that_was_taken_over_is_discarded(push_app, fake_push, monkeypatch):
    """If another sender took a delivery over (new claim), the old claim's late result is not written."""
    _stored_alert(push_app, fake_push, monkeypatch)
    sender = PushSender(push_app)
    with push_app.app_context():
        (job,) = sender._claim(10)
        row = db.session.execute(select(AlertDelivery)).scalar_one()
        row.claimed_at = row.claimed_at + timedelta(seconds=30)  # someone else's claim now
        db.session.commit()
        sender._apply([push_sender.Result(job.delivery_id, job.claimed_at, status_code=410)])
    (row,) = deliveries(push_app)
    assert row.status == DeliveryStatus.SENDING and row.last_status_code is None


def test_job_that_waited_too_long_in_the_queue_goes_back_unsent(push_app, fake_push, monkeypatch):
    """A job stuck behind hanging posts is not sent late; it returns to pending and keeps its attempts."""
    _stored_alert(push_app, fake_push, monkeypatch)
    sender = PushSender(push_app)
    with push_app.app_context():
        (job,) = sender._claim(10)
        job.queued_at = time.monotonic() - MAX_QUEUE_WAIT_SECONDS - 1
        result = sender.send(job)
        assert result.error == "requeue"
        sender._apply([result])
    (row,) = deliveries(push_app)
    assert row.status == DeliveryStatus.PENDING and row.attempts == 0
    assert fake_push.received == []


def test_unreachable_push_service_is_retried_then_failed(push_app, place_id):
    """Connection refused counts as a failed attempt, is retried with backoff, then given up."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # nothing listens here once the socket is closed
    with FakePushService() as fake:
        device = fake.new_subscriber().subscription_json()
    device["endpoint"] = f"http://127.0.0.1:{port}/push/x"
    with push_app.app_context():
        subscriptions.subscribe(device, user_id=None, alerts=True)
        alert_id = push_service.create_alert("alternativ-3", place_id).id
    (row,) = wait_until(
        push_app, lambda: [r for r in deliveries(push_app, alert_id) if r.status == DeliveryStatus.FAILED]
    )
    assert row.last_error == "connection"
    assert row.attempts == push_app.config["PUSH_MAX_ATTEMPTS"]


def test_host_removed_from_the_allow_list_is_not_posted_to(push_apps, fake_push, monkeypatch):
    """A stored subscription whose host is no longer allowed is refused at send time too."""
    app = push_apps.make()
    alert_id = _stored_alert(app, fake_push, monkeypatch)
    monkeypatch.undo()
    stricter = push_apps.make(PUSH_ALLOWED_HOSTS=["fcm.googleapis.com"])
    push_sender.start_sender(stricter)
    (row,) = wait_until(
        stricter, lambda: [r for r in deliveries(stricter, alert_id) if r.status == DeliveryStatus.FAILED]
    )
    assert row.last_error == "host-not-allowed"
    assert fake_push.received == []


def test_expired_alert_is_not_sent(push_app, fake_push, monkeypatch):
    """An alert older than PUSH_ALERT_TTL is marked failed ("expired") instead of sent late."""
    alert_id = _stored_alert(push_app, fake_push, monkeypatch)
    with push_app.app_context():
        alert = db.session.get(push_service.Alert, alert_id)
        alert.created_at = alert.created_at - timedelta(seconds=push_app.config["PUSH_ALERT_TTL"] + 1)
        db.session.commit()
    push_sender.start_sender(push_app)
    (row,) = wait_until(
        push_app, lambda: [r for r in deliveries(push_app, alert_id) if r.status == DeliveryStatus.FAILED]
    )
    assert row.last_error == "expired"
    assert fake_push.received == []


def test_first_request_after_a_restart_resumes_stored_alerts(push_apps, fake_push, monkeypatch):
    """Outside tests the sender starts with the first request, even if no new alert is made."""
    app = push_apps.make()
    alert_id = _stored_alert(app, fake_push, monkeypatch)
    monkeypatch.undo()
    restarted = push_apps.make(TESTING=False)
    assert "push_sender" not in restarted.extensions
    assert restarted.test_client().get("/").status_code == 200
    (row,) = wait_until(
        restarted,
        lambda: [r for r in deliveries(restarted, alert_id) if r.status == DeliveryStatus.DELIVERED],
    )
    assert row.attempts == 1
    assert len(fake_push.received) == 1


def test_gunicorn_workers_start_and_stop_the_sender(push_apps, fake_push, monkeypatch):
    """gunicorn.conf.py starts the sender when a worker boots and stops it when the worker exits."""
    hooks = runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))
    app = push_apps.make()
    alert_id = _stored_alert(app, fake_push, monkeypatch)
    worker = SimpleNamespace(wsgi=app)
    hooks["post_worker_init"](worker)
    wait_until(app, lambda: [r for r in deliveries(app, alert_id) if r.status == DeliveryStatus.DELIVERED])
    sender = app.extensions["push_sender"]
    assert sender.running
    hooks["worker_exit"](None, worker)
    assert not sender.running
    assert not any(thread.is_alive() for thread in sender._threads)


def test_dispatcher_survives_a_database_outage_and_logs_the_trace_once(
    push_app, fake_push, monkeypatch, caplog
):
    """While the database fails the dispatcher retries with one short line each time, then sends."""
    alert_id = _stored_alert(push_app, fake_push, monkeypatch)
    sender = push_sender.sender_for(push_app)
    real_claim = sender._claim
    outages = []

    def failing_claim(limit):
        if len(outages) < 3:
            outages.append(limit)
            raise OperationalError("SELECT ...", {}, Exception("connection refused"))
        return real_claim(limit)

    monkeypatch.setattr(sender, "_claim", failing_claim)
    caplog.set_level("INFO", logger="backend.services.alerts.sender")
    started = time.monotonic()
    sender.start()
    wait_until(
        push_app,
        lambda: [r for r in deliveries(push_app, alert_id) if r.status == DeliveryStatus.DELIVERED],
        timeout=20,
    )
    assert len(outages) == 3 and len(fake_push.received) == 1
    assert time.monotonic() - started >= 2.9  # waited between the tries instead of spinning
    records = [r for r in caplog.records if r.name == "backend.services.alerts.sender"]
    traces = [r for r in records if r.exc_info]
    assert [r.getMessage() for r in traces] == ["Push dispatcher failed; retrying"]
    still = [r.getMessage() for r in records if r.levelname == "WARNING"]
    assert [m.split(":")[0] for m in still] == [
        "Push dispatcher still failing (2 attempts)",
        "Push dispatcher still failing (3 attempts)",
    ]
    assert "Push dispatcher works again after 3 failed attempts" in [r.getMessage() for r in records]

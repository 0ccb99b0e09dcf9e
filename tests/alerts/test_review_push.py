"""The plan's review date has passed: a push to the admins who take plan notices, once per date (issue 12)."""

from __future__ import annotations

from datetime import UTC, datetime

from backend.extensions import db
from backend.models import User
from backend.services import accounts
from backend.services.alerts import sender as push_sender
from tests.alerts.conftest import add_device, deliveries


def _make_admin(app, user_id: int) -> None:
    with app.app_context():
        user = db.session.get(User, user_id)
        user.is_admin, user.password_hash = True, "not-a-real-hash"
        db.session.commit()


def test_admins_with_plan_notices_get_one_push_when_the_review_date_passes(push_apps, fake_push, monkeypatch):
    """`flask mail review-reminder` queues the push (no SMTP needed) to admins' devices, once per date."""
    app = push_apps.make()
    _make_admin(app, 1)
    admin_device = add_device(app, fake_push, user_id=1, alerts=False, plan_updates=True)
    add_device(app, fake_push, user_id=1, alerts=True, plan_updates=False)  # alerts only: not this
    add_device(app, fake_push, user_id=2, alerts=False, plan_updates=True)  # not an admin
    runner = app.test_cli_runner()

    monkeypatch.setattr(accounts, "now", lambda: datetime(2026, 6, 1, 12, tzinfo=UTC))  # the due day
    early = runner.invoke(args=["mail", "review-reminder"])
    assert early.exit_code == 0, early.output
    assert deliveries(app) == []

    monkeypatch.setattr(accounts, "now", lambda: datetime(2026, 6, 2, 7, tzinfo=UTC))
    first = runner.invoke(args=["mail", "review-reminder"])
    assert first.exit_code == 0, first.output
    assert "Varsel om revisjonen 2026-06-01 lagt i kø til 1 enheter." in first.output
    (row,) = deliveries(app)
    assert row.notice == "review_overdue" and row.user_id == 1 and row.plan_revision_id is not None

    again = runner.invoke(args=["mail", "review-reminder"])
    assert "Varselet om revisjonen 2026-06-01 er allerede sendt." in again.output
    assert len(deliveries(app)) == 1

    server = push_apps.make()  # the running server, same database: its sender finds the stored row
    push_sender.start_sender(server)
    (push,) = fake_push.wait_for(1, admin_device)
    assert push.message == {
        "type": "review_overdue",
        "title": "Handlingsplanen skulle vært revidert",
        "body": "Planen skulle vært revidert innen 1. juni 2026. Gå gjennom den og sett ny dato.",
        "revision_id": row.plan_revision_id,
        "tag": "review-overdue",
        "url": "/admin/datoer",
    }
    assert push.headers["urgency"] == "normal"


def test_no_admin_device_yet_means_the_push_waits_for_one(push_apps, fake_push, monkeypatch):
    """With no admin device taking plan notices, nothing is claimed: a device turned on later gets it."""
    app = push_apps.make()
    _make_admin(app, 1)
    runner = app.test_cli_runner()
    monkeypatch.setattr(accounts, "now", lambda: datetime(2026, 6, 2, 7, tzinfo=UTC))
    none_yet = runner.invoke(args=["mail", "review-reminder"])
    assert "Ingen administrator har slått på varsler om planen" in none_yet.output
    add_device(app, fake_push, user_id=1, alerts=False, plan_updates=True)
    later = runner.invoke(args=["mail", "review-reminder"])
    assert "lagt i kø til 1 enheter" in later.output

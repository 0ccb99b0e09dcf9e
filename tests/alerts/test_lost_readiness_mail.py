"""Admins get an e-mail when a leader's last device with alerts disappears (the call chain lost a link)."""

from __future__ import annotations

import pytest

from backend.extensions import db
from backend.models import Place
from backend.services import mail
from backend.services.alerts import alerts as alert_service
from backend.services.alerts import subscriptions
from tests.alerts.conftest import PUSH_TEST_CONFIG, add_device, wait_until
from tests.conftest import make_app
from tests.fakepush import CREATED, GONE
from tests.mail_support import SmtpServer
from tests.support import make_user

PUBLIC_URL = "https://rusplan.halden.example"


@pytest.fixture
def smtp():
    server = SmtpServer()
    with server:
        yield server


def push_app_with(tmp_path, vapid_pem, **extra):
    """A push-enabled app with real accounts only (push_apps adds placeholder users with fixed ids,
    which PostgreSQL's id sequence does not know about)."""
    return make_app(tmp_path, **PUSH_TEST_CONFIG, VAPID_PRIVATE_KEY=vapid_pem, **extra)


@pytest.fixture
def mail_push_app(tmp_path, vapid_pem, smtp):
    """A push-enabled app that mails through the local SMTP server, with an admin and two leaders."""
    app = push_app_with(tmp_path, vapid_pem, **smtp.config(PUBLIC_URL=PUBLIC_URL))
    make_user(app, "rektor@skole.no", roles=("admin",), name="Kristin Rektor")
    make_user(app, "lars@skole.no", roles=("leader",), totp=False, name="Lars Leder")
    make_user(app, "lise@skole.no", roles=("leader",), totp=False, name="Lise Leder")
    return app


def user_id(app, email: str) -> int:
    from backend.services import accounts

    with app.app_context():
        return accounts.get_by_email(email).id


def alert(app) -> int:
    with app.app_context():
        place = Place(name="Rom 204", sort_order=1)
        db.session.add(place)
        db.session.commit()
        return alert_service.create_alert("alternativ-3", place.id).id


def subscription_count(app, owner: int) -> int:
    from sqlalchemy import func, select

    from backend.models import PushSubscription

    return db.session.execute(
        select(func.count(PushSubscription.id)).where(PushSubscription.user_id == owner)
    ).scalar_one()


def test_leader_whose_only_device_is_gone_is_reported_to_the_admins(mail_push_app, fake_push, smtp):
    """The push service says 410 for Lars's only phone: the sender forgets it, and the admin is mailed
    with Lars's name and links; Lise keeps one of her two phones, so nothing is said about her."""
    lars, lise = user_id(mail_push_app, "lars@skole.no"), user_id(mail_push_app, "lise@skole.no")
    add_device(mail_push_app, fake_push, GONE, user_id=lars)
    add_device(mail_push_app, fake_push, GONE, user_id=lise)
    add_device(mail_push_app, fake_push, CREATED, user_id=lise)
    alert(mail_push_app)
    wait_until(mail_push_app, lambda: subscription_count(mail_push_app, lars) == 0)
    wait_until(mail_push_app, lambda: subscription_count(mail_push_app, lise) == 1)

    (received,) = smtp.sink.wait_for(1)
    mail.stop_outbox(mail_push_app)
    assert len(smtp.sink.received) == 1  # nothing about Lise, who still has a phone
    assert received.recipients == ["rektor@skole.no"]
    assert received.subject == "Lars Leder får ikke lenger varsler i Rusplan"
    assert "Hei, Kristin Rektor!" in received.text
    assert "Lars Leder (lars@skole.no) får ikke lenger varsler fra Rusplan" in received.text
    assert "Ringekjeden mangler et ledd" in received.text
    assert received.links() == [f"{PUBLIC_URL}/varsel/innstillinger", f"{PUBLIC_URL}/admin/brukere/{lars}"]
    assert f'<a href="{PUBLIC_URL}/admin/brukere/{lars}">' in received.html


def test_leader_who_removes_the_last_device_is_reported(mail_push_app, fake_push, smtp):
    """Turning alerts off on the last phone (the settings page unsubscribes it) also tells the admins."""
    lars = user_id(mail_push_app, "lars@skole.no")
    phone = add_device(mail_push_app, fake_push, user_id=lars)
    with mail_push_app.app_context():
        assert subscriptions.unsubscribe(phone.endpoint, user_id=lars)
    (received,) = smtp.sink.wait_for(1)
    assert received.subject == "Lars Leder får ikke lenger varsler i Rusplan"


def test_device_without_alerts_or_of_staff_says_nothing(mail_push_app, fake_push, smtp):
    """A leader's device that only took plan updates, or a device of someone who is not a leader: no mail."""
    lars = user_id(mail_push_app, "lars@skole.no")
    admin = user_id(mail_push_app, "rektor@skole.no")
    updates_only = add_device(mail_push_app, fake_push, user_id=lars, alerts=False, plan_updates=True)
    admins_phone = add_device(mail_push_app, fake_push, user_id=admin)
    with mail_push_app.app_context():
        assert subscriptions.unsubscribe(updates_only.endpoint, user_id=lars)
        assert subscriptions.unsubscribe(admins_phone.endpoint, user_id=admin)
    mail.stop_outbox(mail_push_app)
    assert smtp.sink.none_for(0.2)


def test_without_smtp_a_gone_device_is_only_forgotten(tmp_path, vapid_pem, fake_push):
    """With no SMTP configured the sender forgets the device as before and nothing else happens."""
    push_app = push_app_with(tmp_path, vapid_pem)
    lars, _ = make_user(push_app, "lars@skole.no", roles=("leader",), totp=False)
    add_device(push_app, fake_push, GONE, user_id=lars)
    alert(push_app)
    wait_until(push_app, lambda: subscription_count(push_app, lars) == 0)
    assert push_app.extensions[mail.OUTBOX]._thread is None

"""A disabled account gets nothing: its subscriptions go, and no fan-out ever queues a delivery to it."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select, update

from backend.extensions import db
from backend.models import Alert, AlertDelivery, PlanRevision, PushSubscription, User
from backend.services import accounts
from backend.services.alerts import alerts as alert_service
from backend.services.alerts import subscriptions as push_service
from tests.conftest import make_app
from tests.push_support import PUSH_CONFIG, add_places, browser_subscription, stop
from tests.support import admin_client, make_user, post


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path, **PUSH_CONFIG)
    yield app
    stop(app)


def _subscribe(app, user_id: int, name: str, **choices) -> None:
    with app.app_context():
        push_service.subscribe(
            browser_subscription(f"https://fcm.googleapis.com/fcm/send/{name}"), user_id=user_id, **choices
        )


def _endpoints(app, user_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.execute(
                select(PushSubscription.endpoint).where(PushSubscription.user_id == user_id)
            ).scalars()
        )


def _delivered_to(app) -> set[int]:
    with app.app_context():
        return set(db.session.execute(select(AlertDelivery.user_id)).scalars())


def test_disabling_a_user_in_admin_deletes_their_subscriptions(app):
    """«Deaktiver» on a leader's page removes every device of theirs; other leaders keep theirs."""
    admin = admin_client(app)
    leaving, _ = make_user(app, "slutter@skole.no", ("leader",), totp=False)
    staying, _ = make_user(app, "blir@skole.no", ("leader",), totp=False)
    _subscribe(app, leaving, "phone", alerts=True, drills=True)
    _subscribe(app, leaving, "tablet", plan_updates=True)
    _subscribe(app, staying, "other", alerts=True)
    response = post(admin, f"/admin/brukere/{leaving}/deaktiver")
    assert response.status_code == 302
    assert _endpoints(app, leaving) == []
    assert _endpoints(app, staying) == ["https://fcm.googleapis.com/fcm/send/other"]


def test_disabling_from_the_command_line_deletes_their_subscriptions_too(app):
    """`flask users disable` goes through the same service: the devices are gone."""
    leaving, _ = make_user(app, "slutter@skole.no", ("leader",), totp=False)
    _subscribe(app, leaving, "phone", alerts=True)
    result = app.test_cli_runner().invoke(args=["users", "disable", "slutter@skole.no"])
    assert result.exit_code == 0, result.output
    assert _endpoints(app, leaving) == []


def test_pending_deliveries_of_a_disabled_user_lose_their_device(app):
    """A delivery queued just before the account was disabled has no device left to go to."""
    (place_id,) = add_places(app, "Rom 204")
    leaving, _ = make_user(app, "slutter@skole.no", ("leader",), totp=False)
    _subscribe(app, leaving, "phone", alerts=True)
    with app.app_context():
        alert_service.create_alert("alternativ-3", place_id, recipient_user_ids=[leaving])
        accounts.disable_user(db.session.get(User, leaving), actor=None)
        (delivery,) = db.session.execute(select(AlertDelivery)).scalars().all()
        assert delivery.subscription_id is None  # the sender settles it as gone, never posts it


def _disable_keeping_rows(app, user_id: int) -> None:
    """Disable an account as older versions did: its subscription rows stay behind."""
    with app.app_context():
        db.session.get(User, user_id).disabled = True
        db.session.commit()


@pytest.mark.parametrize("drill", [False, True])
def test_no_alert_or_drill_is_queued_to_a_disabled_user(app, drill):
    """Even with a subscription row left (disabled before this rule), alerts and drills skip the user."""
    (place_id,) = add_places(app, "Rom 204")
    leaving, _ = make_user(app, "slutter@skole.no", ("leader",), totp=False)
    staying, _ = make_user(app, "blir@skole.no", ("leader",), totp=False)
    for user_id in (leaving, staying):
        _subscribe(app, user_id, f"u{user_id}", alerts=True, drills=True)
    _disable_keeping_rows(app, leaving)
    with app.app_context():
        # Every recipient list a caller could pass, also one naming the disabled user outright.
        alert_service.create_alert("alternativ-3", place_id, drill=drill)
        alert_service.create_alert(
            "alternativ-4", place_id, drill=drill, recipient_user_ids=[leaving, staying]
        )
        sender = db.session.get(User, staying)
        alert_service.send_alert("alternativ-3", place_id, drill=drill, sender=db.session.get(User, leaving))
        alert_service.send_alert("alternativ-4", place_id, drill=drill, sender=sender)
    assert leaving not in _delivered_to(app)
    assert staying in _delivered_to(app)


def test_no_plan_update_is_queued_to_a_disabled_user(app):
    """«Handlingsplanen er oppdatert» goes to active accounts' devices only."""
    leaving, _ = make_user(app, "slutter@skole.no", ("staff",), totp=False)
    staying, _ = make_user(app, "blir@skole.no", ("staff",), totp=False)
    for user_id in (leaving, staying):
        _subscribe(app, user_id, f"u{user_id}", plan_updates=True)
    _disable_keeping_rows(app, leaving)
    with app.app_context():
        revision = db.session.execute(select(PlanRevision).order_by(PlanRevision.id.desc())).scalars().first()
        assert alert_service.notify_plan_update(revision, wake=False) == 1
    assert _delivered_to(app) == {staying}


def test_the_migration_forgets_disabled_users_devices_and_endpoints_not_in_the_strict_form(app):
    """Rows stored before these rules: a disabled person's device and prose endpoints are deleted."""
    from flask_migrate import downgrade, upgrade

    leaving, _ = make_user(app, "slutter@skole.no", ("leader",), totp=False)
    staying, _ = make_user(app, "blir@skole.no", ("leader",), totp=False)
    (place_id,) = add_places(app, "Rom 204")
    kept = [
        "https://fcm.googleapis.com/fcm/send/abc:APA91b-x_y",
        "https://wns2-par02p.notify.windows.com/w/?token=BQYAAA%2fb%2B%3d",
        "http://127.0.0.1:5001/push/abc",
    ]
    refused = [
        "https://fcm.googleapis.com/fcm/send/Ola%20Nordmann%202STA%20ruset",
        "https://127.0.0.1\\.push.apple.com/x",
        "https://fcm.googleapis.com/fcm/send/" + "x" * 1000,
        "https://web.push.apple.com./x",
    ]
    with app.app_context():
        downgrade(revision="f1c3a5e7b9d2")
        for number, endpoint in enumerate([*kept, *refused]):
            db.session.add(
                PushSubscription(endpoint=endpoint, p256dh="p", auth="a", user_id=staying, alerts=True)
            )
            db.session.add(
                PushSubscription(
                    endpoint=f"https://fcm.googleapis.com/fcm/send/d{number}", p256dh="p", auth="a"
                )
            )
        db.session.add(
            PushSubscription(endpoint="https://fcm.googleapis.com/fcm/send/gone", p256dh="p", auth="a")
        )
        db.session.flush()
        disabled_device = PushSubscription(
            endpoint="https://fcm.googleapis.com/fcm/send/left",
            p256dh="p",
            auth="a",
            user_id=leaving,
            alerts=True,
        )
        db.session.add(disabled_device)
        db.session.execute(update(User.__table__).where(User.__table__.c.id == leaving).values(disabled=True))
        db.session.commit()
        alert = Alert(alternative="alternativ-3", place_id=place_id, ack_nonce=bytes(16))
        db.session.add(alert)
        db.session.flush()
        # Core, naming only columns this older schema has (the model may have more by now).
        db.session.execute(
            insert(AlertDelivery.__table__).values(
                alert_id=alert.id, subscription_id=disabled_device.id, user_id=leaving
            )
        )
        db.session.commit()
        upgrade()
        stored = set(db.session.execute(select(PushSubscription.endpoint)).scalars())
        deliveries = db.session.execute(
            select(AlertDelivery).where(AlertDelivery.alert_id == alert.id)
        ).scalars()
        assert all(delivery.subscription_id is None for delivery in deliveries)
    assert set(kept) <= stored
    assert not stored & {*refused, "https://fcm.googleapis.com/fcm/send/left"}

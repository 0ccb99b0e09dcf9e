"""/varsel/abonnement/bytt (the service worker's pushsubscriptionchange) moves only your own subscription.

The endpoint alone is no credential: the push service knows it, and it can leak. A move needs the
signed-in owner, or the old subscription's auth secret that only the device and the server hold;
and it is rate-limited per address.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.extensions import db
from backend.models import PushSubscription
from backend.services.alerts import subscriptions as push_service
from tests.conftest import make_app
from tests.push_support import PUSH_CONFIG, browser_subscription, stop
from tests.support import login, make_user

URL = "/varsel/abonnement/bytt"


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path, **PUSH_CONFIG)
    yield app
    stop(app)


@pytest.fixture
def victim(app):
    """A leader's phone, subscribed to alerts: (user id, the browser's subscription)."""
    user_id, _ = make_user(app, "leder@skole.no", ("leader",), totp=False)
    phone = browser_subscription("https://fcm.googleapis.com/fcm/send/leaders-phone")
    with app.app_context():
        push_service.subscribe(phone, user_id=user_id, alerts=True, drills=True)
    return user_id, phone


def _rows(app) -> list[tuple]:
    with app.app_context():
        return [
            (row.endpoint, row.p256dh, row.auth, row.user_id)
            for row in db.session.execute(select(PushSubscription).order_by(PushSubscription.id)).scalars()
        ]


def test_an_anonymous_request_with_only_the_endpoint_cannot_move_a_subscription(app, victim):
    """Knowing a leader's endpoint is not enough to send their alerts to the attacker's device."""
    _user_id, phone = victim
    before = _rows(app)
    attacker = browser_subscription("https://fcm.googleapis.com/fcm/send/attacker")
    response = app.test_client().post(URL, json={"old_endpoint": phone["endpoint"], "subscription": attacker})
    assert response.status_code == 404
    assert _rows(app) == before


@pytest.mark.parametrize(
    "old_auth",
    ["AAAAAAAAAAAAAAAAAAAAAA", "", "x" * 100, "ø", None, 7, ["a"], "AAAAAAAAAAAAAAAAAAAAAA=="],
)
def test_a_wrong_auth_secret_is_refused_like_an_unknown_endpoint(app, victim, old_auth):
    """A wrong, empty or odd `old_auth` gets the very answer an unknown endpoint gets: 404."""
    _user_id, phone = victim
    before = _rows(app)
    new = browser_subscription("https://fcm.googleapis.com/fcm/send/attacker")
    client = app.test_client()
    wrong = client.post(
        URL, json={"old_endpoint": phone["endpoint"], "old_auth": old_auth, "subscription": new}
    )
    unknown = client.post(
        URL,
        json={
            "old_endpoint": "https://fcm.googleapis.com/fcm/send/nobody",
            "old_auth": old_auth,
            "subscription": new,
        },
    )
    assert (wrong.status_code, wrong.get_json()) == (unknown.status_code, unknown.get_json())
    assert wrong.status_code == 404
    assert _rows(app) == before


def test_the_device_that_holds_the_auth_secret_moves_its_subscription(app, victim):
    """The service worker sends the old subscription's auth secret: the move works, choices kept."""
    user_id, phone = victim
    new = browser_subscription("https://fcm.googleapis.com/fcm/send/renewed")
    response = app.test_client().post(
        URL, json={"old_endpoint": phone["endpoint"], "old_auth": phone["keys"]["auth"], "subscription": new}
    )
    assert response.status_code == 200, response.get_json()
    assert _rows(app) == [(new["endpoint"], new["keys"]["p256dh"], new["keys"]["auth"], user_id)]
    with app.app_context():
        row = db.session.execute(select(PushSubscription)).scalar_one()
        assert (row.alerts, row.drills) == (True, True)


def test_the_signed_in_owner_moves_their_subscription_without_the_secret(app, victim):
    """The owner's session is proof enough (a service worker's fetch carries the session cookie)."""
    _user_id, phone = victim
    client = app.test_client()
    login(client, "leder@skole.no")
    new = browser_subscription("https://fcm.googleapis.com/fcm/send/renewed")
    response = client.post(URL, json={"old_endpoint": phone["endpoint"], "subscription": new})
    assert response.status_code == 200
    assert _rows(app)[0][0] == new["endpoint"]


def test_another_signed_in_user_cannot_move_someone_elses_subscription(app, victim):
    """A colleague's session is no proof for the leader's device."""
    _user_id, phone = victim
    make_user(app, "kollega@skole.no", ("staff",), totp=False)
    client = app.test_client()
    login(client, "kollega@skole.no")
    before = _rows(app)
    new = browser_subscription("https://fcm.googleapis.com/fcm/send/attacker")
    assert client.post(URL, json={"old_endpoint": phone["endpoint"], "subscription": new}).status_code == 404
    assert _rows(app) == before


def test_a_move_onto_another_persons_device_neither_deletes_nor_takes_it(app, victim):
    """Moving your own subscription to the leader's endpoint would drop their row: refused."""
    _user_id, phone = victim
    other, _ = make_user(app, "kollega@skole.no", ("staff",), totp=False)
    own = browser_subscription("https://fcm.googleapis.com/fcm/send/own")
    with app.app_context():
        push_service.subscribe(own, user_id=other, plan_updates=True)
    before = _rows(app)
    onto_victim = {**browser_subscription(), "endpoint": phone["endpoint"]}
    response = app.test_client().post(
        URL,
        json={"old_endpoint": own["endpoint"], "old_auth": own["keys"]["auth"], "subscription": onto_victim},
    )
    assert response.status_code == 404
    assert _rows(app) == before


def test_subscription_changes_are_rate_limited_per_address(tmp_path):
    """Guessing is slowed down: past 30 a minute from one address the answer is 429."""
    app = make_app(tmp_path, **PUSH_CONFIG, RATELIMIT_ENABLED=True)
    try:
        client = app.test_client()
        body = {
            "old_endpoint": "https://fcm.googleapis.com/fcm/send/x",
            "subscription": browser_subscription(),
        }
        statuses = [client.post(URL, json=body).status_code for _ in range(31)]
        assert statuses[:30] == [404] * 30
        assert statuses[30] == 429
    finally:
        stop(app)

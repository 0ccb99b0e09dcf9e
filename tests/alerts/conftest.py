"""Fixtures for the Web Push tests: a fake push service and an app allowed to post to it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from backend.extensions import db
from backend.models import AlertDelivery, Place, User
from backend.services.alerts import sender as push_sender
from backend.services.alerts import subscriptions as push_service
from backend.services.plan import revision_cache
from tests.conftest import make_app
from tests.fakepush import FakePushService, Reply, Subscriber

# Short timeouts and backoff so retries and hangs take fractions of a second in tests.
PUSH_TEST_CONFIG = {
    "PUSH_ALLOWED_HOSTS": ["fcm.googleapis.com", "*.push.apple.com", "http://127.0.0.1"],
    "PUSH_TIMEOUT_CONNECT": 1.0,
    "PUSH_TIMEOUT_READ": 0.5,
    "PUSH_RETRY_BASE_SECONDS": 0.1,
    "PUSH_RETRY_MAX_SECONDS": 5.0,
    "PUSH_MAX_ATTEMPTS": 4,
    "PUSH_POLL_SECONDS": 0.2,
    "PUSH_SENDER_THREADS": 4,
    "VAPID_SUBJECT": "mailto:rektor@skole.example",
}


@pytest.fixture(scope="session")
def vapid_pem() -> str:
    """A VAPID private key for the test session, so no test writes a key into instance/."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture
def fake_push() -> Iterator[FakePushService]:
    """A fake push service on 127.0.0.1 for one test."""
    with FakePushService() as service:
        yield service


class PushApps:
    """Makes apps on one database file (to test restarts), and stops their senders afterwards."""

    def __init__(self, tmp_path, vapid_pem: str) -> None:
        self.tmp_path = tmp_path
        self.vapid_pem = vapid_pem
        self.apps = []

    def make(self, **extra):
        app = make_app(self.tmp_path, **{**PUSH_TEST_CONFIG, "VAPID_PRIVATE_KEY": self.vapid_pem, **extra})
        self.apps.append(app)
        _ensure_users(app)
        return app

    def close(self) -> None:
        for app in self.apps:
            push_sender.stop_sender(app)
            with app.app_context():
                db.engine.dispose()
        revision_cache.clear()


def _ensure_users(app, count: int = 8) -> None:
    """Make the accounts the tests' user ids point at (user.id is a foreign key of the push tables)."""
    with app.app_context():
        for number in range(1, count + 1):
            if db.session.get(User, number) is None:
                db.session.add(
                    User(
                        id=number,
                        email=f"bruker{number}@skole.no",
                        name=f"Bruker {number}",
                        session_token="t",
                    )
                )
        db.session.commit()


@pytest.fixture
def push_apps(tmp_path, vapid_pem) -> Iterator[PushApps]:
    """A maker of push-enabled apps sharing one database file."""
    apps = PushApps(tmp_path, vapid_pem)
    yield apps
    apps.close()


@pytest.fixture
def push_app(push_apps):
    """An app that may post to the fake push service on 127.0.0.1."""
    return push_apps.make()


@pytest.fixture
def place_id(push_app) -> int:
    """A place from the admin's list: "Rom 204"."""
    with push_app.app_context():
        place = Place(name="Rom 204", sort_order=1)
        db.session.add(place)
        db.session.commit()
        return place.id


def add_device(
    app,
    fake: FakePushService,
    *replies: Reply,
    user_id: int | None = None,
    alerts: bool = True,
    plan_updates: bool = False,
    drills: bool = False,
) -> Subscriber:
    """Make a subscriber on the fake service and store its subscription as the browser would."""
    subscriber = fake.new_subscriber(*replies)
    with app.app_context():
        push_service.subscribe(
            subscriber.subscription_json(),
            user_id=user_id,
            alerts=alerts,
            plan_updates=plan_updates,
            drills=drills,
        )
    return subscriber


def wait_until(app, check, timeout: float = 30.0, interval: float = 0.02):
    """Poll `check()` inside an app context until it returns something truthy; return that."""
    deadline = time.monotonic() + timeout
    while True:
        with app.app_context():
            value = check()
            db.session.rollback()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


def deliveries(app, alert_id: int | None = None) -> list[AlertDelivery]:
    """Return the delivery rows (of one alert), detached for reading."""
    with app.app_context():
        query = select(AlertDelivery).order_by(AlertDelivery.id)
        if alert_id is not None:
            query = query.where(AlertDelivery.alert_id == alert_id)
        rows = list(db.session.execute(query).scalars())
        db.session.expunge_all()
        return rows

"""The service worker's pushsubscriptionchange, in Chromium: a real renewal moves the subscription.

Headless Chromium never fires pushsubscriptionchange by itself, so the test calls the worker's own
listener (a top-level function of the classic worker script) with the event a browser would give:
the old subscription (its endpoint and keys, as PushSubscription.toJSON() has them) and the new one.
The device is signed out, as a phone often is when the push service renews: the old subscription's
auth secret, which the worker sends, is what lets the server move it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from backend.extensions import db
from backend.models import PushSubscription
from backend.services.alerts import subscriptions as push_service
from tests.browser.conftest import PHONE, LiveServer, serving_with_alerts
from tests.conftest import make_app
from tests.push_support import PUSH_CONFIG, browser_subscription
from tests.support import make_user

pytestmark = pytest.mark.browser

RENEW = """async ([old, renewed]) => {
    const asSubscription = (json) => ({
        endpoint: json.endpoint,
        options: { userVisibleOnly: true, applicationServerKey: null },
        toJSON: () => json,
    });
    const waits = [];
    subscriptionChanged({
        oldSubscription: asSubscription(old),
        newSubscription: asSubscription(renewed),
        waitUntil: (promise) => waits.push(promise),
    });
    await Promise.all(waits);
}"""


@pytest.fixture
def server(school, tmp_path) -> Iterator[LiveServer]:
    app = make_app(tmp_path, school=school.folder, **PUSH_CONFIG)
    with serving_with_alerts(app) as running:
        yield running


def _rows(app) -> list[tuple]:
    with app.app_context():
        rows = db.session.execute(select(PushSubscription)).scalars().all()
        return [(row.endpoint, row.auth, row.user_id, row.alerts) for row in rows]


def test_the_service_worker_moves_its_own_subscription_and_no_one_elses(browser, server):
    """The worker sends the old auth secret: its renewal is stored; a forged old subscription is not."""
    app, base = server.app, server.url
    leader_id, _ = make_user(app, "leder@skole.no", ("leader",), totp=False)
    old = browser_subscription("https://fcm.googleapis.com/fcm/send/old-device")
    with app.app_context():
        push_service.subscribe(old, user_id=leader_id, alerts=True)
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(f"{base}/")
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        (worker,) = [w for w in context.service_workers if w.url.startswith(base)]

        # Someone who knows only the endpoint: another auth secret, so the server moves nothing.
        forged = {**old, "keys": {**old["keys"], "auth": browser_subscription()["keys"]["auth"]}}
        worker.evaluate(RENEW, [forged, browser_subscription("https://fcm.googleapis.com/fcm/send/thief")])
        assert _rows(app) == [(old["endpoint"], old["keys"]["auth"], leader_id, True)]

        renewed = browser_subscription("https://fcm.googleapis.com/fcm/send/new-device")
        worker.evaluate(RENEW, [json.loads(json.dumps(old)), renewed])
        assert _rows(app) == [(renewed["endpoint"], renewed["keys"]["auth"], leader_id, True)]
    finally:
        context.close()

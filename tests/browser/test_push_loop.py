"""Browser test of the whole alert loop: a leader subscribes, a teacher alerts, the leader answers.

Headless Chromium cannot reach a real push service, so PushManager.subscribe is stubbed (in the
page, before any script runs) to return the fake push service's endpoint and keys; everything else
is the app's real code: push.js subscribes and posts, the server stores and sends with VAPID, the
fake service verifies and decrypts, and the decrypted message is handed to the leader's service
worker with the DevTools protocol (ServiceWorker.deliverPushMessage), as a push service would.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from backend.extensions import db
from backend.models import Alert, PushSubscription
from backend.services import vapid as vapid_service
from tests.browser.conftest import PHONE, LiveServer, School, serving_with_alerts
from tests.browser.offline_helpers import plural
from tests.browser.test_admin import assert_accessible
from tests.conftest import make_app
from tests.fakepush import FakePushService, Subscriber
from tests.push_support import PUSH_CONFIG, add_places
from tests.support import PASSWORD, make_user

pytestmark = pytest.mark.browser

LEADER = "rektor@skole.no"
TEACHER = "laerer@skole.no"
# Above the alert form in drill mode (and hidden otherwise).
DRILL_FORM = "ØVELSE – varselet sendes som øvelse, bare til dem som vil ha øvelser."

# Runs in the leader's pages before the app's scripts: subscribe() and getSubscription() answer with
# the fake subscriber, and the key the app passed is kept for the test to check.
STUB_PUSH_MANAGER = """
(() => {
  const fake = %s;
  let subscribed = false;
  const subscription = {
    endpoint: fake.endpoint,
    expirationTime: null,
    options: { userVisibleOnly: true, applicationServerKey: null },
    toJSON() { return { endpoint: fake.endpoint, expirationTime: null, keys: fake.keys }; },
    async unsubscribe() { subscribed = false; return true; },
  };
  PushManager.prototype.subscribe = async function (options) {
    const key = new Uint8Array(options.applicationServerKey);
    window.__subscribedWith = {
      userVisibleOnly: options.userVisibleOnly,
      key: btoa(String.fromCharCode(...key)).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, ""),
    };
    subscribed = true;
    return subscription;
  };
  PushManager.prototype.getSubscription = async function () { return subscribed ? subscription : null; };
})();
"""


@pytest.fixture
def push_server(school, tmp_path) -> Iterator[LiveServer]:
    """The app, allowed to post to the fake push service, served on 127.0.0.1."""
    app = make_app(tmp_path, school=school.folder, **PUSH_CONFIG)
    with serving_with_alerts(app) as server:
        yield server


@pytest.fixture
def fake_push() -> Iterator[FakePushService]:
    with FakePushService() as service:
        yield service


def new_phone(browser: Browser) -> BrowserContext:
    return browser.new_context(**PHONE)


def log_in(page: Page, base: str, email: str, school: School) -> None:
    page.goto(f"{base}/konto/logg-inn")
    page.get_by_label(school.t("E-post")).fill(email)
    page.get_by_label(school.t("Passord")).fill(PASSWORD)
    page.get_by_role("button", name=school.t("Logg inn")).tap()
    page.wait_for_url(f"{base}/konto")


def sent_to(school: School, devices: int) -> str:
    """«Sendt til 1 enhet»: the start of the sender's line on how many devices the alert went to."""
    line = plural(
        school,
        "Sendt til %(num)d enhet, levert til %(delivered)s.",
        "Sendt til %(num)d enheter, levert til %(delivered)s.",
        devices,
        delivered="",
    )
    return line.split(",")[0]


def alert_label(procedure) -> str:
    """What the alert form and the alert screen call a procedure: «label: title»."""
    return f"{procedure.label}: {procedure.title}"


def role_in_answer(contact) -> str:
    """The contact's title as an answer names it: «Kristin Støten (rektor): kommer»."""
    return contact.role[:1].lower() + contact.role[1:]


@pytest.mark.per_school("urgent_id", School.urgent_ids)
def test_alert_from_emergency_mode_reaches_the_leader_who_answers(
    browser, push_server, fake_push, school: School, urgent_id
):
    """Subscribe on the settings page; alert from emergency mode; the push arrives; «Jeg kommer» shows up.

    The leader is the first in the school's call chain (the rektor), the alert is about each of the
    school's urgent procedures."""
    app, base = push_server.app, push_server.url
    rector = school.plan.call_chain()[0]
    urgent = school.plan.procedure(urgent_id)
    make_user(app, LEADER, ("leader",), totp=False, name=rector.name, contact_id=rector.id)
    make_user(app, TEACHER, ("staff",), totp=False, name="Lærer Lise")
    add_places(app, "Rom 204", "Kantina")
    with app.app_context():
        server_key = vapid_service.load_keys(app).application_server_key
    subscriber: Subscriber = fake_push.new_subscriber()
    fake_push.expected_vapid_key = server_key  # like FCM: only the key the browser subscribed with

    # --- The leader's phone: turn alerts on from the settings page.
    leader = new_phone(browser)
    teacher = new_phone(browser)
    try:
        leader.grant_permissions(["notifications"], origin=base)
        fake = {"endpoint": subscriber.endpoint, "keys": subscriber.subscription_json()["keys"]}
        leader.add_init_script(STUB_PUSH_MANAGER % json.dumps(fake))
        leader_page = leader.new_page()
        registrations: dict[str, str] = {}
        cdp = leader.new_cdp_session(leader_page)
        cdp.on(
            "ServiceWorker.workerRegistrationUpdated",
            lambda event: registrations.update(
                {r["scopeURL"]: r["registrationId"] for r in event["registrations"] if not r["isDeleted"]}
            ),
        )
        cdp.send("ServiceWorker.enable")

        log_in(leader_page, base, LEADER, school)
        leader_page.goto(f"{base}/varsel/innstillinger")
        # Nothing is asked or sent on load: the subscription comes only after the tap.
        expect(leader_page.get_by_text(school.t("Varsler er av på denne telefonen."))).to_be_visible()
        assert leader_page.evaluate("window.__subscribedWith === undefined")
        # The choice names the school's own urgent procedures, the ones an alert can be about.
        procedures = ", ".join(procedure.label for procedure in school.plan.urgent_procedures())
        alerts_choice = school.t(
            "Varsel fra akuttmodus (%(procedures)s) – for ledelsen", procedures=procedures
        )
        expect(leader_page.get_by_label(alerts_choice, exact=True)).to_be_checked()
        assert_accessible(leader_page)
        leader_page.get_by_role("button", name=school.t("Slå på varsler")).tap()
        expect(leader_page.get_by_text(school.t("Varsler er slått på for denne telefonen."))).to_be_visible(
            timeout=15000
        )
        assert leader_page.evaluate("window.__subscribedWith") == {"userVisibleOnly": True, "key": server_key}
        with app.app_context():
            stored = db.session.execute(select(PushSubscription)).scalar_one()
            assert stored.endpoint == subscriber.endpoint and stored.alerts is True and stored.drills is False

        # --- The teacher's phone: emergency mode, call buttons first, then «Varsle ledelsen».
        teacher_page = teacher.new_page()
        log_in(teacher_page, base, TEACHER, school)
        teacher_page.goto(f"{base}/akutt/{urgent.id}")
        link = teacher_page.get_by_role("link", name=school.t("Varsle ledelsen"))
        first_call = teacher_page.locator("a[href^='tel:']").first
        assert first_call.bounding_box()["y"] < link.bounding_box()["y"]
        link.tap()
        teacher_page.wait_for_url(f"{base}/varsel/ny?alternativ={urgent.id}")
        expect(teacher_page.get_by_label(alert_label(urgent))).to_be_checked()
        expect(teacher_page.get_by_text(school.t(DRILL_FORM))).to_be_hidden()
        assert_accessible(teacher_page)
        for choice in teacher_page.locator(".choice").all():
            assert choice.bounding_box()["height"] >= 44
        teacher_page.get_by_label("Rom 204").tap()
        teacher_page.get_by_role("button", name=school.t("Send varsel til ledelsen")).tap()
        teacher_page.wait_for_url(f"{base}/varsel/*")
        expect(teacher_page.get_by_text(sent_to(school, 1))).to_be_visible()

        # --- The fake push service receives the message, checks VAPID and decrypts it.
        (push,) = fake_push.wait_for(1, subscriber, timeout=15)
        assert push.vapid_ok, push.vapid_error
        assert push.headers["urgency"] == "high" and int(push.headers["ttl"]) > 0
        message = push.message
        assert message["title"] == school.t("Varsel til ledelsen")
        assert message["body"].endswith("– Rom 204") and message["body"].startswith(urgent.label)
        delivered = plural(
            school,
            "Levert til %(reached)s av %(num)d leder",
            "Levert til %(reached)s av %(num)d ledere",
            1,
            reached=1,
        )
        expect(teacher_page.locator("[data-alert-delivery]")).to_have_text(delivered, timeout=20000)

        # --- The push service hands it to the leader's phone: DevTools delivers it to the service worker.
        deadline = time.monotonic() + 15
        while f"{base}/" not in registrations and time.monotonic() < deadline:
            leader_page.wait_for_timeout(100)
        cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": base, "registrationId": registrations[f"{base}/"], "data": push.plaintext.decode()},
        )
        read_notifications = """async () => {
            const registration = await navigator.serviceWorker.ready;
            return (await registration.getNotifications()).map((n) => ({
                title: n.title, body: n.body, tag: n.tag, requireInteraction: n.requireInteraction,
                actions: n.actions.map((a) => a.title), ackUrl: n.data.ack_url,
            }));
        }"""
        notifications = []
        deadline = time.monotonic() + 30  # a loaded CI machine (two passes on two cores) can take >10 s
        while not notifications and time.monotonic() < deadline:
            notifications = leader_page.evaluate(read_notifications)
            leader_page.wait_for_timeout(100)
        assert len(notifications) == 1, notifications
        shown = notifications[0]
        assert shown["title"] == school.t("Varsel til ledelsen") and "Rom 204" in shown["body"]
        assert shown["actions"] == [school.t("Jeg kommer"), school.t("Åpne")]
        assert shown["requireInteraction"] is True
        assert shown["tag"] == f"alert-{message['alert_id']}"

        # --- «Jeg kommer». A real tap on a notification's button cannot be made in headless Chromium,
        # so the test calls the service worker's own notificationclick listener (a top-level function of
        # the classic worker script, so a property of its global scope) with the shown notification and
        # the action, and waits for what it waits for. Nothing test-only is in the production worker.
        workers = [w for w in leader.service_workers if w.url.startswith(base)]
        assert workers, "the leader's service worker is not running"
        clicked = workers[0].evaluate(
            """async (tag) => {
                const [notification] = await self.registration.getNotifications({ tag });
                const waits = [];
                notificationClicked({ notification, action: "kommer", waitUntil: (p) => waits.push(p) });
                await Promise.all(waits);
                return (await self.registration.getNotifications({ tag })).length;
            }""",
            shown["tag"],
        )
        assert clicked == 0  # the notification is closed once handled

        # --- The teacher's screen updates by itself (htmx polling) and names who is coming.
        answer = school.t("%(name)s (%(role)s): kommer", name=rector.name, role=role_in_answer(rector))
        expect(teacher_page.get_by_text(answer)).to_be_visible(timeout=20000)
        # The answer is the first thing on the teacher's screen, above the calls.
        coming = teacher_page.locator("[data-alert-coming]")
        expect(coming).to_have_text(school.t("%(name)s kommer", name=rector.name))
        expect(
            teacher_page.get_by_text(school.t("Alle i ledelsen som fikk varselet har svart."))
        ).to_be_visible()
        assert_accessible(teacher_page)
        calls = teacher_page.locator("a[href^='tel:']").first.bounding_box()["y"]
        assert coming.bounding_box()["y"] < calls
    finally:
        leader.close()
        teacher.close()


def test_in_drill_mode_the_alert_is_sent_as_a_drill(browser, push_server, school: School):
    """With drill mode on in emergency mode, the form says ØVELSE and the alert is stored as a drill."""
    app, base = push_server.app, push_server.url
    urgent = school.plan.urgent_procedures()[-1]
    make_user(app, TEACHER, ("staff",), totp=False, name="Lærer Lise")
    add_places(app, "Kantina")
    phone = new_phone(browser)
    try:
        page = phone.new_page()
        log_in(page, base, TEACHER, school)
        page.goto(f"{base}/akutt/{urgent.id}")
        page.get_by_role("switch", name=school.t("Øvelse: merk alt som øvelse, ikke en ekte sak")).tap()
        page.get_by_role("link", name=school.t("Varsle ledelsen")).tap()
        page.wait_for_url(f"{base}/varsel/ny?alternativ={urgent.id}")
        expect(page.get_by_text(school.t(DRILL_FORM))).to_be_visible()
        assert page.locator("input[name='drill']").input_value() == "1"
        page.get_by_label("Kantina").tap()
        page.get_by_role("button", name=school.t("Send varsel til ledelsen")).tap()
        page.wait_for_url(f"{base}/varsel/*")
        expect(page.locator("h1")).to_contain_text(school.t("ØVELSE"))
        with app.app_context():
            alert = db.session.execute(select(Alert)).scalar_one()
            assert alert.drill is True and alert.alternative == urgent.id
    finally:
        phone.close()


IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)


def test_on_an_iphone_the_page_first_explains_the_home_screen(browser, push_server, school: School):
    """In iPhone Safari (not from the home screen) the settings page shows the steps, not the button."""
    app, base = push_server.app, push_server.url
    make_user(app, LEADER, ("leader",), totp=False, name=school.plan.call_chain()[0].name)
    phone = browser.new_context(**PHONE, user_agent=IPHONE_SAFARI)
    try:
        page = phone.new_page()
        log_in(page, base, LEADER, school)
        page.goto(f"{base}/varsel/innstillinger")
        expect(
            page.get_by_role("heading", name=school.t("På iPhone: legg Rusplan på Hjem-skjermen først"))
        ).to_be_visible()
        expect(
            page.get_by_text(school.t("Velg «Legg til på Hjem-skjerm», og trykk «Legg til»."))
        ).to_be_visible()
        expect(page.get_by_role("button", name=school.t("Slå på varsler"))).to_be_hidden()
        expect(
            page.get_by_text(school.t("Varsler krever at JavaScript er slått på i nettleseren."))
        ).to_be_hidden()
        assert page.evaluate("Notification.permission") == "default"  # nothing was asked
    finally:
        phone.close()

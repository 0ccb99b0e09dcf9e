"""Browser tests: every outcome of «Slå på varsler» has Norwegian text and a visible state (360×640).

The browser's push APIs are stubbed in the page before any script runs (page.add_init_script):
permission answers, a subscribe() that rejects with Chrome's own English error, or one that hangs.
No English browser message may reach the page.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import LiveServer, School, serving_with_alerts
from tests.browser.offline_helpers import plural, strong_part
from tests.browser.test_admin import assert_accessible
from tests.conftest import make_app
from tests.fakepush import FakePushService
from tests.push_support import PUSH_CONFIG
from tests.support import PASSWORD, make_user

pytestmark = pytest.mark.browser

LEADER = "leder@skole.no"
SMALL_PHONE = {
    "viewport": {"width": 360, "height": 640},
    "is_mobile": True,
    "has_touch": True,
    "locale": "nb-NO",
}
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
CHROME_ERROR = "Registration failed - permission denied"
ENGLISH = ("Registration failed", "permission denied", "AbortError", "NotAllowedError", "Error:")

# Permission is answered by the stub, never by a real prompt.
PERMISSION = "Notification.requestPermission = async () => %s;"
FAKE_SUBSCRIPTION = """
(() => {
  const fake = %s;
  let subscribed = false;
  const subscription = {
    endpoint: fake.endpoint,
    toJSON() { return { endpoint: fake.endpoint, expirationTime: null, keys: fake.keys }; },
    async unsubscribe() { subscribed = false; return true; },
  };
  PushManager.prototype.subscribe = async function () { subscribed = true; return subscription; };
  PushManager.prototype.getSubscription = async function () { return subscribed ? subscription : null; };
})();
"""
SUBSCRIBE_THROWS = """
PushManager.prototype.getSubscription = async function () { return null; };
PushManager.prototype.subscribe = async function () { throw new DOMException(MESSAGE, NAME); };
"""
SUBSCRIBE_REJECTS = SUBSCRIBE_THROWS.replace(
    "MESSAGE", json.dumps("Registration failed - push service error")
).replace("NAME", '"AbortError"')
SUBSCRIBE_NOT_ALLOWED = SUBSCRIBE_THROWS.replace("MESSAGE", json.dumps(CHROME_ERROR)).replace(
    "NAME", '"NotAllowedError"'
)
SUBSCRIBE_HANGS = """
PushManager.prototype.getSubscription = async function () { return null; };
PushManager.prototype.subscribe = function () { return new Promise(() => {}); };
"""
NO_PUSH = "delete window.PushManager;"
UNSUPPORTED = (
    "Denne nettleseren kan ikke ta imot varsler. Prøv Chrome, Edge, Firefox eller Safari "
    "(iOS 16.4 eller nyere, lagt på Hjem-skjermen)."
)
# How to allow notifications again, per kind of device: each text starts with the device in <strong>.
UNBLOCK_HELP = (
    "<strong>Android (Chrome):</strong> trykk på ikonet til venstre for adressen, velg «Tillatelser» eller "
    "«Varsler», og slå på varsler. Eller: Innstillinger → Apper → Chrome → Varsler.",
    "<strong>iPhone (Rusplan på Hjem-skjermen):</strong> Innstillinger → Varslinger → Rusplan → slå på "
    "«Tillat varslinger».",
    "<strong>Datamaskin:</strong> klikk på hengelåsen eller ikonet ved adressen, og sett Varsler til "
    "«Tillat». Last så siden på nytt.",
)


@pytest.fixture(scope="module")
def server(school, tmp_path_factory) -> Iterator[LiveServer]:
    """The app, allowed to post to a fake push service, with one leader."""
    app = make_app(tmp_path_factory.mktemp("enable"), school=school.folder, **PUSH_CONFIG)
    make_user(app, LEADER, ("leader",), totp=False, name="Lea Leder")
    with serving_with_alerts(app) as live:
        yield live


@pytest.fixture
def phone(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(**SMALL_PHONE)
    yield context
    context.close()


def settings_page(context: BrowserContext, server: LiveServer, school: School, *scripts: str) -> Page:
    for script in scripts:
        context.add_init_script(script)
    page = context.new_page()
    page.goto(f"{server.url}/konto/logg-inn")
    page.get_by_label(school.t("E-post")).fill(LEADER)
    page.get_by_label(school.t("Passord")).fill(PASSWORD)
    page.get_by_role("button", name=school.t("Logg inn")).tap()
    page.wait_for_url(f"{server.url}/konto")
    page.goto(f"{server.url}/varsel/innstillinger")
    return page


def status(page: Page) -> str:
    return page.locator("[data-push-settings]").get_attribute("data-push-status") or ""


def no_english(page: Page) -> None:
    text = page.locator("body").inner_text()
    for word in ENGLISH:
        assert word not in text, f"«{word}» reached the page"


def test_granted_turns_on_and_counts_the_device_at_once(phone, server, school: School):
    """Granted: «Varsler er slått på», and the device count says 1 at the same time, never 0."""
    with FakePushService() as fake:
        subscriber = fake.new_subscriber()
        keys = {"endpoint": subscriber.endpoint, "keys": subscriber.subscription_json()["keys"]}
        page = settings_page(
            phone, server, school, PERMISSION % '"granted"', FAKE_SUBSCRIPTION % json.dumps(keys)
        )
        expect(page.get_by_text(school.t("Du har ikke slått på varsler på noen enhet ennå."))).to_be_visible()
        page.get_by_role("button", name=school.t("Slå på varsler")).tap()
        expect(page.get_by_text(school.t("Varsler er slått på for denne telefonen."))).to_be_visible()
        expect(
            page.get_by_text(
                plural(
                    school,
                    "Du har slått på varsler på %(num)d enhet.",
                    "Du har slått på varsler på %(num)d enheter.",
                    1,
                )
            )
        ).to_be_visible()
        assert status(page) == "on"
        assert plural(
            school,
            "Du har slått på varsler på %(num)d enhet.",
            "Du har slått på varsler på %(num)d enheter.",
            0,
        ) not in (page.locator("body").inner_text())
        expect(page.locator("[data-push-progress]")).to_be_hidden()
        assert_accessible(page)
        page.get_by_role("button", name=school.t("Slå av varsler på denne telefonen")).tap()
        expect(page.get_by_text(school.t("Varsler er slått av for denne telefonen."))).to_be_visible()
        expect(page.get_by_text(school.t("Du har ikke slått på varsler på noen enhet ennå."))).to_be_visible()


def test_denied_explains_how_to_unblock_on_each_phone(phone, server, school: School):
    """Denied: the blocked state, with how to allow notifications on Android, iPhone and a computer."""
    page = settings_page(phone, server, school, PERMISSION % '"denied"')
    page.get_by_role("button", name=school.t("Slå på varsler")).tap()
    expect(
        page.get_by_text(school.t("Varsler er blokkert i nettleseren. Se under for hvordan du tillater dem."))
    ).to_be_visible()
    help_box = page.locator("[data-push-denied]")
    expect(help_box).to_be_visible()
    for text in UNBLOCK_HELP:
        expect(help_box.get_by_text(strong_part(school.t(text)))).to_be_visible()
    assert status(page) == "blocked"
    no_english(page)
    assert_accessible(page)


def test_dismissed_prompt_says_so(phone, server, school: School):
    """Closing the question without an answer leaves notifications off and says how to try again."""
    page = settings_page(phone, server, school, PERMISSION % '"default"')
    page.get_by_role("button", name=school.t("Slå på varsler")).tap()
    expect(
        page.get_by_text(
            school.t("Du svarte ikke på spørsmålet om varsler. Trykk «Slå på varsler» for å prøve igjen.")
        )
    ).to_be_visible()
    assert status(page) == "off"


def test_unsupported_browser_says_so(phone, server, school: School):
    """A browser without Web Push: the unsupported text, no button that cannot work."""
    page = settings_page(phone, server, school, NO_PUSH)
    expect(page.get_by_text(school.t(UNSUPPORTED))).to_be_visible()
    expect(page.get_by_role("button", name=school.t("Slå på varsler"))).to_be_hidden()
    assert status(page) == "unsupported"


def test_iphone_not_on_the_home_screen_explains_how_to_add_it(browser, server, school: School):
    """iPhone Safari, not installed: how to add Rusplan to the home screen."""
    context = browser.new_context(**SMALL_PHONE, user_agent=IPHONE_SAFARI)
    try:
        page = settings_page(context, server, school)
        expect(page.get_by_text(school.t("På iPhone: legg Rusplan på Hjem-skjermen først"))).to_be_visible()
        expect(
            page.get_by_text(school.t("Velg «Legg til på Hjem-skjerm», og trykk «Legg til»."))
        ).to_be_visible()
        assert status(page) == "unsupported"
    finally:
        context.close()


def test_subscribe_rejects_shows_norwegian_and_retry(phone, server, school: School):
    """subscribe() rejects with the browser's English error: the page says it in Norwegian, with a retry."""
    page = settings_page(phone, server, school, PERMISSION % '"granted"', SUBSCRIBE_REJECTS)
    page.get_by_role("button", name=school.t("Slå på varsler")).tap()
    expect(
        page.get_by_text(school.t("Kunne ikke slå på varsler på denne telefonen. Trykk «Prøv igjen»."))
    ).to_be_visible()
    expect(page.get_by_role("button", name=school.t("Prøv igjen"))).to_be_visible()
    assert status(page) == "failed"
    no_english(page)
    assert_accessible(page)


def test_subscribe_not_allowed_is_the_blocked_state(phone, server, school: School):
    """Chrome's «Registration failed - permission denied» becomes the blocked state's Norwegian help."""
    page = settings_page(phone, server, school, PERMISSION % '"granted"', SUBSCRIBE_NOT_ALLOWED)
    page.get_by_role("button", name=school.t("Slå på varsler")).tap()
    expect(page.locator("[data-push-denied]")).to_be_visible()
    assert status(page) == "blocked"
    no_english(page)


def test_slow_subscribe_shows_progress_then_a_timeout_with_retry(phone, server, school: School):
    """A subscribe() that never answers: progress at once, «tar litt tid», then a timeout and a retry."""
    phone.clock.install()
    page = settings_page(phone, server, school, PERMISSION % '"granted"', SUBSCRIBE_HANGS)
    page.get_by_role("button", name=school.t("Slå på varsler")).tap()
    expect(page.get_by_text(school.t("Slår på varsler …"))).to_be_visible()
    expect(page.locator("[data-push-progress]")).to_be_visible()
    assert status(page) == "waiting"
    page.clock.run_for(6000)
    expect(page.get_by_text(school.t("Dette tar litt tid. Vent litt til …"))).to_be_visible()
    expect(page.locator("[data-push-progress]")).to_be_visible()
    page.clock.run_for(15000)
    expect(
        page.get_by_text(
            school.t("Det tok for lang tid å slå på varsler. Sjekk at du har nett, og trykk «Prøv igjen».")
        )
    ).to_be_visible()
    expect(page.locator("[data-push-progress]")).to_be_hidden()
    expect(page.get_by_role("button", name=school.t("Prøv igjen"))).to_be_enabled()
    assert status(page) == "timeout"
    no_english(page)

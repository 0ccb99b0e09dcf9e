"""On a 360 px phone: tap «English» in the footer, read and move around in English, tap back to Norwegian."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import PHONE, School
from tests.browser.offline_helpers import PageFacts, tel_links, wait_until_controlled

pytestmark = pytest.mark.browser

NARROW = {**PHONE, "viewport": {"width": 360, "height": 640}}
MIN_TAP = 44  # px


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A 360×640 phone profile."""
    context = browser.new_context(**NARROW)
    yield context
    context.close()


def tap_language_switch(page: Page, name: str) -> None:
    switch = page.locator("footer [data-language-switch]")
    expect(switch).to_have_text(name)
    switch.scroll_into_view_if_needed()
    box = switch.bounding_box()
    assert box is not None and box["height"] >= MIN_TAP, box
    switch.tap()


def test_switch_to_english_and_back(page: Page, live_server, school: School):
    """A visitor who reads no Norwegian finds «English», reads the page and moves on, then goes back to
    the school's own language (bokmål or nynorsk, as its plan says)."""
    assert school.language in ("nb", "nn")
    page.goto(live_server.url + "/kontakter")
    expect(page.locator("html")).to_have_attribute("lang", school.language)
    tap_language_switch(page, "English")

    expect(page).to_have_url(live_server.url + "/en/kontakter")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    footer = page.locator("footer")
    expect(footer.get_by_role("link", name="Contacts", exact=True)).to_be_visible()
    expect(page.locator("header").get_by_role("link", name="Urgent", exact=True)).to_be_visible()
    # Scripts speak English too: their texts come from the page.
    assert page.evaluate("JSON.parse(document.getElementById('ui-text').dataset.uiText).reload") == (
        "Load the new version"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # Moving on keeps English.
    footer.get_by_role("link", name="Checklist", exact=True).tap()
    expect(page).to_have_url(live_server.url + "/en/sjekkliste")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    footer.get_by_role("link", name="Home", exact=True).tap()
    expect(page).to_have_url(live_server.url + "/en/")

    # The service worker is the one at /sw.js, registered from the English page too.
    scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope == live_server.url + "/", scope

    tap_language_switch(page, "Norsk")
    expect(page).to_have_url(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", school.language)
    expect(page.locator("footer").get_by_role("link", name=school.t("Kontakter"), exact=True)).to_be_visible()


def test_english_visitor_offline_gets_the_stored_page(
    page: Page, context: BrowserContext, live_server, school: School
):
    """English pages are not stored; offline, /en/<page> shows the stored page in the school's language
    (its numbers to call) instead of an error, and the English visitor's worker is the one at /sw.js."""
    stored = PageFacts(live_server.app.test_client().get("/kontakter").get_data(as_text=True))
    page.goto(live_server.url + "/en/")
    assert wait_until_controlled(page) == live_server.url + "/sw.js"
    context.set_offline(True)
    response = page.goto(live_server.url + "/en/kontakter")
    assert response is not None and response.ok and response.from_service_worker
    expect(page.locator("html")).to_have_attribute("lang", school.language)
    expect(page.locator("h1")).to_have_text(stored.heading)  # the contacts page, not the offline page
    assert tel_links(page) == stored.tel


def test_english_pages_pass_axe_without_sideways_scroll(page: Page, live_server, public_urls):
    """Every public page under /en/ at 360 px: axe's WCAG 2.1 A/AA rules pass (no serious or critical
    problem, valid lang attributes included) and nothing scrolls sideways (English words are longer)."""
    from axe_playwright_python.sync_playwright import Axe

    from tests.browser.test_accessibility import BLOCKING, describe

    axe = Axe()
    problems = []
    for url in public_urls:
        page.goto(f"{live_server.url}/en{url}")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        results = axe.run(
            page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
        )
        blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING]
        if blocking:
            problems.append(describe(f"/en{url}", blocking))
        if page.evaluate("document.documentElement.scrollWidth") > 360:
            problems.append(f"/en{url} scrolls sideways at 360 px")
    assert len(public_urls) > 15
    assert not problems, "\n".join(problems)

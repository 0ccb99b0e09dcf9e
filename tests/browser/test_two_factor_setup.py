"""Browser test: two-factor setup on a 360 px phone: the app link, the key in fours, one-tap copy."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, expect

from backend.services import accounts
from tests.browser.conftest import PHONE, School
from tests.support import PASSWORD

pytestmark = pytest.mark.browser

EMAIL = "oppsett-leder@skole.no"
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def test_setup_on_a_phone_links_the_app_groups_the_key_and_copies_it(
    browser: Browser, live_server, school: School
):
    """A leader on a 360 px phone: «Åpne i autentiseringsappen», the key in fours, «Kopier nøkkelen»."""
    with live_server.app.app_context():
        if accounts.get_by_email(EMAIL) is None:
            accounts.create_user(EMAIL, "Oppsett Leder", ["leader"], password=PASSWORD)
    context = browser.new_context(**{**PHONE, "viewport": {"width": 360, "height": 640}})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    t = school.t
    try:
        page.goto(f"{live_server.url}/konto/logg-inn")
        page.get_by_label(t("E-post")).fill(EMAIL)
        page.get_by_label(t("Passord")).fill(PASSWORD)
        page.get_by_role("button", name=t("Logg inn")).tap()
        expect(page.get_by_role("heading", name=t("Min konto"))).to_be_visible()
        page.get_by_role("link", name=t("Slå på engangskoder")).tap()
        expect(page.get_by_role("heading", name=t("Slå på engangskoder"))).to_be_visible()

        app_link = page.get_by_role("link", name=t("Åpne i autentiseringsappen"))
        expect(app_link).to_be_visible()  # a touch screen: the app can be on this phone
        assert app_link.get_attribute("href").startswith("otpauth://totp/")
        assert app_link.bounding_box()["height"] >= 44
        key = page.locator("code.secret")
        secret = key.get_attribute("data-secret")
        assert key.inner_text().split() == [secret[i : i + 4] for i in range(0, len(secret), 4)]

        copy = page.get_by_role("button", name=t("Kopier nøkkelen"))
        expect(copy).to_be_visible()  # js/copy.js shows it
        assert copy.bounding_box()["height"] >= 44
        copy.tap()
        expect(page.get_by_role("status")).to_have_text(t("Nøkkelen er kopiert. Lim den inn i appen."))
        assert page.evaluate("navigator.clipboard.readText()") == secret

        page.reload()  # what a phone does when its owner comes back from the app
        assert page.locator("code.secret").get_attribute("data-secret") == secret
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the page is {width}px wide on a 360px phone"
        results = Axe().run(page, options=AXE_OPTIONS)
        assert results.violations_count == 0, results.generate_report()
    finally:
        context.close()

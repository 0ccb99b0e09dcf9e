"""The administration in English on a 360 px phone: English words are longer, and the copy button's
words come from the page (js/copy.js), so both are checked in a real browser."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import School
from tests.browser.test_admin_phone import (  # noqa: F401 (signed_in is a fixture used by name)
    AXE_OPTIONS,
    BROKEN_WORDS,
    _url,
    admin_pages,
    signed_in,
)

pytestmark = pytest.mark.browser


def english_pages(school: School) -> list[str]:
    return [path for path in admin_pages(school) if path.startswith("/admin")]


@pytest.mark.per_school("path", english_pages)
def test_english_admin_page_fits_a_360px_phone(signed_in: BrowserContext, live_server, path: str):  # noqa: F811
    """Under /en/ each admin page is English (<html lang="en">), fits 360 px, breaks no word, passes axe."""
    page: Page = signed_in.new_page()
    try:
        response = page.goto(_url(live_server, "/en" + path))
        assert response is not None and response.status == 200, path
        assert page.locator("html").get_attribute("lang") == "en"
        if not path.startswith("/admin/utkast/forhandsvisning"):
            expect(page.get_by_role("navigation", name="Administration")).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"/en{path} is {width}px wide on a 360px phone"
        broken = page.evaluate(BROKEN_WORDS)
        assert not broken, f"/en{path}: words broken inside: {broken[:10]}"
        results = Axe().run(page, options=AXE_OPTIONS)
        assert results.violations_count == 0, results.generate_report()
    finally:
        page.close()


def test_copying_an_invitation_link_speaks_english(signed_in: BrowserContext, live_server):  # noqa: F811
    """The invitation's copy button says what happened in English, also when only selecting works."""
    page: Page = signed_in.new_page()
    try:
        page.add_init_script("navigator.clipboard.writeText = () => Promise.reject(new Error('denied'));")
        page.goto(live_server.url + "/en/admin/brukere/ny")
        page.locator("input[name=name]").fill("Eng Lish")
        page.locator("input[name=email]").fill("eng.lish@skole.no")
        page.locator("input[name=roles][value=staff]").check()
        page.get_by_role("button", name="Make invitation").tap()
        expect(page.get_by_role("heading", name="Invitation for Eng Lish")).to_be_visible()
        page.get_by_role("button", name="Copy the link").tap()
        expect(page.locator("[data-copy-status]")).to_have_text(
            "The text is selected. Choose «Copy» on your phone."
        )
        assert page.evaluate("document.activeElement.id") == "invitasjonslenke"
    finally:
        page.close()

"""The decision-tree and role editors on a 360 px phone: tap through, nothing saved by a row button,
a broken tree refused in words, a role added and removed after the page asks.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from backend.services import draft as drafts
from tests.browser.test_admin_phone import signed_in  # noqa: F401 (the signed-in phone profile)

pytestmark = pytest.mark.browser


def _fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def _small_targets(page: Page, selector: str) -> list[str]:
    """Buttons and links under `selector` smaller than 44 × 44 px."""
    return page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)]
            .filter((el) => el.offsetParent !== null)
            .map((el) => [el.textContent.trim(), el.getBoundingClientRect()])
            .filter(([, r]) => r.width < 44 || r.height < 44)
            .map(([text, r]) => `${text} ${Math.round(r.width)}x${Math.round(r.height)}`)""",
        selector,
    )


def test_edit_the_questions_and_a_role_on_a_phone(signed_in: BrowserContext, live_server):  # noqa: F811
    """Move an answer (not saved), save a tree that breaks the urgent-first rule (refused in words, typed
    text kept), then add a role and remove it through its confirmation page."""
    app = live_server.app
    page = signed_in.new_page()
    with app.app_context():
        before = drafts.current().data  # other tests on this server may have left a draft
    try:
        page.goto(f"{live_server.url}/admin")
        page.get_by_role("link", name="Spørsmålene").tap()
        page.locator("a.admin-item-main", has_text="Er eleven ruset på skolen nå?").tap()
        expect(page.get_by_role("heading", name="Endre spørsmål")).to_be_visible()
        _fits(page)
        assert not _small_targets(page, "main form button:not(.visually-hidden), main a.button")
        page.get_by_label("Spørsmålet", exact=True).fill("Er eleven ruset på skolen akkurat nå?")
        page.get_by_role("button", name="Flytt svar 1 ned").tap()
        expect(page.locator("#svar-0 input[type=text]")).to_have_value("Nei")
        expect(page.get_by_label("Spørsmålet", exact=True)).to_have_value(
            "Er eleven ruset på skolen akkurat nå?"
        )
        with app.app_context():
            assert drafts.current().data == before  # a row button saves nothing
        page.locator("form.form button.button:not(.button-secondary)", has_text="Lagre i utkastet").tap()
        alert = page.locator("#problemer")
        expect(alert).to_contain_text("leder til et akutt alternativ og må stå før svaret «Nei»")
        expect(page.get_by_label("Spørsmålet", exact=True)).to_have_value(
            "Er eleven ruset på skolen akkurat nå?"
        )
        _fits(page)

        page.goto(f"{live_server.url}/admin/roller")
        page.get_by_role("link", name="Legg til rolle").tap()
        page.get_by_label("Navn på rollen").fill("Helsesykepleier")
        page.get_by_role("button", name="Lagre i utkastet").tap()
        expect(page.get_by_text("Rollen «Helsesykepleier» er lagt til i utkastet.")).to_be_visible()
        page.get_by_role("link", name="Fjern rollen Helsesykepleier").tap()
        expect(page.get_by_role("heading", name="Fjerne rollen «Helsesykepleier»?")).to_be_visible()
        _fits(page)
        page.get_by_role("button", name="Ja, fjern").tap()
        expect(page.get_by_text("Rollen «Helsesykepleier» er fjernet fra utkastet.")).to_be_visible()
        with app.app_context():
            assert all(role["label"] != "Helsesykepleier" for role in drafts.current().data["roles"])
    finally:
        page.close()

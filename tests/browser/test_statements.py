"""The statements on a phone: reached from the footer, and usable with a keyboard as the statement claims."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from backend.services import phones
from tests.browser.conftest import School
from tests.browser.flow_support import live_plan

pytestmark = pytest.mark.browser


def test_tap_from_home_to_the_accessibility_statement_and_call_for_feedback(
    page: Page, live_server, school: School
):
    """The footer link opens the statement; the feedback contact is one tap to call."""
    plan = live_plan(live_server)
    page.goto(live_server.url + "/")
    footer = page.get_by_role("navigation", name=school.t("Om appen"))
    footer.get_by_role("link", name=school.t("Tilgjengelighet"), exact=True).tap()
    page.wait_for_url("**/tilgjengelighet")
    assert page.get_by_role("heading", level=1).inner_text() == plan.section("tilgjengelighet").title
    contact = plan.feedback_contact()
    name = f"{school.t('Ring')} {contact.name} {contact.role} {phones.display(contact.phone)}"
    call = page.get_by_role("link", name=name, exact=False)
    assert call.get_attribute("href") == phones.tel_href(contact.phone)
    assert call.bounding_box()["height"] >= 44


def test_the_statement_can_be_read_and_left_with_the_keyboard(page: Page, live_server, school: School):
    """Tab lands on «Hopp til innholdet» first; Enter moves focus to the content; Tab reaches the footer."""
    page.goto(live_server.url + "/tilgjengelighet")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == school.t("Hopp til innholdet")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "innhold"
    reached = []
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.getAttribute('href')"))
        if reached[-1] == "/personvern":
            break
    assert "https://www.uutilsynet.no/" in reached
    assert reached[-1] == "/personvern", f"Tab never reached the privacy link: {reached}"

"""Browser test: an admin on a phone changes a number, publishes, and restores the old revision."""

from __future__ import annotations

import re

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from backend.services import accounts, phones
from tests.browser.conftest import School
from tests.support import PASSWORD, TOTP_SECRET

pytestmark = pytest.mark.browser

EMAIL = "mobil-admin@skole.no"


@pytest.fixture
def admin_account(live_server):
    """An admin with two-factor login in the live app (made once per session)."""
    app = live_server.app
    with app.app_context():
        if accounts.get_by_email(EMAIL) is None:
            user = accounts.create_user(EMAIL, "Mobil Admin", ["admin"], password=PASSWORD)
            accounts.enable_totp(user, TOTP_SECRET, pyotp.TOTP(TOTP_SECRET).now(), ip=None)
    return EMAIL


AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def assert_accessible(page: Page) -> None:
    """Run axe-core on the page: no WCAG 2.1 A/AA violations."""
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px phone"


def published(school: School) -> re.Pattern:
    """The message after publishing, whatever the new revision's number."""
    text = school.t("Revisjon %(id)s er publisert. Nettsiden viser den nå.", id="NUMBER")
    return re.compile(re.escape(text).replace("NUMBER", r"\d+"))


def test_admin_changes_a_number_publishes_and_restores_on_a_phone(
    page: Page, live_server, admin_account, school: School
):
    """Log in with password and code, change the first contact's number, publish, check, restore."""
    t = school.t
    contact = school.plan.all_contacts()[0]
    old_tel, new_tel = f'a[href="tel:{contact.phone}"]', 'a[href="tel:+4791234567"]'
    page.goto(f"{live_server.url}/konto/logg-inn")
    assert_accessible(page)
    page.get_by_label(t("E-post")).fill(admin_account)
    page.get_by_label(t("Passord")).fill(PASSWORD)
    page.get_by_role("button", name=t("Logg inn")).tap()
    expect(page.get_by_role("heading", name=t("Skriv engangskoden"))).to_be_visible()
    # The code the authenticator app would show (the next step, so it is not the one used at setup).
    code = pyotp.TOTP(TOTP_SECRET).at(accounts.now(), counter_offset=1)
    page.get_by_label(t("Engangskode fra appen")).fill(code)
    page.get_by_role("button", name=t("Fortsett")).tap()
    expect(page.get_by_role("heading", name=t("Administrasjon"))).to_be_visible()
    no_sideways_scroll(page)
    assert_accessible(page)

    page.get_by_role("navigation", name=t("Administrasjon")).get_by_role("link", name=t("Kontakter")).tap()
    expect(page.get_by_role("heading", name=t("Kontakter"), exact=True)).to_be_visible()
    no_sideways_scroll(page)
    assert_accessible(page)
    page.get_by_role("link", name=contact.name).tap()
    expect(page.get_by_role("heading", name=t("Endre %(name)s", name=contact.name))).to_be_visible()
    phone = page.get_by_label(t("Telefonnummer"))
    expect(phone).to_have_value(phones.display(contact.phone))
    phone.fill("12")
    page.get_by_role("button", name=t("Lagre i utkastet")).tap()
    invalid_phone = t("Skriv et gyldig telefonnummer, for eksempel 970 83 705 eller +46 8 123 456 78.")
    expect(page.get_by_text(invalid_phone)).to_be_visible()  # refused at the field
    expect(page.get_by_label(t("Telefonnummer"))).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    page.get_by_label(t("Telefonnummer")).fill("912 34 567")
    save = page.get_by_role("button", name=t("Lagre i utkastet"))
    assert save.bounding_box()["height"] >= 44
    save.tap()
    expect(
        page.get_by_text(t("Endringen av %(name)s er lagret i utkastet.", name=contact.name))
    ).to_be_visible()

    page.get_by_role("link", name=t("Se over og publiser")).tap()
    expect(page.get_by_role("heading", name=t("Utkast"))).to_be_visible()
    expect(page.get_by_text(f"{contact.name} › {t('Telefon')}")).to_be_visible()
    assert_accessible(page)
    page.get_by_label(t("Hva er endret?")).fill("Nytt nummer")
    page.get_by_role("button", name=t("Publiser")).tap()
    expect(page.get_by_text(published(school))).to_be_visible()
    heading = page.get_by_role("heading", level=1).inner_text()
    new_revision = int(heading.split()[1])

    page.goto(f"{live_server.url}/kontakter")
    expect(page.locator(new_tel)).to_be_visible()
    expect(page.locator(old_tel)).to_have_count(0)

    old = new_revision - 1
    page.goto(f"{live_server.url}/admin/revisjoner/{old}")
    page.get_by_role("link", name=t("Gjenopprett revisjon %(id)s", id=old)).tap()
    expect(page.get_by_role("heading", name=t("Gjenopprette revisjon %(id)s?", id=old))).to_be_visible()
    page.get_by_role("button", name=t("Ja, gjenopprett revisjon %(id)s", id=old)).tap()
    restored = t("Revisjon %(old)s er gjenopprettet som revisjon %(new)s.", old=old, new=new_revision + 1)
    expect(page.get_by_text(restored)).to_be_visible()

    page.goto(f"{live_server.url}/kontakter")
    expect(page.locator(old_tel)).to_be_visible()
    expect(page.locator(new_tel)).to_have_count(0)

    # The statements: who takes feedback is picked from the contact list, on a phone.
    feedback = school.plan.statements.feedback_contact
    other = next(c.id for c in reversed(school.plan.all_contacts()) if c.id != feedback)
    page.goto(f"{live_server.url}/admin")
    page.get_by_role("link", name=t("Erklæringer")).tap()
    expect(page.get_by_role("heading", name=t("Erklæringer"), exact=True)).to_be_visible()
    no_sideways_scroll(page)
    assert_accessible(page)
    page.get_by_label(t("Tar imot tilbakemeldinger")).select_option(other)
    email = page.get_by_label(t("E-post for tilbakemeldinger (valgfritt)"))
    email.fill("ikke en adresse")
    page.get_by_role("button", name=t("Lagre i utkastet")).tap()
    expect(page.get_by_text(t("Skriv en gyldig e-postadresse, for eksempel post@skole.no."))).to_be_visible()
    assert_accessible(page)
    email.fill("post@skole.no")
    page.get_by_role("button", name=t("Lagre i utkastet")).tap()
    expect(page.get_by_text(t("Erklæringene er lagret i utkastet."))).to_be_visible()

"""Browser test: an admin on a phone changes a number, publishes, and restores the old revision."""

from __future__ import annotations

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from backend.services import accounts, phones
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


def test_admin_changes_a_number_publishes_and_restores_on_a_phone(page: Page, live_server, admin_account):
    """Log in with password and code, change Kristin Støten's number, publish, check, restore."""
    page.goto(f"{live_server.url}/konto/logg-inn")
    assert_accessible(page)
    page.get_by_label("E-post").fill(admin_account)
    page.get_by_label("Passord").fill(PASSWORD)
    page.get_by_role("button", name="Logg inn").tap()
    expect(page.get_by_role("heading", name="Skriv engangskoden")).to_be_visible()
    # The code the authenticator app would show (the next step, so it is not the one used at setup).
    code = pyotp.TOTP(TOTP_SECRET).at(accounts.now(), counter_offset=1)
    page.get_by_label("Engangskode fra appen").fill(code)
    page.get_by_role("button", name="Fortsett").tap()
    expect(page.get_by_role("heading", name="Administrasjon")).to_be_visible()
    no_sideways_scroll(page)
    assert_accessible(page)

    page.get_by_role("navigation", name="Administrasjon").get_by_role("link", name="Kontakter").tap()
    expect(page.get_by_role("heading", name="Kontakter", exact=True)).to_be_visible()
    no_sideways_scroll(page)
    assert_accessible(page)
    page.get_by_role("link", name="Kristin Støten").tap()
    expect(page.get_by_role("heading", name="Endre Kristin Støten")).to_be_visible()
    phone = page.get_by_label("Telefonnummer")
    expect(phone).to_have_value(phones.display("+4797083705"))
    phone.fill("12")
    page.get_by_role("button", name="Lagre i utkastet").tap()
    expect(page.get_by_text("Skriv et gyldig telefonnummer")).to_be_visible()  # refused at the field
    expect(page.get_by_label("Telefonnummer")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    page.get_by_label("Telefonnummer").fill("912 34 567")
    save = page.get_by_role("button", name="Lagre i utkastet")
    assert save.bounding_box()["height"] >= 44
    save.tap()
    expect(page.get_by_text("er lagret i utkastet")).to_be_visible()

    page.get_by_role("link", name="Se over og publiser").tap()
    expect(page.get_by_role("heading", name="Utkast")).to_be_visible()
    expect(page.get_by_text("Kristin Støten › Telefon")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Hva er endret?").fill("Nytt nummer til rektor")
    page.get_by_role("button", name="Publiser").tap()
    expect(page.get_by_text("er publisert")).to_be_visible()
    heading = page.get_by_role("heading", level=1).inner_text()
    new_revision = int(heading.split()[1])

    page.goto(f"{live_server.url}/kontakter")
    expect(page.locator('a[href="tel:+4791234567"]')).to_be_visible()
    expect(page.locator('a[href="tel:+4797083705"]')).to_have_count(0)

    page.goto(f"{live_server.url}/admin/revisjoner/{new_revision - 1}")
    page.get_by_role("link", name=f"Gjenopprett revisjon {new_revision - 1}").tap()
    expect(page.get_by_role("heading", name=f"Gjenopprette revisjon {new_revision - 1}?")).to_be_visible()
    page.get_by_role("button", name=f"Ja, gjenopprett revisjon {new_revision - 1}").tap()
    expect(page.get_by_text(f"Revisjon {new_revision - 1} er gjenopprettet")).to_be_visible()

    page.goto(f"{live_server.url}/kontakter")
    expect(page.locator('a[href="tel:+4797083705"]')).to_be_visible()
    expect(page.locator('a[href="tel:+4791234567"]')).to_have_count(0)

    # The statements: who takes feedback is picked from the contact list, on a phone.
    page.goto(f"{live_server.url}/admin")
    page.get_by_role("link", name="Erklæringer").tap()
    expect(page.get_by_role("heading", name="Erklæringer", exact=True)).to_be_visible()
    no_sideways_scroll(page)
    assert_accessible(page)
    page.get_by_label("Tar imot tilbakemeldinger").select_option("linda-skauge-antonsen")
    page.get_by_label("E-post for tilbakemeldinger (valgfritt)").fill("ikke en adresse")
    page.get_by_role("button", name="Lagre i utkastet").tap()
    expect(page.get_by_text("Skriv en gyldig e-postadresse")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("E-post for tilbakemeldinger (valgfritt)").fill("post@halden.vgs.no")
    page.get_by_role("button", name="Lagre i utkastet").tap()
    expect(page.get_by_text("Erklæringene er lagret i utkastet")).to_be_visible()

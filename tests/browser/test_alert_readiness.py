"""Browser tests at 360×640: the readiness view, the warning on /admin and the user screen's link.

No sideways scroll and no WCAG 2.1 A/AA violations (axe) on the admin and leader pages this adds to.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from backend.services import accounts
from tests.browser.conftest import LiveServer, School, serving_with_alerts
from tests.browser.offline_helpers import strong_part
from tests.browser.test_admin import assert_accessible
from tests.conftest import make_app
from tests.push_support import PUSH_CONFIG, add_places
from tests.support import PASSWORD, TOTP_SECRET, make_user

pytestmark = pytest.mark.browser

ADMIN, LEADER = "admin@skole.no", "rektor@skole.no"
SMALL_PHONE = {
    "viewport": {"width": 360, "height": 640},
    "is_mobile": True,
    "has_touch": True,
    "locale": "nb-NO",
}


@pytest.fixture(scope="module")
def server(school, tmp_path_factory) -> Iterator[LiveServer]:
    """An app with an admin, a leader linked to the first in the call chain (the rektor), and a place."""
    app = make_app(tmp_path_factory.mktemp("readiness"), school=school.folder, **PUSH_CONFIG)
    make_user(app, ADMIN, ("admin",), name="Anne Admin")
    rector = school.plan.call_chain()[0]
    make_user(app, LEADER, ("leader",), totp=False, name="Kari Storm", contact_id=rector.id)
    add_places(app, "Rom 204")
    with serving_with_alerts(app) as live:
        yield live


@pytest.fixture
def small_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(**SMALL_PHONE)
    yield context.new_page()
    context.close()


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{page.url} is {width}px wide on a 360px phone"


def log_in(page: Page, server: LiveServer, email: str, school: School) -> None:
    page.goto(f"{server.url}/konto/logg-inn")
    page.get_by_label(school.t("E-post")).fill(email)
    page.get_by_label(school.t("Passord")).fill(PASSWORD)
    page.get_by_role("button", name=school.t("Logg inn")).tap()
    if email == ADMIN:
        code = pyotp.TOTP(TOTP_SECRET).at(accounts.now(), counter_offset=1)
        page.get_by_label(school.t("Engangskode fra appen")).fill(code)
        page.get_by_role("button", name=school.t("Fortsett")).tap()
        expect(page.get_by_role("heading", name=school.t("Administrasjon"))).to_be_visible()
    else:
        page.wait_for_url(f"{server.url}/konto")


def test_admin_sees_the_warning_the_readiness_view_and_links_an_account(small_page, server, school: School):
    """/admin warns (nobody can receive); the readiness view and the user screen fit 360 px, axe clean."""
    page = small_page
    rector, other = school.plan.call_chain()[:2]  # Kari Storm's account is linked to the first
    log_in(page, server, ADMIN, school)
    warning = page.locator("[data-few-receivers]")
    few = school.t(
        "<strong>Bare %(receivers)s av %(chain)s i ringelisten kan få varsel nå.</strong> "
        '<a href="%(url)s">Se varslingsberedskap</a>.',
        receivers=0,
        chain=len(school.plan.call_chain()),
        url="",
    )
    expect(warning).to_contain_text(strong_part(few))
    no_sideways_scroll(page)
    assert_accessible(page)

    link_text = re.search(r"<a [^>]*>(.*?)</a>", few).group(1)  # «Se varslingsberedskap»
    warning.get_by_role("link", name=link_text).tap()
    expect(page.get_by_role("heading", name=school.t("Varslingsberedskap"))).to_be_visible()
    expect(page.locator(f"[data-contact='{rector.id}'] [data-field='account']")).to_have_text(
        school.t("Ja (%(name)s)", name="Kari Storm")
    )
    expect(page.locator(f"[data-contact='{other.id}'] [data-field='account']")).to_have_text(
        school.t("Ingen konto koblet")
    )
    no_sideways_scroll(page)
    assert_accessible(page)
    page.get_by_label("Rom 204").tap()
    page.get_by_role("button", name=school.t("Send øvelse")).tap()
    expect(
        page.get_by_text(
            school.t("Øvelsen nådde ingen: ingen i ledelsen har slått på øvelser på en telefon.")
        )
    ).to_be_visible()
    expect(page.locator("[data-last-drill]")).to_contain_text(school.t("Svar: ingen ennå."))
    no_sideways_scroll(page)
    assert_accessible(page)

    page.goto(f"{server.url}/admin/brukere")
    page.get_by_role("link", name="Kari Storm").tap()
    choice = page.get_by_label(school.t("Person i kontaktlisten"))
    expect(choice).to_have_value(rector.id)
    no_sideways_scroll(page)
    assert_accessible(page)
    choice.select_option(other.id)
    page.get_by_role("button", name=school.t("Lagre kobling")).tap()
    expect(page.get_by_text(school.t("Koblingen til kontaktlisten er lagret."))).to_be_visible()
    expect(page.get_by_label(school.t("Person i kontaktlisten"))).to_have_value(other.id)


def test_leader_sees_the_warning_on_her_own_pages(small_page, server, school: School):
    """A leader's account page carries the warning and leads to the readiness view."""
    page = small_page
    log_in(page, server, LEADER, school)
    expect(page.locator("[data-few-receivers]")).to_be_visible()
    no_sideways_scroll(page)
    assert_accessible(page)
    page.get_by_role("link", name=school.t("Varslingsberedskap")).first.tap()
    expect(page.get_by_role("heading", name=school.t("Varslingsberedskap"))).to_be_visible()
    no_sideways_scroll(page)
    assert_accessible(page)

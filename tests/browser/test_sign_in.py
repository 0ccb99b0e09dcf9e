"""Browser test: a teacher on a phone taps «Logg inn med Feide» and comes back signed in.

The provider is the local OpenID Connect provider of tests/oidc_provider.py, on its own port of
127.0.0.1, so the browser really leaves the app, is sent back with a code, and the app checks it.
"""

from __future__ import annotations

import time

import pyotp
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from backend.extensions import db
from backend.models import SignInIdentity
from backend.services import accounts
from tests.browser.conftest import LiveServer, School
from tests.browser.test_admin import assert_accessible
from tests.conftest import make_app
from tests.oidc_provider import FEIDE_ORG_CLAIM, OIDCProvider, Person
from tests.support import PASSWORD, TOTP_SECRET

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def provider():
    running = OIDCProvider().start()
    yield running
    running.stop()


@pytest.fixture
def feide_server(school, tmp_path, provider):
    """The app signing in with Feide (the local provider), with Lise invited."""
    provider.person = Person(extra={FEIDE_ORG_CLAIM: "lise@skole.no"})
    app = make_app(tmp_path, school=school.folder, **provider.config("feide"))
    with app.app_context():
        user = accounts.create_user("lise@skole.no", "Lise Leder", ["leader"])
        accounts.create_invitation(user, actor="rektor@skole.no")
    server = LiveServer(app).start()
    yield server
    server.stop()


def feide_button(school: School) -> str:
    return school.t("Logg inn med %(provider)s", provider="Feide")


def test_feide_sign_in_on_a_phone(page: Page, feide_server, provider, school: School):
    """The Feide button comes first and is easy to tap; after Feide, Lise is on her account page."""
    page.goto(f"{feide_server.url}/konto/logg-inn")
    assert_accessible(page)
    button = page.get_by_role("link", name=feide_button(school))
    password = page.get_by_label(school.t("Passord"))
    assert button.bounding_box()["y"] < password.bounding_box()["y"]
    assert button.bounding_box()["height"] >= 44
    button.tap()
    page.wait_for_url(f"{feide_server.url}/konto")
    expect(page.get_by_role("heading", name=school.t("Min konto"))).to_be_visible()
    expect(page.locator("#innhold").get_by_text("Lise Leder")).to_be_visible()
    asked = provider.authorize_requests[-1]
    assert asked["code_challenge_method"] == "S256" and asked["nonce"] and asked["state"]
    with feide_server.app.app_context():
        (identity,) = db.session.execute(select(SignInIdentity)).scalars()
        assert identity.subject == "feide-sub-lise-0001" and identity.issuer == provider.issuer


def test_uninvited_teacher_is_told_why_on_the_phone(page: Page, feide_server, provider, school: School):
    """Someone not invited comes back to a clear message in the school's language and a way back, not
    signed in."""
    provider.person = Person(
        sub="ola", email="ola@skole.no", name="Ola", extra={FEIDE_ORG_CLAIM: "ola@skole.no"}
    )
    page.goto(f"{feide_server.url}/konto/logg-inn")
    page.get_by_role("link", name=feide_button(school)).tap()
    expect(page.get_by_role("heading", name=school.t("Du er ikke logget inn"))).to_be_visible()
    refused = school.t(
        "Du er ikke invitert til Rusplan ennå (%(email)s). Be en administrator på skolen om en invitasjon; "
        "etterpå kan du logge inn her.",
        email="ola@skole.no",
    )
    expect(page.get_by_text(refused)).to_be_visible()
    page.get_by_role("link", name=school.t("Til innlogging")).tap()
    page.wait_for_url(f"{feide_server.url}/konto/logg-inn")


def test_admin_tests_the_sign_in_from_the_phone(page: Page, feide_server, provider, school: School):
    """The admin's «Test innlogging» leaves the app (not boosted by htmx), comes back to the answer, and
    the admin is still signed in as themselves."""
    app = feide_server.app
    with app.app_context():
        user = accounts.create_user("rektor@skole.no", "Kristin Rektor", ["admin"], password=PASSWORD)
        accounts.enable_totp(user, TOTP_SECRET, pyotp.TOTP(TOTP_SECRET).now(), ip=None)
    page.goto(f"{feide_server.url}/konto/logg-inn")
    t = school.t
    page.get_by_label(t("E-post")).fill("rektor@skole.no")
    page.get_by_label(t("Passord")).fill(PASSWORD)
    page.get_by_role("button", name=t("Logg inn")).tap()
    page.get_by_label(t("Engangskode fra appen")).fill(pyotp.TOTP(TOTP_SECRET).at(time.time() + 30))
    page.get_by_role("button", name=t("Fortsett")).tap()
    page.wait_for_url(f"{feide_server.url}/admin")
    page.goto(f"{feide_server.url}/admin/innlogging")
    assert_accessible(page)
    expect(page.get_by_text(provider.issuer).first).to_be_visible()
    page.get_by_role("link", name=t("Test innlogging")).tap()
    page.wait_for_url(f"{feide_server.url}/konto/logg-inn/feide/tilbake?*")
    heading = t("Test av innlogging med %(provider)s", provider="Feide")
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.get_by_text(t("Ville blitt logget inn som:"))).to_be_visible()
    still = t("Ingenting er lagret, og du er fortsatt logget inn som %(name)s.", name="Kristin Rektor")
    expect(page.get_by_text(still)).to_be_visible()

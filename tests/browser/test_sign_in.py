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
from tests.browser.conftest import LiveServer
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


def test_feide_sign_in_on_a_phone(page: Page, feide_server, provider):
    """The Feide button comes first and is easy to tap; after Feide, Lise is on her account page."""
    page.goto(f"{feide_server.url}/konto/logg-inn")
    assert_accessible(page)
    button = page.get_by_role("link", name="Logg inn med Feide")
    password = page.get_by_label("Passord")
    assert button.bounding_box()["y"] < password.bounding_box()["y"]
    assert button.bounding_box()["height"] >= 44
    button.tap()
    page.wait_for_url(f"{feide_server.url}/konto")
    expect(page.get_by_role("heading", name="Min konto")).to_be_visible()
    expect(page.locator("#innhold").get_by_text("Lise Leder")).to_be_visible()
    asked = provider.authorize_requests[-1]
    assert asked["code_challenge_method"] == "S256" and asked["nonce"] and asked["state"]
    with feide_server.app.app_context():
        (identity,) = db.session.execute(select(SignInIdentity)).scalars()
        assert identity.subject == "feide-sub-lise-0001" and identity.issuer == provider.issuer


def test_uninvited_teacher_is_told_why_on_the_phone(page: Page, feide_server, provider):
    """Someone not invited comes back to a clear Norwegian message and a way back, not signed in."""
    provider.person = Person(
        sub="ola", email="ola@skole.no", name="Ola", extra={FEIDE_ORG_CLAIM: "ola@skole.no"}
    )
    page.goto(f"{feide_server.url}/konto/logg-inn")
    page.get_by_role("link", name="Logg inn med Feide").tap()
    expect(page.get_by_role("heading", name="Du er ikke logget inn")).to_be_visible()
    expect(page.get_by_text("Du er ikke invitert til Rusplan ennå (ola@skole.no).")).to_be_visible()
    page.get_by_role("link", name="Til innlogging").tap()
    page.wait_for_url(f"{feide_server.url}/konto/logg-inn")


def test_admin_tests_the_sign_in_from_the_phone(page: Page, feide_server, provider):
    """The admin's «Test innlogging» leaves the app (not boosted by htmx), comes back to the answer, and
    the admin is still signed in as themselves."""
    app = feide_server.app
    with app.app_context():
        user = accounts.create_user("rektor@skole.no", "Kristin Rektor", ["admin"], password=PASSWORD)
        accounts.enable_totp(user, TOTP_SECRET, pyotp.TOTP(TOTP_SECRET).now(), ip=None)
    page.goto(f"{feide_server.url}/konto/logg-inn")
    page.get_by_label("E-post").fill("rektor@skole.no")
    page.get_by_label("Passord").fill(PASSWORD)
    page.get_by_role("button", name="Logg inn").tap()
    page.get_by_label("Engangskode").fill(pyotp.TOTP(TOTP_SECRET).at(time.time() + 30))
    page.get_by_role("button", name="Fortsett").tap()
    page.wait_for_url(f"{feide_server.url}/admin")
    page.goto(f"{feide_server.url}/admin/innlogging")
    assert_accessible(page)
    expect(page.get_by_text(provider.issuer).first).to_be_visible()
    page.get_by_role("link", name="Test innlogging").tap()
    page.wait_for_url(f"{feide_server.url}/konto/logg-inn/feide/tilbake?*")
    expect(page.get_by_role("heading", name="Test av innlogging med Feide")).to_be_visible()
    expect(page.get_by_text("Ville blitt logget inn som:")).to_be_visible()
    expect(page.get_by_text("fortsatt logget inn som Kristin Rektor")).to_be_visible()

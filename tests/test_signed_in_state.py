"""Signed-in state everywhere (issue 12, item 6): the header menu, the footer, ways back.

Public pages are the same bytes for everyone (rendered once per revision, kept by shared caches), so
they never name the person: a script fetches the menu from /konto/meny (personal, no-store) instead.
"""

from __future__ import annotations

import re

import pytest

from tests.support import PASSWORD, admin_client, login, make_user


@pytest.fixture
def leader(app):
    """A client signed in as a leader (no admin)."""
    make_user(app, "lise@skole.no", ("leader",), totp=False, name="Lise Leder")
    client = app.test_client()
    login(client, "lise@skole.no")
    return client


@pytest.mark.parametrize("path", ["/", "/kontakter", "/om-planen/evaluering", "/akutt"])
def test_public_pages_are_the_same_bytes_signed_in_or_not(app, leader, path):
    """Signed in or not, a public page says nothing about who is looking: the shared copy fits everyone."""
    anonymous = app.test_client().get(path)
    signed_in = leader.get(path)
    assert anonymous.status_code == signed_in.status_code == 200
    assert anonymous.get_data() == signed_in.get_data()
    html = anonymous.get_data(as_text=True)
    assert "Lise" not in html and "data-account-slot" in html and "For ansatte: logg inn" in html


def test_the_menu_endpoint_is_personal_and_empty_for_strangers(app, leader):
    """/konto/meny: 204 without a sign-in; the person's menu, never stored, when signed in."""
    stranger = app.test_client().get("/konto/meny")
    assert stranger.status_code == 204 and stranger.get_data() == b""
    menu = leader.get("/konto/meny")
    html = menu.get_data(as_text=True)
    assert menu.status_code == 200 and menu.headers["Cache-Control"] == "no-store"
    assert "Innlogget som Lise Leder" in html and ">LL<" in html
    assert ">Min konto<" in html and ">Varsler<" in html and ">Logg ut<" in html
    assert ">Admin<" not in html  # only for those allowed
    assert 'action="/konto/logg-ut"' in html and 'name="csrf_token"' in html


def test_signed_in_pages_show_the_person_and_no_login_link(leader):
    """On personal pages the header names the person and the footer offers «Min konto», not a login."""
    for path in ("/konto", "/varsel/innstillinger", "/varsel/historikk"):
        html = leader.get(path).get_data(as_text=True)
        header = html.split("</header>")[0]
        footer = html.split('<footer class="footer">')[1]
        assert "Innlogget som Lise Leder" in header and 'data-account="in"' in header, path
        assert "For ansatte: logg inn" not in footer and ">Min konto<" in footer, path


def test_admins_get_the_admin_link_and_log_out_from_the_menu(app):
    """An admin's menu links to the admin; «Logg ut» is a POST with the form token, and it works."""
    admin = admin_client(app)
    html = admin.get("/admin/brukere").get_data(as_text=True)
    header = html.split("</header>")[0]
    assert 'href="/admin">Admin<' in header
    token = re.search(r'name="csrf_token" value="([^"]+)"', header).group(1)
    out = admin.post("/konto/logg-ut", data={"csrf_token": token})
    assert out.status_code == 302 and out.headers["Location"].endswith("/konto/logg-inn")
    after = admin.get("/konto/logg-inn").get_data(as_text=True)
    assert 'data-account="out"' in after and "Innlogget som" not in after
    assert admin.get("/konto/meny").status_code == 204
    assert admin.post("/konto/logg-ut").status_code == 400  # no token, no logout by a stray POST


def test_alert_history_has_a_way_back(leader):
    """/varsel/historikk leads back to the account page."""
    html = leader.get("/varsel/historikk").get_data(as_text=True)
    assert re.search(r'class="crumb"><a href="/konto">← Min konto</a>', html)


def test_every_admin_page_has_the_admin_menu(app):
    """Each admin screen shows the admin menu, with the current section marked."""
    admin = admin_client(app)
    for path in ("/admin", "/admin/steder", "/admin/brukere", "/admin/datoer", "/admin/innlogging"):
        html = admin.get(path).get_data(as_text=True)
        assert 'aria-label="Administrasjon"' in html, path
    assert 'href="/admin/steder" aria-current="page"' in admin.get("/admin/steder").get_data(as_text=True)
    assert PASSWORD  # the admin signed in with the shared test password

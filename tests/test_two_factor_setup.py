"""Two-factor setup that survives a reload: one key per person until it is confirmed or cancelled."""

from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import parse_qs, unquote, urlparse

from backend.extensions import db
from backend.models import User
from backend.services import accounts
from tests.support import TOTP_SECRET, current_code, login, make_user, post, setup_secret

SETUP = "/konto/to-trinn/oppsett"


def signed_in(app, email="admin@skole.no", roles=("admin",)):
    """A client signed in as a person without two-factor login yet."""
    make_user(app, email, roles, totp=False)
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def session_data(app, client) -> dict:
    """What the browser's session cookie holds, decoded (it is signed, not encrypted)."""
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    assert cookie is not None
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def field_error(html: str) -> str:
    """The error text under the code field."""
    match = re.search(r'<p class="field-error" id="code-error">(.*?)</p>', html, re.S)
    assert match, "no error under the code field"
    return unescape(match.group(1))


def test_setup_page_loaded_twice_accepts_a_code_from_the_first_load(app):
    """A phone reloads the page while its owner is in the authenticator app: the first key still works."""
    client = signed_in(app)
    first = setup_secret(client.get(SETUP).get_data(as_text=True))
    second = setup_secret(client.get(SETUP).get_data(as_text=True))
    assert second == first
    done = post(client, SETUP, {"code": current_code(first)})
    assert done.status_code == 200 and "Reservekoder" in done.get_data(as_text=True)
    with app.app_context():
        user = accounts.get_by_email("admin@skole.no")
        assert user.totp_secret == first and user.totp_pending_secret is None


def test_the_pending_key_is_kept_on_the_server_not_in_the_cookie(app):
    """The session cookie is only signed, so the key must not be in it; it is on the person's row."""
    client = signed_in(app)
    secret = setup_secret(client.get(SETUP).get_data(as_text=True))
    assert secret not in json.dumps(session_data(app, client))
    with app.app_context():
        assert accounts.get_by_email("admin@skole.no").totp_pending_secret == secret


def test_the_key_survives_signing_out_and_in_again(app):
    """Kept until confirmed or cancelled: a new sign-in shows the key the app already has."""
    client = signed_in(app)
    secret = setup_secret(client.get(SETUP).get_data(as_text=True))
    post(client, "/konto/logg-ut")
    assert login(client).status_code == 302
    assert setup_secret(client.get(SETUP).get_data(as_text=True)) == secret


def test_each_person_has_their_own_pending_key(app):
    """Two people setting up at once get different keys, and one's code does not switch on the other's."""
    lise = signed_in(app, "lise@skole.no", ("leader",))
    ola = signed_in(app, "ola@skole.no", ("leader",))
    lise_secret = setup_secret(lise.get(SETUP).get_data(as_text=True))
    ola_secret = setup_secret(ola.get(SETUP).get_data(as_text=True))
    assert lise_secret != ola_secret
    assert post(ola, SETUP, {"code": current_code(lise_secret)}).status_code == 422
    with app.app_context():
        assert not accounts.get_by_email("ola@skole.no").totp_enabled


def test_cancelling_forgets_the_key_and_the_next_visit_shows_a_new_one(app):
    """«Avbryt oppsettet» drops the key; its codes no longer switch anything on."""
    client = signed_in(app)
    old = setup_secret(client.get(SETUP).get_data(as_text=True))
    cancelled = post(client, f"{SETUP}/avbryt")
    assert cancelled.status_code == 302 and cancelled.headers["Location"].endswith("/konto")
    assert "Oppsettet er avbrutt" in client.get("/konto").get_data(as_text=True)
    with app.app_context():
        assert accounts.get_by_email("admin@skole.no").totp_pending_secret is None
    new = setup_secret(client.get(SETUP).get_data(as_text=True))
    assert new != old
    assert post(client, SETUP, {"code": current_code(old)}).status_code == 422


def test_cancel_without_the_form_token_changes_nothing(app):
    """A cross-site POST cannot throw away someone's key (CSRF is checked)."""
    client = signed_in(app)
    secret = setup_secret(client.get(SETUP).get_data(as_text=True))
    client.post(f"{SETUP}/avbryt")
    with app.app_context():
        assert accounts.get_by_email("admin@skole.no").totp_pending_secret == secret


def test_phone_link_grouped_key_and_copy_button(app):
    """On a phone: «Åpne i autentiseringsappen» (otpauth://), the key in fours, a copy button."""
    client = signed_in(app)
    html = client.get(SETUP).get_data(as_text=True)
    secret = setup_secret(html)
    link = re.search(r'<a class="button" href="([^"]+)">Åpne i autentiseringsappen</a>', html)
    assert link, "no link to the authenticator app"
    uri = urlparse(unescape(link.group(1)))
    assert uri.scheme == "otpauth" and uri.netloc == "totp"
    assert parse_qs(uri.query)["secret"] == [secret]
    assert unquote(uri.path).endswith("admin@skole.no")
    shown = re.search(r'<code class="secret"[^>]*>(.*?)</code>', html, re.S).group(1)
    groups = re.findall(r'<span class="secret-group">([A-Z2-7]+)</span>', shown)
    assert "".join(groups) == secret and all(len(group) == 4 for group in groups)
    assert " ".join(groups) in re.sub(r"<[^>]+>", "", shown)  # typed or read aloud in fours
    button = re.search(r"<button[^>]*data-copy=\"([A-Z2-7]+)\"[^>]*>Kopier nøkkelen</button>", html)
    assert button and button.group(1) == secret
    assert " hidden" in button.group(0)  # shown by js/copy.js; without JavaScript the key can be selected
    assert "<script>" not in html and "onclick" not in html


def wrong_code_message(app, client, code: str) -> str:
    response = post(client, SETUP, {"code": code})
    assert response.status_code == 422
    return field_error(response.get_data(as_text=True))


def test_a_code_from_another_key_names_the_old_app_entry_first(app):
    """The likely cause first: an older Rusplan entry in the app; the clock only when it is the clock."""
    client = signed_in(app)
    client.get(SETUP)
    message = wrong_code_message(app, client, current_code(TOTP_SECRET))
    assert message.startswith("Koden hører ikke til nøkkelen på denne siden. Oftest har appen en eldre")
    assert "klokka" not in message.lower()


def test_a_phone_clock_that_is_off_is_named(app):
    """A code from this key, but five minutes ahead: the clock is the cause, and the page says so."""
    client = signed_in(app)
    secret = setup_secret(client.get(SETUP).get_data(as_text=True))
    ahead = wrong_code_message(app, client, current_code(secret, offset_steps=10))
    assert ahead.startswith("Klokka på telefonen går 5 minutter for fort.")
    behind = wrong_code_message(app, client, current_code(secret, offset_steps=-6))
    assert behind.startswith("Klokka på telefonen går 3 minutter for sakte.")


def test_a_code_that_is_not_six_digits_says_what_to_type(app):
    """Letters or a short code: the message says what a code looks like."""
    client = signed_in(app)
    client.get(SETUP)
    assert wrong_code_message(app, client, "12ab") == "Skriv de seks sifrene appen viser under Rusplan."


def test_a_new_key_for_an_admin_names_a_code_from_the_old_entry(app):
    """An admin replacing their key types the code of the entry they already had: the page says so."""
    make_user(app)
    client = app.test_client()
    login(client)
    html = client.get(f"{SETUP}?ny=1").get_data(as_text=True)
    new = setup_secret(html)
    assert new != TOTP_SECRET
    message = wrong_code_message(app, client, current_code(TOTP_SECRET, offset_steps=1))
    assert message.startswith("Koden er fra den gamle Rusplan-oppføringen i appen.")
    assert post(client, SETUP, {"code": current_code(new)}).status_code == 200
    with app.app_context():
        user = db.session.get(User, accounts.get_by_email("admin@skole.no").id)
        assert user.totp_secret == new and user.totp_pending_secret is None

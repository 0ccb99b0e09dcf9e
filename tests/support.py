"""Helpers for tests that log in: make accounts, log in with password and code, read form tokens."""

from __future__ import annotations

import re

import pyotp

from backend.services import accounts, contact_links
from backend.services import plan as plan_service

PASSWORD = "lang nok setning for testen 7"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def make_user(
    app, email="admin@skole.no", roles=("admin",), *, password=PASSWORD, totp=True, name=None, contact_id=None
):
    """Create an account with a password; admins get two-factor login switched on.

    contact_id links the account to that person in the plan's contact list, as an admin would.
    """
    with app.app_context():
        user = accounts.create_user(
            email, name or email.split("@")[0].title(), list(roles), password=password
        )
        if contact_id is not None:
            current = plan_service.revision_cache.current()
            contact_links.link_contact(user, contact_id, current.plan, actor=None)
        if totp:
            codes = accounts.enable_totp(user, TOTP_SECRET, current_code(), ip=None)
            return user.id, codes
        return user.id, []


def current_code(secret: str = TOTP_SECRET, offset_steps: int = 0) -> str:
    """Return the code an authenticator app shows now (or some 30-second steps away)."""
    totp = pyotp.TOTP(secret)
    return totp.at(accounts.now(), counter_offset=offset_steps)


def next_code(secret: str = TOTP_SECRET) -> str:
    """Return the code of the next step, valid within the allowed drift and not used yet."""
    return current_code(secret, 1)


def setup_secret(html: str) -> str:
    """Read the key the two-factor setup page shows (its copy button copies it without spaces)."""
    match = re.search(r'data-secret="([A-Z2-7]+)"', html)
    assert match, "no two-factor key on the page"
    return match.group(1)


def csrf_token(html: str) -> str:
    """Read the CSRF token from a page's form."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'"X-CSRFToken": "([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


def draft_base(html: str) -> str:
    """Read an admin form's `base`: the fingerprint of what the form was filled from (lost updates)."""
    match = re.search(r'id="base" name="base" type="hidden" value="([^"]*)"', html)
    assert match, "no base field in the form"
    return match.group(1)


def token(client) -> str:
    """Return the CSRF token of the client's current session (from the login or the account page)."""
    page = client.get("/konto/logg-inn")
    if page.status_code == 302:  # already logged in
        page = client.get("/konto")
    return csrf_token(page.get_data(as_text=True))


def post(client, url: str, data: dict | None = None, **kwargs):
    """POST a form the way a browser does: with the session's CSRF token."""
    return client.post(url, data={"csrf_token": token(client), **(data or {})}, **kwargs)


def login(client, email="admin@skole.no", password=PASSWORD, *, code=None, remember=False):
    """Log in through the forms (with the code when the account has two-factor); return the last response."""
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    response = post(client, "/konto/logg-inn", data)
    if response.status_code == 302 and response.headers["Location"].endswith("/konto/to-trinn"):
        response = post(client, "/konto/to-trinn", {"code": code or next_code()})
    return response


def admin_client(app):
    """Return a test client logged in as an admin with two-factor, ready to edit."""
    make_user(app)
    client = app.test_client()
    response = login(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin")
    return client

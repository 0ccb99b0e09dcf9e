"""Where a login or a password confirmation sends the browser next: only ever a path on this site.

The `next` values are the known redirect tricks, written as they arrive in the query string (so
`%09` is a tab after decoding). Each Location is followed the way a browser parses it (the WHATWG URL
rules: controls stripped at the ends, tab/CR/LF removed, `\\` read as `/`), and must stay on this host.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest

from tests.support import PASSWORD, csrf_token, login, make_user, post

HOST = "localhost"
TRICKS = [
    "/%09/evil.example",
    "/%0d%0a/evil.example",
    "/%0d%0aSet-Cookie:%20x=1",
    "%0d%0a//evil.example",
    "/%0a/evil.example",
    "%09//evil.example",
    "%20//evil.example",
    "%01//evil.example",
    "/%5C/evil.example",
    "/%5Cevil.example",
    "%5C%5Cevil.example",
    "/%5C%2Fevil.example",
    "//evil.example",
    "///evil.example",
    "/%2F/evil.example",
    "%2F%2Fevil.example",
    "https://evil.example",
    "https:evil.example",
    "http:/evil.example",
    "@evil.example",
    "/@evil.example",
    "//evil.example@localhost",
    "//localhost@evil.example",
    "//evil%E3%80%82example",
    "/%E3%80%82%E3%80%82/evil.example",
    "javascript:alert(1)",
    "/%7F/evil.example",
    "/%C2%85/evil.example",
    "/admin%09",
    "%E2%80%A8//evil.example",
]


def browser_target(location: str, base: str = f"http://{HOST}/konto/logg-inn") -> str:
    """Return the host a browser would go to for this Location header."""
    edge = "".join(chr(code) for code in range(0x21))
    url = location.strip(edge)
    for ch in "\t\n\r":
        url = url.replace(ch, "")
    url = url.replace("\\", "/")
    return urlsplit(urljoin(base, url)).hostname or ""


@pytest.mark.parametrize("trick", TRICKS)
def test_login_never_sends_the_browser_to_another_site(app, trick):
    """Whatever `next` a phishing link carries, the login answers 302 to a path on this site, never 500."""
    make_user(app, "leder@skole.no", ("leader",), totp=False)
    client = app.test_client()
    page = client.get(f"/konto/logg-inn?next={trick}")
    assert page.status_code in {200, 400}, page.status_code
    response = client.post(
        "/konto/logg-inn",
        data={
            "email": "leder@skole.no",
            "password": PASSWORD,
            "csrf_token": csrf_token(client.get("/konto/logg-inn").get_data(as_text=True)),
        },
    )
    assert response.status_code == 302, response.status_code
    location = response.headers["Location"]
    assert browser_target(location) == HOST, location
    assert not any(ord(ch) < 0x21 for ch in location), location


@pytest.mark.parametrize("trick", TRICKS)
def test_confirming_the_password_never_sends_the_browser_to_another_site(app, trick):
    """The re-confirm form's `next` (from the query or a forged POST) stays on this site too."""
    from urllib.parse import unquote

    make_user(app, "leder@skole.no", ("leader",), totp=False)
    client = app.test_client()
    login(client, "leder@skole.no")
    page = client.get(f"/konto/bekreft?next={trick}")
    assert page.status_code in {200, 400}, page.status_code
    response = post(client, "/konto/bekreft", {"password": PASSWORD, "next": unquote(trick)})
    assert response.status_code == 302, response.status_code
    assert browser_target(response.headers["Location"]) == HOST, response.headers["Location"]


def test_a_local_next_still_works(app):
    """A plain path on this site is kept: the login goes back to the page that asked for it."""
    make_user(app, "leder@skole.no", ("leader",), totp=False)
    client = app.test_client()
    client.get("/konto/logg-inn?next=/varsel/innstillinger%3Fa%3D1")
    response = login(client, "leder@skole.no")
    assert response.headers["Location"] == "/varsel/innstillinger?a=1"

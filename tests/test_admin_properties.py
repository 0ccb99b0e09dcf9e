"""Property-based tests: no input to the admin and account forms gives a server error."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.services import plan as plan_service
from tests.conftest import make_app
from tests.support import admin_client, token

# Text as people (and attackers) type it: any unicode, NUL bytes, line breaks, very long strings.
nasty_text = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=50).map(lambda s: s + "\x00" + s),
    st.sampled_from(
        ["", " ", "\x00", "\r\n", "<script>alert(1)</script>", "ø" * 70000, "9" * 5000, "💊" * 300]
    ),
)
huge_ints = st.integers(min_value=2**63 - 2, max_value=2**70) | st.integers(min_value=-(2**70), max_value=0)
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

FORMS = {
    "/admin/kontakter/ny": ("name", "role", "phone", "group", "new_group", "drug_responsible"),
    "/admin/kontakter/kristin-stoten": ("name", "role", "phone", "group", "new_group", "base"),
    "/admin/kontakter/kristin-stoten/flytt": ("retning",),
    "/admin/kontakter/politi": ("label", "description", "phone", "base"),
    "/admin/kontakter/gruppe/ledelse": ("title",),
    "/admin/sjekkliste": ("title", "quote", "signs", "base"),
    "/admin/alternativer/alternativ-1": (
        "title",
        "intro",
        "after_steps",
        "meeting_text",
        "agenda_intro",
        "agenda",
    ),
    "/admin/alternativer/alternativ-1/steg/ny": ("text", "actor", "audience", "heading"),
    "/admin/alternativer/alternativ-1/steg/ta-videre": ("text", "actor", "audience", "heading", "base"),
    "/admin/tekster/innledning": ("title", "body", "base"),
    "/admin/tekster/innledning/forhandsvis": ("body",),
    "/admin/lenker": ("laws", "useful", "base"),
    "/admin/datoer": (
        "school_year",
        "version",
        "version_date",
        "next_revision",
        "next_revision_date",
        "responsible",
    ),
    "/admin/publiser": ("note", "version"),
    "/admin/brukere/ny": ("name", "email", "roles"),
    "/konto/passord": ("current", "password", "repeat"),
}


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """One app and one logged-in admin for all examples (the database grows, which is fine)."""
    app = make_app(tmp_path_factory.mktemp("properties"), WTF_CSRF_ENABLED=True)
    client = admin_client(app)
    return app, client, token(client)


@pytest.mark.parametrize("url", sorted(FORMS))
def test_no_form_input_gives_a_server_error(setup, url):
    """Whatever is typed into an admin form, the answer is a page, never a 500; the plan stays valid."""
    app, client, csrf = setup

    @SETTINGS
    @given(st.fixed_dictionaries({field: nasty_text for field in FORMS[url]}))
    def check(values):
        response = client.post(url, data={**values, "csrf_token": csrf})
        assert response.status_code < 500, response.get_data(as_text=True)[:500]

    check()
    with app.app_context():
        plan_service.plan_from_data(plan_service.latest_revision().data)


@SETTINGS
@given(number=huge_ints, suffix=st.sampled_from(["", "/gjenopprett", "/roller", "/deaktiver", "/aktiver"]))
def test_huge_and_negative_ids_in_urls_are_not_errors(setup, number, suffix):
    """Ids at or above 2^63 (and negative ones) are a 404 or 405, never a crash."""
    _app, client, csrf = setup
    for base in ("/admin/revisjoner/", "/admin/brukere/"):
        assert client.get(f"{base}{number}").status_code in (200, 404, 405)
        assert client.post(f"{base}{number}{suffix}", data={"csrf_token": csrf}).status_code in (
            302,
            404,
            405,
        )


@SETTINGS
@given(segment=st.text(min_size=1, max_size=300).filter(lambda s: "/" not in s and s not in {".", ".."}))
def test_any_text_in_url_segments_is_not_an_error(setup, segment):
    """Unknown or strange contact, step, section and invitation names answer 404/410, not 500."""
    _app, client, csrf = setup
    from urllib.parse import quote

    part = quote(segment, safe="")
    for url in (
        f"/admin/kontakter/{part}",
        f"/admin/alternativer/{part}",
        f"/admin/alternativer/alternativ-1/steg/{part}",
        f"/admin/tekster/{part}",
        f"/konto/invitasjon/{part}",
    ):
        assert client.get(url).status_code < 500
        assert client.post(url, data={"csrf_token": csrf, "text": "x"}).status_code < 500


@SETTINGS
@given(email=nasty_text, password=nasty_text)
def test_login_form_never_crashes(setup, email, password):
    """Any e-mail and password give 401/403/422/429, never a 500."""
    app, _client, _csrf = setup
    anonymous = app.test_client()
    response = anonymous.post(
        "/konto/logg-inn", data={"email": email, "password": password, "csrf_token": token(anonymous)}
    )
    assert response.status_code in (401, 403, 413, 422, 429)

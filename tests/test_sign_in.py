"""Signing in with Feide or another OpenID Connect provider, through a real local provider on 127.0.0.1.

The provider (tests/oidc_provider.py) is built with Authlib's server parts; the app talks to it over
HTTP as it would to Feide: discovery, JWKS, the code exchange. Each refused-token case changes one thing
in an otherwise valid answer, so the test proves that this one check refuses it.
"""

from __future__ import annotations

import time

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from backend import create_app
from backend.extensions import db
from backend.models import AuditEvent, Invitation, SignInIdentity, User
from backend.services import accounts
from tests.conftest import make_app
from tests.oidc_provider import FEIDE_ORG_CLAIM, OIDCProvider, Person, query
from tests.support import admin_client, csrf_token, make_user, next_code

EPPN = FEIDE_ORG_CLAIM


@pytest.fixture(scope="module")
def provider():
    """One local OpenID Connect provider for the module's tests."""
    running = OIDCProvider().start()
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def _fresh_provider(provider):
    """Every test starts with a well-behaved provider and Lise from the school's organisation."""
    provider.person = Person(extra={EPPN: "lise@skole.no"})
    provider.tamper = None
    provider.signing = "ok"
    provider.algorithms = ["RS256"]
    provider.id_token_minimal = False
    provider.userinfo_sub = None
    provider.userinfo_calls = 0
    provider.authorize_requests.clear()
    provider.token_requests.clear()
    yield


@pytest.fixture
def feide_app(tmp_path, provider):
    """An app that signs in with Feide (the local provider), organisation skole.no."""
    return make_app(tmp_path, **provider.config("feide"))


@pytest.fixture
def generic_app(tmp_path, provider):
    """An app that signs in with a generic provider («Microsoft»), by its issuer URL."""
    return make_app(tmp_path, **provider.config("oidc"))


def invite(app, email="lise@skole.no", name="Lise Leder", roles=("leader",)) -> int:
    with app.app_context():
        user = accounts.create_user(email, name, list(roles))
        accounts.create_invitation(user, actor="rektor@skole.no")
        return user.id


def start(client, key="feide", **params):
    """Tap «Logg inn med …»: the app sends the browser to the provider's authorization endpoint."""
    response = client.get(f"/konto/logg-inn/{key}", query_string=params)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response.headers["Location"]


def at_provider(authorize_url: str) -> str:
    """The provider signs the person in and sends the browser back: return the app's callback path."""
    answer = requests.get(authorize_url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:500]
    return answer.headers["Location"].replace("http://localhost", "")


def sign_in(client, key="feide", **params):
    """The whole round trip; return the app's answer to the callback."""
    return client.get(at_provider(start(client, key, **params)))


def signed_in_as(client) -> str | None:
    """Return the name on the account page, or None when not signed in."""
    page = client.get("/konto")
    if page.status_code != 200:
        return None
    return page.get_data(as_text=True).split("<dt>Navn</dt><dd>")[1].split("<")[0]


def refused_with(response, text: str) -> None:
    html = response.get_data(as_text=True)
    assert response.status_code in (400, 403), response.status_code
    assert "data-sign-in-refused" in html and text in html, html[:2000]


def refusal_reason(app) -> str:
    """Return why the last sign-in was refused, as the log has it («Feide: id-token-…»)."""
    with app.app_context():
        return (
            db.session.execute(
                select(AuditEvent.detail)
                .where(AuditEvent.event == "sign_in_refused")
                .order_by(AuditEvent.id.desc())
            )
            .scalars()
            .first()
        )


def linked(app) -> list[tuple[int, str, str]]:
    with app.app_context():
        return [
            (row.user_id, row.issuer, row.subject)
            for row in db.session.execute(select(SignInIdentity)).scalars()
        ]


# --- The login page -------------------------------------------------------------------------------


def test_login_page_shows_feide_first_and_password_below(feide_app):
    """«Logg inn med Feide» comes before the e-mail and password form; the link is not boosted by htmx."""
    html = feide_app.test_client().get("/konto/logg-inn").get_data(as_text=True)
    button = html.index("Logg inn med Feide")
    assert button < html.index('name="email"') and button < html.index('name="password"')
    assert 'hx-boost="false" href="/konto/logg-inn/feide"' in html


def test_without_sign_in_settings_nothing_changes(app):
    """Without OIDC settings there is no button, no route to a provider, and the admin page says so."""
    client = app.test_client()
    assert "Logg inn med" not in client.get("/konto/logg-inn").get_data(as_text=True)
    assert client.get("/konto/logg-inn/feide").status_code == 404
    assert client.get("/konto/logg-inn/oidc/tilbake").status_code == 404
    admin = admin_client(app)
    assert "data-sign-in-off" in admin.get("/admin/innlogging").get_data(as_text=True)


def test_feide_without_the_organisation_does_not_start(tmp_path, provider):
    """A Feide client without FEIDE_ORGANIZATION would let any Feide user in: the app refuses to start."""
    config = provider.config("feide", FEIDE_ORGANIZATION="", TESTING=True, SECRET_KEY="x")
    config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    with pytest.raises(RuntimeError, match="FEIDE_ORGANIZATION"):
        create_app(config)


# --- A good sign-in --------------------------------------------------------------------------------


def test_invited_person_signs_in_with_feide_and_is_linked(feide_app, provider):
    """Lise was invited by e-mail; Feide vouches for that address: she is in, linked by her subject id,
    and her invitation link is used up. The flow used PKCE (S256), state and nonce."""
    lise = invite(feide_app)
    client = feide_app.test_client()
    authorize_url = start(client)
    asked = query(authorize_url)
    assert asked["response_type"] == "code" and asked["client_id"] == "rusplan-test"
    assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) >= 43
    assert len(asked["state"]) >= 20 and len(asked["nonce"]) >= 20
    assert asked["scope"].split() == ["openid", "email", "profile", "userid-feide"]
    assert asked["redirect_uri"] == "http://localhost/konto/logg-inn/feide/tilbake"

    answer = client.get(at_provider(authorize_url))
    assert answer.status_code == 302 and answer.headers["Location"] == "/konto"
    assert signed_in_as(client) == "Lise Leder"
    (exchange,) = provider.token_requests
    assert len(exchange["code_verifier"]) >= 43  # PKCE: the verifier only this app knew
    assert linked(feide_app) == [(lise, provider.issuer, "feide-sub-lise-0001")]
    with feide_app.app_context():
        assert db.session.execute(select(Invitation.used_at)).scalar_one() is not None
        user = db.session.get(User, lise)
        assert user.password_hash is None and user.is_active and user.roles == ["leader"]
        event = db.session.execute(select(AuditEvent).where(AuditEvent.event == "login")).scalar_one()
        assert event.detail == "Feide"


def test_no_tokens_are_kept_after_sign_in(feide_app):
    """The session keeps the login, not the provider's tokens or the flow's state, nonce or verifier."""
    invite(feide_app)
    client = feide_app.test_client()
    sign_in(client)
    cookie = client.get_cookie("session").value
    data = feide_app.session_interface.get_signing_serializer(feide_app).loads(cookie)
    assert not [key for key in data if key.startswith("_state_") or "token" in key or key.startswith("oidc_")]
    assert set(data) <= {"_user_id", "_fresh", "_id", "remember", "login_at", "signed_in_with", "_permanent"}


def test_second_sign_in_finds_the_person_by_subject_id(feide_app, provider):
    """Once linked, Lise is found by her subject id, also after her e-mail address changed at Feide."""
    invite(feide_app)
    sign_in(feide_app.test_client())
    provider.person = Person(email="lise.leder@ny.skole.no", extra={EPPN: "lise@skole.no"})
    client = feide_app.test_client()
    assert sign_in(client).status_code == 302
    assert signed_in_as(client) == "Lise Leder"


def test_person_is_never_matched_by_name(generic_app, provider):
    """Someone with Lise's name but another address and subject id is not Lise."""
    invite(generic_app)
    provider.person = Person(sub="other-sub", email="lise.leder@annen.no", name="Lise Leder")
    client = generic_app.test_client()
    refused_with(sign_in(client, "oidc"), "Du er ikke invitert til Rusplan")
    assert signed_in_as(client) is None and linked(generic_app) == []


def test_generic_provider_signs_in_an_existing_password_account(generic_app, provider):
    """A person with a password account may also sign in with the county's Microsoft account."""
    make_user(generic_app, "lise@skole.no", roles=("staff",), totp=False, name="Lise Leder")
    client = generic_app.test_client()
    assert "Logg inn med Microsoft" in client.get("/konto/logg-inn").get_data(as_text=True)
    assert sign_in(client, "oidc").status_code == 302
    assert signed_in_as(client) == "Lise Leder"


# --- Who may enter ---------------------------------------------------------------------------------


def test_uninvited_person_is_refused_with_a_clear_norwegian_message(feide_app):
    """Nobody invited Lise: she is told so, in Norwegian, and no account is made."""
    client = feide_app.test_client()
    answer = sign_in(client)
    refused_with(answer, "Du er ikke invitert til Rusplan ennå (lise@skole.no). Be en administrator")
    assert signed_in_as(client) is None
    with feide_app.app_context():
        assert db.session.execute(select(func.count(User.id))).scalar_one() == 0
        event = db.session.execute(
            select(AuditEvent).where(AuditEvent.event == "sign_in_refused")
        ).scalar_one()
        assert event.detail == "Feide: not-invited"


def test_uninvited_person_is_admitted_as_staff_when_self_signup_is_on_for_the_domain(tmp_path, provider):
    """With self-sign-up for skole.no, Lise gets in as «Ansatt» only; another domain is still refused."""
    app = make_app(tmp_path, **provider.config("oidc", SELF_SIGNUP_DOMAINS=["skole.no"]))
    client = app.test_client()
    assert sign_in(client, "oidc").status_code == 302
    assert signed_in_as(client) == "Lise Leder"
    with app.app_context():
        user = accounts.get_by_email("lise@skole.no")
        assert user.roles == ["staff"] and user.password_hash is None

    provider.person = Person(sub="ola-sub", email="ola@annen-skole.no", name="Ola")
    stranger = app.test_client()
    refused_with(sign_in(stranger, "oidc"), "Du er ikke invitert")


def test_feide_self_signup_admits_the_organisation_only(tmp_path, provider):
    """FEIDE_SELF_SIGNUP lets people of the school's organisation in as staff; other organisations never,
    even with an invitation to the same address."""
    app = make_app(tmp_path, **provider.config("feide", FEIDE_SELF_SIGNUP=True))
    client = app.test_client()
    assert sign_in(client).status_code == 302 and signed_in_as(client) == "Lise Leder"

    invite(app, "ola@skole.no", "Ola")
    provider.person = Person(sub="ola-sub", email="ola@skole.no", name="Ola", extra={EPPN: "ola@annen.no"})
    other = app.test_client()
    refused_with(sign_in(other), "Feide-brukeren din hører ikke til skolens organisasjon")
    assert signed_in_as(other) is None


def test_disabled_account_is_refused(feide_app):
    """A disabled account stays out, also through Feide."""
    lise = invite(feide_app)
    with feide_app.app_context():
        accounts.disable_user(db.session.get(User, lise), actor=None)
    refused_with(sign_in(feide_app.test_client()), "Kontoen er deaktivert")


# --- Refused tokens: each case changes one thing in a valid answer -----------------------------------


@pytest.fixture
def lise_invited(feide_app):
    invite(feide_app)
    return feide_app


def test_refused_wrong_state(lise_invited):
    """The callback's state is not the one this browser's session sent: refused, not signed in."""
    client = lise_invited.test_client()
    callback = at_provider(start(client))
    state = query(callback)["state"]
    answer = client.get(callback.replace(f"state={state}", "state=" + "x" * len(state)))
    refused_with(answer, "ble avbrutt eller kom fra en annen fane")
    assert signed_in_as(client) is None and linked(lise_invited) == []
    assert refusal_reason(lise_invited) == "Feide: state"


def test_refused_callback_from_another_browser(lise_invited):
    """A callback (code and state) opened in another browser, which never started a sign-in: refused."""
    callback = at_provider(start(lise_invited.test_client()))
    other = lise_invited.test_client()
    refused_with(other.get(callback), "Innloggingen ble ikke startet her")
    assert signed_in_as(other) is None


def test_refused_wrong_nonce(lise_invited, provider):
    """An ID token with another nonce (a replayed token) is refused."""
    provider.tamper = lambda claims: {**claims, "nonce": "en-annen-nonce"}
    client = lise_invited.test_client()
    refused_with(sign_in(client), "kunne ikke bekreftes")
    assert signed_in_as(client) is None and linked(lise_invited) == []
    assert refusal_reason(lise_invited) == "Feide: id-token-InvalidClaimError-nonce"


def test_refused_expired_id_token(lise_invited, provider):
    """An ID token that expired longer ago than the leeway is refused."""
    now = int(time.time())
    provider.tamper = lambda claims: {**claims, "iat": now - 7200, "exp": now - 3600}
    client = lise_invited.test_client()
    refused_with(sign_in(client), "kunne ikke bekreftes")
    assert signed_in_as(client) is None
    assert refusal_reason(lise_invited) == "Feide: id-token-ExpiredTokenError-exp"


def test_refused_id_token_issued_in_the_future(lise_invited, provider):
    """An ID token issued further in the future than the leeway is refused."""
    now = int(time.time())
    provider.tamper = lambda claims: {**claims, "iat": now + 600, "exp": now + 900}
    refused_with(sign_in(lise_invited.test_client()), "kunne ikke bekreftes")
    assert refusal_reason(lise_invited) == "Feide: id-token-InvalidClaimError-iat"


def test_clock_skew_within_the_leeway_is_accepted(lise_invited, provider):
    """Clocks differ a little: a token issued 30 s «in the future» and one expired 30 s ago still work."""
    now = int(time.time())
    provider.tamper = lambda claims: {**claims, "iat": now + 30}
    assert sign_in(lise_invited.test_client()).status_code == 302
    provider.tamper = lambda claims: {**claims, "iat": now - 330, "exp": now - 30}
    client = lise_invited.test_client()
    assert sign_in(client).status_code == 302 and signed_in_as(client) == "Lise Leder"


def test_refused_wrong_audience(lise_invited, provider):
    """An ID token made for another client is refused, also when its azp names this app."""
    provider.tamper = lambda claims: {**claims, "aud": ["en-annen-klient"], "azp": "rusplan-test"}
    client = lise_invited.test_client()
    refused_with(sign_in(client), "kunne ikke bekreftes")
    assert signed_in_as(client) is None
    assert refusal_reason(lise_invited) == "Feide: id-token-InvalidClaimError-aud"


def test_refused_wrong_issuer(lise_invited, provider):
    """An ID token from another issuer is refused."""
    provider.tamper = lambda claims: {**claims, "iss": "https://auth.example.com"}
    refused_with(sign_in(lise_invited.test_client()), "kunne ikke bekreftes")
    assert refusal_reason(lise_invited) == "Feide: id-token-InvalidClaimError-iss"


def test_refused_unsigned_id_token(lise_invited, provider):
    """alg «none» is refused, even when the provider's metadata advertises it."""
    provider.algorithms = ["RS256", "none"]
    provider.signing = "none"
    client = lise_invited.test_client()
    refused_with(sign_in(client), "kunne ikke bekreftes")
    assert signed_in_as(client) is None and linked(lise_invited) == []
    assert refusal_reason(lise_invited) == "Feide: id-token-UnsupportedAlgorithmError"


def test_refused_wrongly_signed_id_token(lise_invited, provider):
    """A token signed with a key that is not in the provider's JWKS (same kid) is refused."""
    provider.signing = "other-key"
    client = lise_invited.test_client()
    refused_with(sign_in(client), "kunne ikke bekreftes")
    assert signed_in_as(client) is None and linked(lise_invited) == []
    assert refusal_reason(lise_invited) == "Feide: id-token-BadSignatureError"


def test_refused_unverified_email(generic_app, provider):
    """The provider does not vouch for the address: the invitation to it is not used, and nobody is let in."""
    invite(generic_app)
    provider.person = Person(email_verified=False)
    client = generic_app.test_client()
    refused_with(sign_in(client, "oidc"), "bekrefter ikke e-postadressen din")
    assert signed_in_as(client) is None and linked(generic_app) == []
    provider.person = Person(email_verified=None)  # no claim at all: not verified either
    refused_with(sign_in(generic_app.test_client(), "oidc"), "bekrefter ikke e-postadressen din")

    # --- Admins and two-factor --------------------------------------------------------------------------
    assert refusal_reason(generic_app) == "Microsoft: email-not-verified"


def test_admin_with_mfa_at_the_provider_is_not_asked_for_the_apps_code(feide_app, provider):
    """Feide shows a second factor (amr «mfa»): the admin goes straight to /admin and may edit."""
    make_user(feide_app, "lise@skole.no", roles=("admin",), name="Lise Leder")  # TOTP on in the app too
    provider.person = Person(amr=["pwd", "mfa"], extra={EPPN: "lise@skole.no"})
    client = feide_app.test_client()
    answer = sign_in(client)
    assert answer.status_code == 302 and answer.headers["Location"] == "/admin"
    assert client.get("/admin").status_code == 200
    assert client.get("/admin/innlogging").status_code == 200


def test_admin_without_totp_is_let_in_by_mfa_at_the_provider(feide_app, provider):
    """An admin who never set up the app's code may edit when Feide showed a second factor."""
    make_user(feide_app, "lise@skole.no", roles=("admin",), totp=False, name="Lise Leder")
    provider.person = Person(amr=["pwd", "otp"], extra={EPPN: "lise@skole.no"})
    client = feide_app.test_client()
    sign_in(client)
    assert client.get("/admin").status_code == 200


def test_admin_without_mfa_at_the_provider_types_the_apps_code(feide_app, provider):
    """Only a password at Feide (amr «pwd»): the app asks for its own code before the admin gets in."""
    make_user(feide_app, "lise@skole.no", roles=("admin",), name="Lise Leder")
    provider.person = Person(amr=["pwd"], extra={EPPN: "lise@skole.no"})
    client = feide_app.test_client()
    answer = sign_in(client)
    assert answer.status_code == 302 and answer.headers["Location"] == "/konto/logg-inn/engangskode"
    assert signed_in_as(client) is None
    page = client.get("/konto/logg-inn/engangskode").get_data(as_text=True)
    wrong = client.post(
        "/konto/logg-inn/engangskode", data={"csrf_token": csrf_token(page), "code": "000000"}
    )
    assert wrong.status_code == 401 and signed_in_as(client) is None
    done = client.post(
        "/konto/logg-inn/engangskode", data={"csrf_token": csrf_token(page), "code": next_code()}
    )
    assert done.status_code == 302 and done.headers["Location"] == "/admin"
    assert client.get("/admin").status_code == 200


def test_admin_without_any_second_factor_must_set_up_the_apps_code(feide_app, provider):
    """No second factor at Feide and none in the app: the admin is sent to set up the app's code."""
    make_user(feide_app, "lise@skole.no", roles=("admin",), totp=False, name="Lise Leder")
    client = feide_app.test_client()
    sign_in(client)
    answer = client.get("/admin")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/konto/to-trinn/oppsett")


def test_stale_admin_session_confirms_at_the_provider_not_with_a_password(tmp_path, provider):
    """After FRESH_LOGIN_MINUTES an admin who came through Feide confirms there (prompt=login), since
    there is no password to type."""
    app = make_app(tmp_path, **provider.config("feide"), FRESH_LOGIN_MINUTES=0)
    make_user(app, "lise@skole.no", roles=("admin",), name="Lise Leder")
    provider.person = Person(amr=["mfa"], extra={EPPN: "lise@skole.no"})
    client = app.test_client()
    sign_in(client)
    answer = client.get("/admin/kontakter")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/konto/logg-inn/feide?bekreft=1&next=/admin/kontakter")
    assert query(start(client, bekreft=1))["prompt"] == "login"


# --- The admin's view -------------------------------------------------------------------------------


def test_admin_sees_the_settings_read_only_with_the_secret_masked(feide_app, provider):
    """The settings come from the environment; the client secret is never shown."""
    admin = admin_client(feide_app)
    html = admin.get("/admin/innlogging").get_data(as_text=True)
    assert provider.issuer in html and "rusplan-test" in html and "skole.no" in html
    assert provider.client.client_secret not in html and "••••••••" in html
    assert "http://localhost/konto/logg-inn/feide/tilbake" in html
    assert "Test innlogging" in html and 'href="/konto/logg-inn/feide?test=1"' in html
    assert "<form" not in html.split("<h1>")[1]  # nothing to change here


def test_test_sign_in_shows_the_answer_and_changes_nothing(feide_app, provider):
    """«Test innlogging» goes through the provider and shows who would be let in, while the admin stays
    signed in as themselves and nothing is linked."""
    admin = admin_client(feide_app)
    lise = invite(feide_app)
    authorize_url = start(admin, test=1)
    assert query(authorize_url)["prompt"] == "login"
    result = admin.get(at_provider(authorize_url))
    html = result.get_data(as_text=True)
    assert result.status_code == 200 and "data-sign-in-test-ok" in html
    assert "feide-sub-lise-0001" in html and "lise@skole.no (bekreftet)" in html
    assert f'href="/admin/brukere/{lise}">Lise Leder</a>' in html
    assert linked(feide_app) == [] and signed_in_as(admin) == "Admin"


def test_test_sign_in_is_for_admins_only(feide_app):
    """Someone not signed in cannot start the test (it would show another person's answer)."""
    answer = feide_app.test_client().get("/konto/logg-inn/feide?test=1")
    assert answer.status_code == 302 and "/konto/logg-inn?next=" in answer.headers["Location"]


def test_user_list_shows_how_each_person_signs_in(feide_app):
    """«Passord», «Feide», both, or «ikke ennå» for someone invited who has not come in yet."""
    admin = admin_client(feide_app)
    invite(feide_app)
    invite(feide_app, "ola@skole.no", "Ola Ansatt", ("staff",))
    sign_in(feide_app.test_client())
    html = admin.get("/admin/brukere").get_data(as_text=True)
    rows = {
        name: html.split(f'<span class="admin-item-title">{name}</span>')[1].split("</li>")[0]
        for name in ("Admin", "Lise Leder", "Ola Ansatt")
    }
    assert "data-sign-in-methods>Passord<" in rows["Admin"]
    assert "data-sign-in-methods>Feide<" in rows["Lise Leder"]
    assert "data-sign-in-methods>ikke ennå<" in rows["Ola Ansatt"] and "Invitert" in rows["Ola Ansatt"]


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(
    params=st.dictionaries(
        st.sampled_from(["code", "state", "error", "error_description", "iss", "session_state"]),
        st.one_of(st.text(max_size=200), st.sampled_from(["", "\x00", "access_denied", "x" * 5000])),
        max_size=4,
    ),
    started=st.booleans(),
)
def test_callback_survives_any_query(lise_invited, params, started):
    """Whatever comes back in the callback's query, started here or not: refused (400/403), never a 500,
    and nobody signed in."""
    client = lise_invited.test_client()
    if started:
        start(client)
    answer = client.get("/konto/logg-inn/feide/tilbake", query_string=params)
    assert answer.status_code in (400, 403), answer.status_code
    assert signed_in_as(client) is None


def test_invitation_offers_feide_instead_of_a_password(tmp_path, provider):
    """With Feide on, the invitation page and the invitation mail say that no password is needed."""
    from tests.mail_support import SmtpServer

    server = SmtpServer()
    with server as sink:
        app = make_app(tmp_path, **provider.config("feide"), **server.config())
        admin = admin_client(app)
        page = admin.post(
            "/admin/brukere/ny",
            data={
                "csrf_token": csrf_token(admin.get("/admin/brukere/ny").get_data(as_text=True)),
                "name": "Lise Leder",
                "email": "lise@skole.no",
                "roles": ["leader"],
            },
        ).get_data(as_text=True)
        link = page.split("data-invitation-link")[0].rsplit('value="', 1)[1].split('"')[0]
        (mail,) = sink.wait_for(1)
    assert "Bruker du Feide på skolen? Da trenger du ikke passord: velg «Logg inn med Feide» på " in mail.text
    assert "http://localhost/konto/logg-inn" in mail.links()
    html = app.test_client().get(link.replace("http://localhost", "")).get_data(as_text=True)
    assert "data-invitation-sign-in" in html and 'href="/konto/logg-inn/feide"' in html


def test_leader_who_signs_in_with_feide_receives_alerts(feide_app):
    """A leader without a password, signed in through Feide, is among the alert's recipients and in
    `flask users list` as active."""
    from backend.services.alerts import alerts

    lise = invite(feide_app)
    with feide_app.app_context():
        assert alerts.leader_ids() == []  # invited, not in yet
    sign_in(feide_app.test_client())
    with feide_app.app_context():
        assert alerts.leader_ids() == [lise]
        assert [user.id for user in accounts.users_with_role("leader")] == [lise]
    listed = feide_app.test_cli_runner().invoke(args=["users", "list"]).output
    assert "lise@skole.no\tLise Leder\tleader\taktiv" in listed


def test_admin_with_a_second_factor_shown_by_acr_skips_the_apps_code(tmp_path, provider):
    """A provider that reports the second factor in acr (a value listed in OIDC_MFA_ACR) counts too;
    any other acr does not."""
    app = make_app(tmp_path, **provider.config("oidc", OIDC_MFA_ACR=["urn:skole:tofaktor"]))
    make_user(app, "lise@skole.no", roles=("admin",), name="Lise Leder")
    provider.person = Person(acr="urn:skole:tofaktor")
    client = app.test_client()
    assert sign_in(client, "oidc").headers["Location"] == "/admin"
    provider.person = Person(acr="urn:skole:passord")
    other = app.test_client()
    assert sign_in(other, "oidc").headers["Location"] == "/konto/logg-inn/engangskode"


def test_claims_that_only_userinfo_has_are_fetched_once(lise_invited, provider):
    """Feide may leave the e-mail and the Feide name out of the ID token: they are asked from the
    userinfo endpoint (with the access token, which is then dropped), and Lise gets in."""
    provider.id_token_minimal = True
    client = lise_invited.test_client()
    assert sign_in(client).status_code == 302 and signed_in_as(client) == "Lise Leder"
    assert provider.userinfo_calls == 1


def test_no_userinfo_call_when_the_id_token_has_it_all(lise_invited, provider):
    """A complete ID token is enough: the access token is never used."""
    sign_in(lise_invited.test_client())
    assert provider.userinfo_calls == 0


def test_refused_userinfo_about_another_person(lise_invited, provider):
    """A userinfo answer with another sub than the ID token's is refused (a token mix-up)."""
    provider.id_token_minimal = True
    provider.userinfo_sub = "en-annen-person"
    client = lise_invited.test_client()
    refused_with(sign_in(client), "gjaldt ikke samme person")
    assert signed_in_as(client) is None and linked(lise_invited) == []
    assert refusal_reason(lise_invited) == "Feide: userinfo-sub"


def test_feide_name_in_userid_sec_is_enough(lise_invited, provider):
    """Feide's userid_sec («feide:lise@skole.no») also shows the organisation."""
    provider.person = Person(extra={"https://n.feide.no/claims/userid_sec": ["feide:lise@skole.no"]})
    client = lise_invited.test_client()
    assert sign_in(client).status_code == 302 and signed_in_as(client) == "Lise Leder"


def test_provider_down_at_the_callback_is_a_calm_refusal(lise_invited, provider, monkeypatch):
    """The callback lands on a worker that has not read the provider's metadata, and the provider is
    down: a Norwegian message, not a server error."""
    from backend.routes import sign_in as sign_in_routes

    client = lise_invited.test_client()
    callback = at_provider(start(client))
    oauth = lise_invited.extensions[sign_in_routes.OAUTH]
    oauth._clients.clear()  # a fresh worker: nothing cached
    monkeypatch.setitem(
        oauth._registry["feide"][1], "server_metadata_url", "http://127.0.0.1:9/.well-known/x"
    )
    refused_with(client.get(callback), "Fikk ikke kontakt med Feide")
    assert refusal_reason(lise_invited) == "Feide: network"

"""Accounts: login, logout, lockout, disabled users, cookies, two-factor, invitations, fresh login."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from backend import auth
from backend.extensions import db
from backend.models import AuditEvent, User
from backend.services import accounts
from tests.conftest import make_app
from tests.support import PASSWORD, csrf_token, current_code, login, make_user, next_code, post, setup_secret


def events(app, name: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.execute(select(AuditEvent).where(AuditEvent.event == name)).scalars())


def test_admin_logs_in_with_password_and_code_and_reaches_admin(app, client):
    """An admin types e-mail, password and the code from the app, and lands on the admin start page."""
    make_user(app)
    first = post(client, "/konto/logg-inn", {"email": "Admin@Skole.no ", "password": PASSWORD})
    assert first.status_code == 302 and first.headers["Location"].endswith("/konto/to-trinn")
    assert client.get("/admin").status_code == 302  # not logged in before the code
    second = post(client, "/konto/to-trinn", {"code": next_code()})
    assert second.headers["Location"].endswith("/admin")
    page = client.get("/admin")
    assert page.status_code == 200
    assert "Administrasjon" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert len(events(app, "login")) == 1
    # Logged in, the login page sends the admin on; account pages are never cached either.
    again = client.get("/konto/logg-inn")
    assert again.status_code == 302 and again.headers["Location"].endswith("/admin")
    assert client.get("/konto").headers["Cache-Control"] == "no-store"


def test_logout_ends_the_session(app, client):
    """After «Logg ut» the admin pages ask for a login again."""
    make_user(app)
    login(client)
    assert client.get("/admin").status_code == 200
    response = post(client, "/konto/logg-ut")
    assert response.headers["Location"].endswith("/konto/logg-inn")
    after = client.get("/admin")
    assert after.status_code == 302 and "/konto/logg-inn" in after.headers["Location"]
    assert len(events(app, "logout")) == 1


def test_wrong_password_is_refused_with_a_clear_message(app, client):
    """A wrong password gives 401 and one message that does not tell which part was wrong."""
    make_user(app)
    response = post(client, "/konto/logg-inn", {"email": "admin@skole.no", "password": "feil passord her!"})
    assert response.status_code == 401
    assert "Feil e-post eller passord." in response.get_data(as_text=True)
    unknown = post(client, "/konto/logg-inn", {"email": "ingen@skole.no", "password": "feil passord her!"})
    assert unknown.status_code == 401
    assert "Feil e-post eller passord." in unknown.get_data(as_text=True)
    assert len(events(app, "login_failed")) == 2


def test_repeated_failures_lock_the_account_with_429(app, client, monkeypatch):
    """Five wrong passwords lock the account for a while, even for the right password, across workers."""
    make_user(app)
    for _ in range(4):
        wrong = post(client, "/konto/logg-inn", {"email": "admin@skole.no", "password": "gjetter feil nå"})
        assert wrong.status_code == 401
    locked = post(client, "/konto/logg-inn", {"email": "admin@skole.no", "password": "gjetter feil nå"})
    assert locked.status_code == 429
    assert "For mange mislykkede forsøk" in locked.get_data(as_text=True)
    # A second client (another worker, another address) is refused too: the count is in the database.
    other = app.test_client()
    right = post(other, "/konto/logg-inn", {"email": "admin@skole.no", "password": PASSWORD})
    assert right.status_code == 429
    assert len(events(app, "lockout")) == 1
    later = accounts.now() + timedelta(minutes=16)
    monkeypatch.setattr(accounts, "now", lambda: later)
    assert login(other).headers["Location"].endswith("/admin")


def test_rate_limit_per_address_answers_429_in_norwegian(tmp_path):
    """Many attempts from one address are stopped by Flask-Limiter, with a Norwegian page."""
    app = make_app(tmp_path, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    statuses = [
        post(
            client, "/konto/logg-inn", {"email": f"x{i}@skole.no", "password": "feil passord her"}
        ).status_code
        for i in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    blocked = post(client, "/konto/logg-inn", {"email": "x@skole.no", "password": "feil passord her"})
    assert blocked.status_code == 429
    assert "For mange forsøk" in blocked.get_data(as_text=True)
    assert "Retry-After" in blocked.headers
    # Another address is not blocked.
    elsewhere = post(
        client,
        "/konto/logg-inn",
        {"email": "x@skole.no", "password": "feil passord her"},
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert elsewhere.status_code == 401


def test_disabled_user_cannot_log_in_and_is_logged_out_at_once(app, client):
    """Disabling an account ends its open session and refuses new logins."""
    make_user(app, "leder@skole.no", ("leader",), totp=False)
    login(client, "leder@skole.no")
    assert client.get("/konto").status_code == 200
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "disable", "leder@skole.no"])
    assert result.exit_code == 0, result.output
    assert client.get("/konto").status_code == 302
    refused = post(client, "/konto/logg-inn", {"email": "leder@skole.no", "password": PASSWORD})
    assert refused.status_code == 403
    assert "deaktivert" in refused.get_data(as_text=True)


def _cookie(client, name):
    cookie = client.get_cookie(name)
    assert cookie is not None, f"no cookie {name}"
    return cookie.value


def test_old_session_and_remember_cookies_are_refused_after_logout(app, client):
    """Replaying the cookies saved before «Logg ut» does not log anyone in."""
    make_user(app, "leder@skole.no", ("leader",), totp=False)
    login(client, "leder@skole.no", remember=True)
    session_cookie = _cookie(client, app.config["SESSION_COOKIE_NAME"])
    remember_cookie = _cookie(client, app.config["REMEMBER_COOKIE_NAME"])

    # Before logout, the remember cookie alone logs in (so the replay below is a real test).
    only_remember = app.test_client()
    only_remember.set_cookie(app.config["REMEMBER_COOKIE_NAME"], remember_cookie)
    assert only_remember.get("/konto").status_code == 200

    post(client, "/konto/logg-ut")

    replay = app.test_client()
    replay.set_cookie(app.config["SESSION_COOKIE_NAME"], session_cookie)
    replay.set_cookie(app.config["REMEMBER_COOKIE_NAME"], remember_cookie)
    response = replay.get("/konto")
    assert response.status_code == 302 and "/konto/logg-inn" in response.headers["Location"]
    remember_only = app.test_client()
    remember_only.set_cookie(app.config["REMEMBER_COOKIE_NAME"], remember_cookie)
    assert remember_only.get("/konto").status_code == 302


def test_password_change_logs_out_other_devices_but_not_this_one(app, client):
    """After a password change the other phone is logged out; this one stays in."""
    make_user(app, "leder@skole.no", ("leader",), totp=False)
    login(client, "leder@skole.no")
    other = app.test_client()
    login(other, "leder@skole.no")
    new = "et helt nytt passord for meg"
    response = post(client, "/konto/passord", {"current": PASSWORD, "password": new, "repeat": new})
    assert response.status_code == 302
    assert client.get("/konto").status_code == 200
    assert other.get("/konto").status_code == 302
    assert login(app.test_client(), "leder@skole.no", new).status_code == 302


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("kort123", "minst 12 tegn"),
        ("password1234", "for vanlig"),
        ("passordpassord", "for vanlig"),
        ("qwertyuiopasdfgh", "for vanlig"),
        ("aaaaaaaaaaaaaaaa", "for vanlig"),
    ],
)
def test_weak_passwords_are_refused(app, client, password, message):
    """Short and common passwords are refused at the field, and nothing changes."""
    make_user(app, "leder@skole.no", ("leader",), totp=False)
    login(client, "leder@skole.no")
    response = post(client, "/konto/passord", {"current": PASSWORD, "password": password, "repeat": password})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert login(app.test_client(), "leder@skole.no").status_code == 302


def test_password_is_rehashed_when_the_parameters_change(app, client):
    """Stronger argon2 parameters take effect at the next login, without a password reset."""
    make_user(app, "leder@skole.no", ("leader",), totp=False)
    with app.app_context():
        before = accounts.get_by_email("leder@skole.no").password_hash
    assert before.startswith("$argon2id$") and ",t=1," in before
    app.config["ARGON2_TIME_COST"] = 2
    assert login(client, "leder@skole.no").status_code == 302
    with app.app_context():
        after = accounts.get_by_email("leder@skole.no").password_hash
    assert after != before and ",t=2," in after


def test_admin_without_two_factor_must_set_it_up_first(app, client):
    """An admin without codes is sent to set them up, gets recovery codes, then can edit."""
    make_user(app, totp=False)
    response = login(client)
    assert client.get("/admin").headers["Location"].endswith("/konto/to-trinn/oppsett")
    setup = client.get("/konto/to-trinn/oppsett")
    html = setup.get_data(as_text=True)
    assert "<svg" in html and "QR-kode" in html
    secret = setup_secret(html)
    wrong = post(client, "/konto/to-trinn/oppsett", {"code": "000000"})
    assert wrong.status_code == 422
    done = post(client, "/konto/to-trinn/oppsett", {"code": current_code(secret)})
    codes_html = done.get_data(as_text=True)
    assert done.status_code == 200 and "Reservekoder" in codes_html
    assert codes_html.count("<li><code>") == 10
    assert client.get("/admin").status_code == 200
    with app.app_context():
        user = accounts.get_by_email("admin@skole.no")
        assert user.totp_secret == secret
        # Only hashes are stored.
        first_code = codes_html.split("<li><code>")[1].split("<")[0]
        assert all(first_code not in rc.code_hash for rc in user.recovery_codes)
    del response


def test_wrong_or_reused_code_is_refused_and_recovery_code_works_once(app):
    """A wrong code and a code already used are refused; a recovery code works once."""
    _user_id, codes = make_user(app)
    client = app.test_client()
    post(client, "/konto/logg-inn", {"email": "admin@skole.no", "password": PASSWORD})
    wrong = post(client, "/konto/to-trinn", {"code": "123456" if current_code() != "123456" else "654321"})
    assert wrong.status_code == 401
    # The code used when two-factor was switched on cannot be used again.
    reused = post(client, "/konto/to-trinn", {"code": current_code()})
    assert reused.status_code == 401
    ok = post(client, "/konto/to-trinn", {"recovery": codes[0].upper()})
    assert ok.status_code == 302 and ok.headers["Location"].endswith("/admin")
    again = app.test_client()
    post(again, "/konto/logg-inn", {"email": "admin@skole.no", "password": PASSWORD})
    assert post(again, "/konto/to-trinn", {"recovery": codes[0]}).status_code == 401
    assert len(events(app, "recovery_code_used")) == 1


def test_invitation_link_works_once(app, client):
    """An admin invites a leader; the link sets a password once and then stops working."""
    make_user(app)
    login(client)
    page = post(
        client, "/admin/brukere/ny", {"name": "Lise Leder", "email": "lise@skole.no", "roles": ["leader"]}
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<svg" in html
    link = html.split("data-invitation-link")[0].rsplit('value="', 1)[1].split('"')[0]
    path = link.replace("http://localhost", "")
    assert path.startswith("/konto/invitasjon/")
    invited = app.test_client()
    form = invited.get(path)
    assert form.status_code == 200 and "Lise Leder" in form.get_data(as_text=True)
    token = csrf_token(form.get_data(as_text=True))
    new = "mitt eget gode passord"
    accepted = invited.post(path, data={"csrf_token": token, "password": new, "repeat": new})
    assert accepted.status_code == 302
    assert invited.get(path).status_code == 410
    # Accepting signed Lise in (a new session, so a new form token); the used link stays used.
    assert post(invited, path, {"password": new, "repeat": new}).status_code == 410
    assert login(app.test_client(), "lise@skole.no", new).headers["Location"].endswith("/konto")


def test_invitation_link_expires(app, monkeypatch):
    """An invitation not used within 72 hours no longer works."""
    make_user(app, "leder@skole.no", ("leader",), totp=False)
    with app.app_context():
        user = accounts.get_by_email("leder@skole.no")
        token, _invitation = accounts.create_invitation(user, actor="admin@skole.no")
    client = app.test_client()
    assert client.get(f"/konto/invitasjon/{token}").status_code == 200
    start = accounts.now()
    monkeypatch.setattr(accounts, "now", lambda: start + timedelta(hours=71, minutes=59))
    assert client.get(f"/konto/invitasjon/{token}").status_code == 200
    monkeypatch.setattr(accounts, "now", lambda: start + timedelta(hours=72, seconds=1))
    page = client.get(f"/konto/invitasjon/{token}")
    assert page.status_code == 410
    assert "virker ikke lenger" in page.get_data(as_text=True)


def test_admin_edits_need_a_fresh_login(app, client, monkeypatch):
    """An hour after the password was typed, admin pages ask for it (and a code) again."""
    make_user(app)
    login(client)
    assert client.get("/admin/kontakter").status_code == 200
    later = time.time() + 61 * 60
    monkeypatch.setattr(auth.time, "time", lambda: later)
    moved = accounts.now() + timedelta(minutes=61)
    monkeypatch.setattr(accounts, "now", lambda: moved)  # the authenticator app's clock moves too
    response = client.get("/admin/kontakter")
    assert response.status_code == 302 and "/konto/bekreft" in response.headers["Location"]
    form = client.get(response.headers["Location"])
    assert "engangskode" in form.get_data(as_text=True)
    token = csrf_token(form.get_data(as_text=True))
    bad = client.post("/konto/bekreft", data={"csrf_token": token, "password": PASSWORD, "code": "000000"})
    assert bad.status_code == 401
    good = client.post(
        "/konto/bekreft",
        data={"csrf_token": token, "password": PASSWORD, "code": current_code(), "next": "/admin/kontakter"},
    )
    assert good.headers["Location"].endswith("/admin/kontakter")
    assert client.get("/admin/kontakter").status_code == 200


def test_changing_network_does_not_log_out(app, client):
    """Moving from Wi-Fi to 4G (a new IP address and the same browser) keeps the login."""
    make_user(app, "leder@skole.no", ("leader",), totp=False)
    post(
        client,
        "/konto/logg-inn",
        {"email": "leder@skole.no", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.0.5"},
    )
    response = client.get("/konto", environ_base={"REMOTE_ADDR": "100.64.3.9"})
    assert response.status_code == 200


def test_staff_and_leaders_cannot_open_admin_pages(app, client):
    """Only admins may edit; others get a Norwegian 403."""
    make_user(app, "ansatt@skole.no", ("staff", "leader"), totp=False)
    login(client, "ansatt@skole.no")
    response = client.get("/admin/kontakter")
    assert response.status_code == 403
    assert "ikke tilgang" in response.get_data(as_text=True)


def test_role_required_decorator_for_other_areas(tmp_path):
    """role_required("leader") lets leaders in, sends the anonymous to login and refuses staff."""
    app = make_app(tmp_path)
    app.add_url_rule("/varsel/test", "alert_test", auth.role_required("leader")(lambda: "ok"))
    make_user(app, "leder@skole.no", ("leader",), totp=False)
    make_user(app, "ansatt@skole.no", ("staff",), totp=False)
    anonymous = app.test_client()
    assert anonymous.get("/varsel/test").status_code == 302
    leader = app.test_client()
    login(leader, "leder@skole.no")
    assert leader.get("/varsel/test").get_data(as_text=True) == "ok"
    staff = app.test_client()
    login(staff, "ansatt@skole.no")
    assert staff.get("/varsel/test").status_code == 403
    with app.app_context():
        assert [u.email for u in accounts.users_with_role("leader")] == ["leder@skole.no"]


def test_cookies_are_secure_with_host_names_over_https(tmp_path):
    """Behind HTTPS the cookies are __Host-, Secure, HttpOnly, SameSite=Lax; remember lasts 30 days."""
    app = make_app(tmp_path, HTTPS=True)
    make_user(app, "leder@skole.no", ("leader",), totp=False)
    client = app.test_client()
    page = client.get("/konto/logg-inn", base_url="https://localhost")
    token = csrf_token(page.get_data(as_text=True))
    response = client.post(
        "/konto/logg-inn",
        data={"csrf_token": token, "email": "leder@skole.no", "password": PASSWORD, "remember": "y"},
        base_url="https://localhost",
        headers={"Referer": "https://localhost/konto/logg-inn"},  # Flask-WTF checks it over HTTPS
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("__Host-session="))
    remember_cookie = next(c for c in cookies if c.startswith("__Host-remember="))
    for cookie in (session_cookie, remember_cookie):
        assert "; Secure" in cookie and "; HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert "; Path=/" in cookie and "Domain" not in cookie
    assert "Max-Age=2592000" in remember_cookie or "Expires=" in remember_cookie


def test_cookies_without_https_have_plain_names(app):
    """On plain HTTP (development) the cookies work without the Secure flag."""
    assert app.config["SESSION_COOKIE_NAME"] == "session"
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=30)


def test_public_pages_do_not_depend_on_the_login(app, client):
    """A logged-in admin gets the same public page as anyone, without the session being read."""
    make_user(app)
    anonymous = app.test_client().get("/kontakter")
    login(client)
    logged_in = client.get("/kontakter")
    assert logged_in.get_data() == anonymous.get_data()
    assert "Set-Cookie" not in logged_in.headers
    assert "Cookie" not in logged_in.headers.get("Vary", "")
    assert "csrf" not in logged_in.get_data(as_text=True).lower()


def test_audit_log_shows_logins_failures_and_lockouts_to_admins(app, client):
    """The log page lists what happened, newest first, without passwords."""
    make_user(app)
    for _ in range(5):
        post(
            app.test_client(),
            "/konto/logg-inn",
            {"email": "leder@skole.no", "password": "hemmelig passord 1"},
        )
    make_user(app, "leder@skole.no", ("leader",), totp=False)
    for _ in range(5):
        post(
            app.test_client(),
            "/konto/logg-inn",
            {"email": "leder@skole.no", "password": "hemmelig passord 1"},
        )
    login(client)
    html = client.get("/admin/logg").get_data(as_text=True)
    assert "Innlogging" in html and "Mislykket innlogging" in html and "Konto sperret midlertidig" in html
    assert "hemmelig passord" not in html
    assert "ukjent e-postadresse" in html


def test_cli_creates_lists_and_disables_users(app):
    """`flask users create|list|disable` manage accounts from the server."""
    runner = app.test_cli_runner()
    created = runner.invoke(
        args=[
            "users",
            "create",
            "rektor@skole.no",
            "--name",
            "Rektor",
            "--role",
            "admin",
            "--role",
            "leader",
            "--password-stdin",
        ],
        input=PASSWORD + "\n",
    )
    assert created.exit_code == 0, created.output
    assert "Opprettet rektor@skole.no (leader, admin)" in created.output
    weak = runner.invoke(
        args=["users", "create", "x@skole.no", "--name", "X", "--role", "staff", "--password-stdin"],
        input="password\n",
    )
    assert weak.exit_code != 0 and "minst 12 tegn" in weak.output
    duplicate = runner.invoke(
        args=["users", "create", "REKTOR@skole.no", "--name", "R", "--role", "staff", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert duplicate.exit_code != 0 and "finnes allerede" in duplicate.output
    prompt = runner.invoke(
        args=["users", "create", "leder@skole.no", "--name", "Leder", "--role", "leader"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert prompt.exit_code == 0, prompt.output
    listed = runner.invoke(args=["users", "list"])
    assert "rektor@skole.no\tRektor\tleader,admin\taktiv" in listed.output
    assert runner.invoke(args=["users", "disable", "leder@skole.no"]).exit_code == 0
    assert "leder@skole.no\tLeder\tleader\tdeaktivert" in runner.invoke(args=["users", "list"]).output
    with app.app_context():
        assert db.session.execute(select(User).where(User.email == "leder@skole.no")).scalar_one().disabled


def test_times_are_shown_in_norwegian_time():
    """Stored UTC times (naive from SQLite, or aware) are shown in the school's time, summer and winter."""
    from datetime import UTC, datetime

    from backend.template_helpers import local_time

    assert local_time(datetime(2026, 6, 1, 10, 0, tzinfo=UTC)) == "1. juni 2026 kl. 12:00"
    assert local_time(datetime(2026, 1, 1, 10, 0)) == "1. januar 2026 kl. 11:00"


def test_behind_the_tls_proxy_limits_count_the_real_address(tmp_path):
    """With HTTPS on, the proxy's X-Forwarded-For decides the address: one person cannot block all."""
    app = make_app(tmp_path, HTTPS=True, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute")
    client = app.test_client()

    def attempt(address: str) -> int:
        page = client.get("/konto/logg-inn", base_url="https://rusplan.skole.no")
        return client.post(
            "/konto/logg-inn",
            data={
                "csrf_token": csrf_token(page.get_data(as_text=True)),
                "email": "x@skole.no",
                "password": "feil",
            },
            base_url="https://rusplan.skole.no",
            headers={
                "X-Forwarded-For": address,
                "X-Forwarded-Proto": "https",
                "Referer": "https://rusplan.skole.no/konto/logg-inn",
            },
        ).status_code

    assert [attempt("203.0.113.7") for _ in range(3)] == [401, 401, 429]
    assert attempt("198.51.100.20") == 401


def test_a_page_left_open_overnight_still_works_with_remember_me(app, monkeypatch):
    """With «Husk meg», a form opened yesterday still has a valid token; without, the session has ended."""
    make_user(app, "leder@skole.no", ("leader",), totp=False)
    remembered = app.test_client()
    login(remembered, "leder@skole.no", remember=True)
    old_page = remembered.get("/konto/passord").get_data(as_text=True)
    plain = app.test_client()
    login(plain, "leder@skole.no")
    plain_page = plain.get("/konto").get_data(as_text=True)

    tomorrow = time.time() + 20 * 3600
    monkeypatch.setattr(time, "time", lambda: tomorrow)
    new = "et nytt passord i morgen"
    response = remembered.post(
        "/konto/passord",
        data={"csrf_token": csrf_token(old_page), "current": PASSWORD, "password": new, "repeat": new},
    )
    assert response.status_code == 302  # saved, no «side utløpt»
    ended = plain.post("/konto/logg-ut", data={"csrf_token": csrf_token(plain_page)})
    assert ended.status_code == 400 and "Siden må lastes inn på nytt" in ended.get_data(as_text=True)

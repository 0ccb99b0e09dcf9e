"""Failed logins: the same work and answers for known and unknown addresses, an exponential wait
instead of a lock anyone can set off, and a device that logged in before still gets in."""

from __future__ import annotations

import re
import statistics
import time
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import AuditEvent
from backend.services import accounts
from tests.conftest import make_app
from tests.support import PASSWORD, login, make_user, post

WRONG = "ikke passordet mitt 42"


def attempt(client, email: str, password: str = WRONG):
    return post(client, "/konto/logg-inn", {"email": email, "password": password})


def message(response) -> str:
    """The error text of the login page, without the per-session CSRF token."""
    found = re.findall(r'class="[^"]*error[^"]*"[^>]*>([^<]+)<', response.get_data(as_text=True))
    return " ".join(text.strip() for text in found)


def audit_rows(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count(AuditEvent.id))).scalar_one()


@pytest.fixture
def argon2_calls(monkeypatch):
    calls: list[str] = []
    for name in ("hash", "verify"):
        original = getattr(PasswordHasher, name)

        def counted(self, *args, _name=name, _original=original, **kwargs):
            calls.append(_name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(PasswordHasher, name, counted)
    return calls


def test_known_and_unknown_addresses_do_the_same_work_and_answer_alike(app, argon2_calls):
    """One argon2 verify and one audit row either way; the same status and words, also once they must wait."""
    make_user(app, "rektor@skole.no", ("leader",), totp=False)
    client = app.test_client()
    attempt(app.test_client(), "varm@skole.no")  # the dummy hash is made once per process
    answers = {}
    for email in ("rektor@skole.no", "ingen.slik@skole.no"):
        rows = []
        for _ in range(app.config["LOGIN_MAX_FAILURES"] + 1):
            argon2_calls.clear()
            before = audit_rows(app)
            response = attempt(client, email)
            rows.append(
                (response.status_code, message(response), tuple(argon2_calls), audit_rows(app) - before)
            )
        answers[email] = rows
    known, unknown = answers["rektor@skole.no"], answers["ingen.slik@skole.no"]
    # Wrong password: 401 after one verify each; the fifth starts the wait (429); the sixth waits unhashed.
    assert [row[0] for row in known] == [401, 401, 401, 401, 429, 429]
    assert known[0][2] == ("verify",), known
    assert known[-1][2] == (), known
    assert known == unknown


def test_an_unknown_address_takes_as_long_as_a_wrong_password(tmp_path):
    """With the production argon2 parameters, the median times differ by far less than the old 4×."""
    app = make_app(tmp_path, ARGON2_TIME_COST=2, ARGON2_MEMORY_COST=19 * 1024, LOGIN_MAX_FAILURES=1000)
    make_user(app, "rektor@skole.no", ("leader",), totp=False)
    client = app.test_client()
    attempt(client, "varm@skole.no")  # warm up (the dummy hash is made once)
    times: dict[str, list[float]] = {"known": [], "unknown": []}
    for _ in range(6):
        for kind, email in (("known", "rektor@skole.no"), ("unknown", "ukjent@skole.no")):
            start = time.perf_counter()
            assert attempt(client, email).status_code == 401
            times[kind].append(time.perf_counter() - start)
    ratio = statistics.median(times["unknown"]) / statistics.median(times["known"])
    assert 0.6 < ratio < 1.7, (ratio, times)


def test_a_stranger_cannot_lock_the_owner_out_of_a_device_that_logged_in_before(app):
    """Thirty wrong guesses from elsewhere: new browsers wait, the owner's phone still logs in."""
    make_user(app, "rektor@skole.no", ("leader",), totp=False)
    phone = app.test_client()
    assert login(phone, "rektor@skole.no").status_code == 302
    assert phone.get_cookie("device") is not None
    post(phone, "/konto/logg-ut")

    stranger = app.test_client()
    statuses = [attempt(stranger, "rektor@skole.no").status_code for _ in range(30)]
    assert statuses[:4] == [401] * 4 and set(statuses[4:]) == {429}
    new_browser = app.test_client()
    assert attempt(new_browser, "rektor@skole.no", PASSWORD).status_code == 429

    again = attempt(phone, "rektor@skole.no", PASSWORD)
    assert again.status_code == 302 and again.headers["Location"].endswith("/konto")


def test_an_admin_with_a_known_device_gets_in_with_the_code_too(app):
    """The second step (the code) counts under the device cookie as well."""
    make_user(app)
    phone = app.test_client()
    assert login(phone).headers["Location"].endswith("/admin")
    post(phone, "/konto/logg-ut")
    stranger = app.test_client()
    for _ in range(10):
        attempt(stranger, "admin@skole.no")
    later = accounts.now() + timedelta(seconds=31)  # a fresh code step
    original_now = accounts.now
    accounts.now = lambda: later
    try:
        assert login(phone).headers["Location"].endswith("/admin")
    finally:
        accounts.now = original_now


def test_a_device_cookie_has_its_own_count(app):
    """Wrong passwords on the owner's phone make that phone wait, not every other browser."""
    make_user(app, "rektor@skole.no", ("leader",), totp=False)
    phone = app.test_client()
    login(phone, "rektor@skole.no")
    post(phone, "/konto/logg-ut")
    statuses = [attempt(phone, "rektor@skole.no").status_code for _ in range(6)]
    assert statuses == [401, 401, 401, 401, 429, 429]
    assert attempt(app.test_client(), "rektor@skole.no").status_code == 401


def test_a_forged_device_cookie_counts_as_none(app):
    """A device cookie not signed by this server, or for another account, gives no exemption."""
    make_user(app, "rektor@skole.no", ("leader",), totp=False)
    for _ in range(5):
        attempt(app.test_client(), "rektor@skole.no")
    forged = app.test_client()
    forged.set_cookie("device", "eyJ1IjoxLCJuIjoieCJ9.forged.signature")
    assert attempt(forged, "rektor@skole.no", PASSWORD).status_code == 429


def test_the_wait_doubles_with_each_failure_up_to_the_cap(app, monkeypatch):
    """1 minute after five failures, then 2, 4, 8 and at most LOGIN_LOCKOUT_MINUTES (15)."""
    clock = [accounts.now()]
    monkeypatch.setattr(accounts, "now", lambda: clock[0])
    client = app.test_client()
    for _ in range(4):
        assert attempt(client, "hvem@skole.no").status_code == 401
    waits = []
    for _ in range(6):
        response = attempt(client, "hvem@skole.no")
        assert response.status_code == 429
        waits.append(re.search(r"Prøv igjen om (ett|\d+) minutt", message(response))[1])
        refused = attempt(client, "hvem@skole.no")  # while waiting: refused, not counted
        assert refused.status_code == 429
        clock[0] += timedelta(minutes=16)
    assert waits == ["ett", "2", "4", "8", "15", "15"]

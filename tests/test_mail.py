"""E-mail through a real local SMTP server: invitations, password reset, the overdue review reminder."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from backend.content.loader import plan_from_data
from backend.extensions import db
from backend.models import as_utc
from backend.services import accounts, mail
from backend.services import plan as plan_service
from tests.conftest import make_app
from tests.mail_support import SmtpServer, free_port, self_signed_certificate
from tests.support import PASSWORD, admin_client, csrf_token, login, make_user, post

PUBLIC_URL = "https://rusplan.halden.example"


@pytest.fixture
def smtp():
    """A local SMTP server that keeps what it receives."""
    server = SmtpServer()
    with server:
        yield server


@pytest.fixture
def mail_app(tmp_path, smtp):
    """An app that sends mail through the local SMTP server."""
    return make_app(tmp_path, **smtp.config(PUBLIC_URL=PUBLIC_URL))


def invite(admin, name="Lise Leder", email="lise@skole.no", roles=("leader",)):
    return post(admin, "/admin/brukere/ny", {"name": name, "email": email, "roles": list(roles)})


def link_on_page(html: str) -> str:
    return html.split("data-invitation-link")[0].rsplit('value="', 1)[1].split('"')[0]


# --- Invitations ---------------------------------------------------------------------------------


def test_invitation_is_mailed_with_link_expiry_and_school(mail_app, smtp):
    """The invited person gets the same one-time link as the admin sees, until when it works, and where."""
    admin = admin_client(mail_app)
    page = invite(admin)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "data-invitation-mailed" in html
    assert "Invitasjonen er sendt på e-post til lise@skole.no" in html
    link = link_on_page(html)

    (received,) = smtp.sink.wait_for(1)
    assert received.recipients == ["lise@skole.no"]
    assert received.subject == "Invitasjon til Rusplan for Halden videregående skole"
    assert received.message["From"] == "Rusplan <rusplan@skole.example>"
    assert received.message["Content-Language"] == "nb"
    assert received.links() == [link]
    assert "Hei, Lise Leder!" in received.text
    assert "handlingsplanen mot rus for Halden videregående skole, som leder." in received.text
    with mail_app.app_context():
        user = accounts.get_by_email("lise@skole.no")
        invitation = user and db.session.execute(db.select(accounts.Invitation)).scalars().all()[-1]
        expires = as_utc(invitation.expires_at)
    expected = mail_app.jinja_env.filters["local_time"](expires)
    assert f"Lenken virker én gang og til {expected}." in received.text
    assert f'<a href="{link}">Velg et passord</a>' in received.html
    assert expected in received.html

    invited = mail_app.test_client()
    form = invited.get(link.replace("http://localhost", ""))
    assert form.status_code == 200 and "Velkommen, Lise Leder" in form.get_data(as_text=True)


def test_invitation_without_smtp_is_only_shown_to_the_admin(app):
    """With no SMTP configured nothing is sent and the page is as before: the link to pass on."""
    admin = admin_client(app)
    html = invite(admin).get_data(as_text=True)
    assert "/konto/invitasjon/" in link_on_page(html)
    assert "data-invitation-mailed" not in html and "data-invitation-mail-failed" not in html


def test_invitation_mail_that_fails_says_so_and_keeps_the_link(tmp_path):
    """An SMTP server that does not answer: the admin is told and still gets the link (no false «sent»)."""
    app = make_app(
        tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_USE_TLS=False, MAIL_TIMEOUT=2
    )
    admin = admin_client(app)
    html = invite(admin).get_data(as_text=True)
    assert "data-invitation-mail-failed" in html and "kunne ikke sendes" in html
    assert "data-invitation-mailed" not in html
    assert "/konto/invitasjon/" in link_on_page(html)


def test_starttls_checks_the_servers_certificate(tmp_path):
    """STARTTLS to a server whose certificate the app cannot verify sends nothing (no password would go
    to an impostor); with the relay's CA in SMTP_CA_FILE the same server gets the mail."""
    certificate = self_signed_certificate(tmp_path)
    server = SmtpServer(certificate)
    with server as sink:
        server_port = server.port
        (tmp_path / "med-ca").mkdir()
        (tmp_path / "uten-ca").mkdir()
        trusting = make_app(tmp_path / "med-ca", **tls_config(server_port, MAIL_CA_FILE=str(certificate[0])))
        admin = admin_client(trusting)
        assert "data-invitation-mailed" in invite(admin).get_data(as_text=True)
        assert sink.wait_for(1)[0].recipients == ["lise@skole.no"]

        doubting = make_app(tmp_path / "uten-ca", **tls_config(server_port))
        admin = admin_client(doubting)
        assert "data-invitation-mail-failed" in invite(admin, email="ola@skole.no").get_data(as_text=True)
        assert len(sink.received) == 1


def tls_config(port: int, **extra) -> dict:
    return {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": port,
        "MAIL_USE_TLS": True,
        "MAIL_USE_SSL": False,
        "MAIL_DEFAULT_SENDER": "rusplan@skole.example",
        "MAIL_TIMEOUT": 5,
        **extra,
    }


# --- Password reset ------------------------------------------------------------------------------


def ask_for_reset(client, email: str):
    page = client.get("/konto/glemt-passord")
    assert page.status_code == 200
    return client.post(
        "/konto/glemt-passord", data={"csrf_token": csrf_token(page.get_data(as_text=True)), "email": email}
    )


def test_password_reset_link_sets_a_new_password_once(mail_app, smtp):
    """The mailed link lets the person choose a new password once; the old password stops working."""
    make_user(mail_app, "lars@skole.no", roles=("leader",), totp=False, name="Lars Leder")
    client = mail_app.test_client()
    login_page = client.get("/konto/logg-inn").get_data(as_text=True)
    assert 'href="/konto/glemt-passord"' in login_page

    answer = ask_for_reset(client, "Lars@Skole.no ")
    assert answer.status_code == 303 and answer.headers["Location"] == "/konto/glemt-passord/sendt"
    assert "Sjekk e-posten din" in client.get("/konto/glemt-passord/sendt").get_data(as_text=True)

    (received,) = smtp.sink.wait_for(1)
    assert received.recipients == ["lars@skole.no"]
    assert received.subject == "Nytt passord til Rusplan for Halden videregående skole"
    assert "Hei, Lars Leder!" in received.text
    (link,) = received.links()
    assert link.startswith("http://localhost/konto/nytt-passord/")
    assert f'<a href="{link}">Velg nytt passord</a>' in received.html
    path = link.replace("http://localhost", "")

    form = client.get(path)
    assert form.status_code == 200 and "lars@skole.no" in form.get_data(as_text=True)
    new = "et helt nytt og godt passord"
    saved = client.post(
        path, data={"csrf_token": csrf_token(form.get_data(as_text=True)), "password": new, "repeat": new}
    )
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/konto/logg-inn")
    assert client.get(path).status_code == 410  # once only

    fresh = mail_app.test_client()
    assert login(fresh, "lars@skole.no", PASSWORD).status_code == 401
    assert login(fresh, "lars@skole.no", new).status_code == 302


def test_reset_link_expires(mail_app, smtp, monkeypatch):
    """A reset link older than PASSWORD_RESET_MINUTES no longer works."""
    make_user(mail_app, "lars@skole.no", roles=("leader",), totp=False)
    client = mail_app.test_client()
    ask_for_reset(client, "lars@skole.no")
    (link,) = smtp.sink.wait_for(1)[0].links()
    later = accounts.now() + timedelta(minutes=mail_app.config["PASSWORD_RESET_MINUTES"], seconds=1)
    monkeypatch.setattr(accounts, "now", lambda: later)
    page = client.get(link.replace("http://localhost", ""))
    assert page.status_code == 410 and "Lenken virker ikke lenger" in page.get_data(as_text=True)


def test_reset_for_unknown_address_sends_nothing_and_answers_exactly_the_same(mail_app, smtp):
    """Known address, unknown address and an account without a password: the same answer, the same
    database work (statements counted), and a mail only for the known password account."""
    make_user(mail_app, "lars@skole.no", roles=("leader",), totp=False)
    with mail_app.app_context():
        accounts.create_user("ny@skole.no", "Ny Ansatt", ["staff"])  # invited, no password yet
    statements: list[str] = []
    with mail_app.app_context():
        engine = db.engine

    def count(conn, cursor, statement, *args):
        statements.append(statement.split()[0].upper())  # the kind: the tables differ by design

    ask_for_reset(mail_app.test_client(), "oppvarming@skole.no")  # the plan is read once, before counting
    answers, work = {}, {}
    event.listen(engine, "before_cursor_execute", count)
    try:
        for email in ("lars@skole.no", "ukjent@skole.no", "ny@skole.no"):
            client = mail_app.test_client()
            page = client.get("/konto/glemt-passord")
            token = csrf_token(page.get_data(as_text=True))
            statements.clear()
            answer = client.post("/konto/glemt-passord", data={"csrf_token": token, "email": email})
            work[email] = list(statements)
            headers = {k: v for k, v in answer.headers.items() if k != "Date"}
            answers[email] = (answer.status_code, headers, answer.get_data())
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert answers["lars@skole.no"] == answers["ukjent@skole.no"] == answers["ny@skole.no"]
    assert answers["lars@skole.no"][0] == 303
    assert work["lars@skole.no"] == work["ukjent@skole.no"] == work["ny@skole.no"], work
    mail.stop_outbox(mail_app)  # everything queued has been handed to the SMTP server
    received = smtp.sink.wait_for(1)
    assert [r.recipients for r in received] == [["lars@skole.no"]]


def test_no_reset_pages_without_smtp(client):
    """Without SMTP there is no reset page, and the login page says to ask an administrator."""
    assert client.get("/konto/glemt-passord").status_code == 404
    assert client.get("/konto/nytt-passord/abc").status_code == 404
    html = client.get("/konto/logg-inn").get_data(as_text=True)
    assert "glemt-passord" not in html and "Be en administrator om en ny invitasjon" in html


# --- The plan's overdue review -------------------------------------------------------------------


def _at(monkeypatch, day: str) -> None:
    moment = datetime.fromisoformat(day).replace(hour=7, tzinfo=UTC)
    monkeypatch.setattr(accounts, "now", lambda: moment)


def _publish_review_date(app, day: str) -> None:
    with app.app_context():
        data = copy.deepcopy(plan_service.latest_revision().data)
        data["meta"]["evaluation"]["next_revision_date"] = day
        plan_service.publish(plan_from_data(data), author="rektor@skole.no", note="Ny revisjonsdato")
        db.session.commit()


def test_overdue_review_is_mailed_to_admins_once_per_review_date(mail_app, smtp, monkeypatch):
    """The daily timer mails every active admin once when the review date has passed, never twice for
    the same date, and again when a new date has passed; leaders and staff get nothing."""
    make_user(mail_app, "rektor@skole.no", roles=("admin", "leader"), name="Kristin Rektor")
    make_user(mail_app, "it@skole.no", roles=("admin",), name="It Ansvarlig")
    make_user(mail_app, "lars@skole.no", roles=("leader",), totp=False)
    runner = mail_app.test_cli_runner()

    _at(monkeypatch, "2026-06-01")  # the plan's date (2026-06-01) has not passed yet
    result = runner.invoke(args=["mail", "review-reminder"])
    assert result.exit_code == 0 and "ingenting sendt" in result.output
    assert smtp.sink.none_for(0.3)

    _at(monkeypatch, "2026-06-02")
    result = runner.invoke(args=["mail", "review-reminder"])
    assert result.exit_code == 0, result.output
    assert "sendt til 2 administratorer" in result.output
    received = smtp.sink.wait_for(2)
    assert sorted(r.recipients[0] for r in received) == ["it@skole.no", "rektor@skole.no"]
    first = next(r for r in received if r.recipients == ["rektor@skole.no"])
    assert first.subject == "Handlingsplanen mot rus skulle vært revidert – Halden videregående skole"
    assert "Hei, Kristin Rektor!" in first.text
    assert "skulle vært revidert innen 1. juni 2026" in first.text
    assert "Ansvarlig etter planen: skolens ledelse." in first.text
    assert first.links() == [f"{PUBLIC_URL}/admin/datoer"]
    assert f'<a href="{PUBLIC_URL}/admin/datoer">' in first.html

    for _ in range(2):  # the timer runs again the next days: nothing new
        result = runner.invoke(args=["mail", "review-reminder"])
        assert result.exit_code == 0 and "allerede sendt" in result.output
    _at(monkeypatch, "2026-06-03")
    assert "allerede sendt" in runner.invoke(args=["mail", "review-reminder"]).output
    assert len(smtp.sink.received) == 2

    _publish_review_date(mail_app, "2026-06-10")  # a new period: overdue again after the new date
    _at(monkeypatch, "2026-06-11")
    assert "sendt til 2" in runner.invoke(args=["mail", "review-reminder"]).output
    assert "10. juni 2026" in smtp.sink.wait_for(4)[-1].text


def test_review_reminder_that_fails_is_tried_again_next_run(mail_app, smtp, monkeypatch):
    """An SMTP failure exits non-zero and leaves no record, so the next run sends the reminder."""
    make_user(mail_app, "rektor@skole.no", roles=("admin",))
    _at(monkeypatch, "2026-06-05")
    runner = mail_app.test_cli_runner()
    real_send = mail.send_now
    monkeypatch.setattr(mail, "send_now", lambda messages: False)
    failed = runner.invoke(args=["mail", "review-reminder"])
    assert failed.exit_code != 0 and "Kunne ikke sende" in failed.output
    monkeypatch.setattr(mail, "send_now", real_send)
    assert "sendt til 1" in runner.invoke(args=["mail", "review-reminder"]).output
    assert len(smtp.sink.wait_for(1)) == 1


def test_review_reminder_without_smtp_sends_nothing(app, monkeypatch):
    """Without SMTP the command says so and succeeds (the banner in /admin still shows)."""
    make_user(app, "rektor@skole.no", roles=("admin",))
    _at(monkeypatch, "2026-06-05")
    result = app.test_cli_runner().invoke(args=["mail", "review-reminder"])
    assert result.exit_code == 0 and "SMTP er ikke satt opp" in result.output

"""Invitations (issue 12, item 4): no role ticked by default, accepting signs in, many at once, the list."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import AuditEvent, Invitation, PushSubscription, User
from backend.services import accounts
from tests.conftest import make_app
from tests.mail_support import SmtpServer
from tests.support import admin_client, csrf_token, post


@pytest.fixture
def admin(app):
    """A client logged in as an admin."""
    return admin_client(app)


def links_on_page(html: str) -> list[str]:
    """Return every invitation link shown in a read-only field, in page order."""
    pattern = r'value="(http://localhost/konto/invitasjon/[^"]+)" readonly data-invitation-link'
    return re.findall(pattern, html)


NEW_PASSWORD = "mitt eget gode passord"


def accept(app, link: str, password: str = NEW_PASSWORD):
    """Open an invitation link in a fresh browser and choose a password; return (client, response)."""
    path = link.replace("http://localhost", "")
    browser = app.test_client()
    form = browser.get(path)
    assert form.status_code == 200
    token = csrf_token(form.get_data(as_text=True))
    return browser, browser.post(path, data={"csrf_token": token, "password": password, "repeat": password})


def user_count(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count(User.id))).scalar_one()


def test_invitation_form_ticks_no_role_and_says_what_each_role_can_do(admin):
    """A teacher invited with the defaults never becomes a leader who gets emergency alerts."""
    html = admin.get("/admin/brukere/ny").get_data(as_text=True)
    roles = re.findall(r'<input[^>]*name="roles"[^>]*>', html)
    assert len(roles) == 3
    assert not any("checked" in role for role in roles)
    assert "Ansatt – kan sende varsel til ledelsen fra akuttmodus. Får ikke varsel selv." in html
    assert "Leder – får varsel fra akuttmodus på telefonen og svarer «Jeg kommer»" in html
    assert "Administrator – endrer planen, kontaktene, stedene og brukerne" in html
    refused = post(admin, "/admin/brukere/ny", {"name": "Tor Lærer", "email": "tor@skole.no"})
    assert refused.status_code == 422 and "minst én rolle" in refused.get_data(as_text=True)


def test_accepting_an_invitation_signs_the_person_in(app, admin):
    """The invited person chooses a password and is signed in at once, on their own account page."""
    lise = {"name": "Lise Leder", "email": "lise@skole.no", "roles": ["leader"]}
    page = post(admin, "/admin/brukere/ny", lise)
    (link,) = links_on_page(page.get_data(as_text=True))
    browser, accepted = accept(app, link)
    assert accepted.status_code == 302 and accepted.headers["Location"].endswith("/konto")
    account = browser.get("/konto")
    assert account.status_code == 200
    html = account.get_data(as_text=True)
    assert "Velkommen, Lise Leder!" in html and "lise@skole.no" in html
    with app.app_context():
        logins = db.session.execute(
            select(AuditEvent).where(AuditEvent.event == "login", AuditEvent.subject == "lise@skole.no")
        ).scalars()
        assert [event.detail for event in logins] == ["invitasjon"]


def test_an_invited_admin_is_signed_in_and_sent_to_set_up_the_code(app, admin):
    """An admin who accepts is signed in too, and goes on to the code from the app before the admin."""
    ada = {"name": "Ada Admin", "email": "ada@skole.no", "roles": ["admin"]}
    page = post(admin, "/admin/brukere/ny", ada)
    (link,) = links_on_page(page.get_data(as_text=True))
    browser, accepted = accept(app, link)
    assert accepted.headers["Location"].endswith("/admin")
    onward = browser.get("/admin")
    assert onward.status_code == 302 and onward.headers["Location"].endswith("/konto/to-trinn/oppsett")


def test_the_invitation_link_can_be_copied_with_one_tap(admin):
    """Beside the link is a button that copies exactly it (copy.js, no inline script)."""
    page = post(admin, "/admin/brukere/ny", {"name": "Lise", "email": "lise@skole.no", "roles": ["staff"]})
    html = page.get_data(as_text=True)
    (link,) = links_on_page(html)
    assert f'data-copy="{link}" aria-controls="invitasjonslenke"' in html
    assert "data-copy-status" in html and "<script>" not in html


PASTED = """Kari Nordmann, kari@skole.no, leder
Per Hansen; per@skole.no; ansatt

Ola Rektor <ola@skole.no>\tleder og administrator
Siri Lærer, siri@skole.no
"""


def test_many_people_are_invited_at_once_each_with_their_own_link(app, admin):
    """A pasted list makes one account per line, each with a link of its own that signs that person in."""
    page = post(admin, "/admin/brukere/flere", {"people": PASTED})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "4 personer er invitert" in html
    links = links_on_page(html)
    assert len(links) == 4 and len(set(links)) == 4
    with app.app_context():
        roles = {user.email: user.roles for user in accounts.all_users()}
        assert db.session.execute(select(func.count(Invitation.id))).scalar_one() == 4
    assert roles["kari@skole.no"] == ["leader"]
    assert roles["per@skole.no"] == ["staff"]
    assert roles["ola@skole.no"] == ["leader", "admin"]
    assert roles["siri@skole.no"] == ["staff"]  # no role written: the least, never leader
    for email in ("kari@skole.no", "per@skole.no", "ola@skole.no", "siri@skole.no"):
        assert f'data-invited="{email}"' in html
    # Per's link is Per's: accepting it signs Per in, and only Per.
    per_link = html.split('data-invited="per@skole.no"')[1]
    (link,) = links_on_page(per_link)[:1]
    browser, accepted = accept(app, link)
    assert accepted.status_code == 302
    assert "per@skole.no" in browser.get("/konto").get_data(as_text=True)


def test_bad_lines_are_named_in_norwegian_and_nobody_is_invited(app, admin):
    """One wrong line stops the whole list: every problem is named by its line, and no account is made."""
    before = user_count(app)
    pasted = "\n".join(
        [
            "Kari Nordmann, kari@skole.no, leder",
            "Per Hansen, per.skole.no, ansatt",
            "Siri Lærer, siri@skole.no, rektor",
            "kari@skole.no, Kari To",
            "Uten Navn@",
            "Admin Selv, admin@skole.no, leder",
            "ola@skole.no",
        ]
    )
    page = post(admin, "/admin/brukere/flere", {"people": pasted})
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "Ingen er invitert ennå." in html
    assert "Linje 2: e-postadressen mangler" in html
    assert "Linje 3: ukjent rolle «rektor». Skriv ansatt, leder eller administrator." in html
    assert "Linje 4: kari@skole.no står også på linje 1." in html
    assert "Linje 6 (admin@skole.no): det finnes allerede en bruker med denne e-postadressen." in html
    assert "Linje 7: navnet mangler" in html
    assert "Linje 1" not in html.split("Ingen er invitert ennå.")[1].split("</ul>")[0]
    assert "Kari Nordmann, kari@skole.no, leder" in html  # the list stays in the field to correct
    assert user_count(app) == before
    empty = post(admin, "/admin/brukere/flere", {"people": "  \n "})
    assert empty.status_code == 422 and user_count(app) == before


def test_user_list_shows_status_two_factor_last_sign_in_and_alerts(app, admin):
    """Each account shows invited/active/disabled, the code on or off, last sign-in and alert devices."""
    post(admin, "/admin/brukere/flere", {"people": "Ny Person, ny@skole.no, leder\nBorte, borte@skole.no"})
    with app.app_context():
        me = accounts.get_by_email("admin@skole.no")
        gone = accounts.get_by_email("borte@skole.no")
        accounts.disable_user(gone, actor="admin@skole.no")
        for number in range(2):
            db.session.add(
                PushSubscription(
                    endpoint=f"https://push.example/{number}",
                    p256dh="k",
                    auth="a",
                    user_id=me.id,
                    alerts=True,
                )
            )
        db.session.commit()
    html = admin.get("/admin/brukere").get_data(as_text=True)

    def item(email: str) -> str:
        return html.split(f'data-user="{email}"')[1].split("</li>")[0]

    mine, new, disabled = item("admin@skole.no"), item("ny@skole.no"), item("borte@skole.no")
    assert re.search(r"data-user-status>Aktiv<", mine)
    assert "Invitert" in new.split("data-user-status")[1].split("</dd>")[0]
    assert "Deaktivert" in disabled.split("data-user-status")[1].split("</dd>")[0]
    assert "data-user-totp>På<" in mine and "data-user-totp>Av<" in new
    assert "data-user-last-login>Aldri<" in new and "kl." in mine.split("data-user-last-login")[1][:60]
    assert "data-user-alerts>På (2 enheter)<" in mine and "data-user-alerts>Av<" in new
    assert "data-user-contact>" in mine  # the person in the plan, once the account is linked


def test_with_smtp_each_person_is_mailed_their_own_link(tmp_path):
    """With SMTP set up, every person on the list gets a mail with exactly the link shown for them."""
    smtp = SmtpServer()
    with smtp:
        mail_app = make_app(tmp_path, **smtp.config(PUBLIC_URL="https://rusplan.halden.example"))
        admin = admin_client(mail_app)
        page = post(
            admin, "/admin/brukere/flere", {"people": "Kari, kari@skole.no, leder\nPer, per@skole.no"}
        )
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and "data-invitation-mailed" in html
        shown = {
            email: links_on_page(html.split(f'data-invited="{email}"')[1])[0]
            for email in ("kari@skole.no", "per@skole.no")
        }
        received = smtp.sink.wait_for(2)
        mailed = {mail.recipients[0]: mail.links() for mail in received}
        assert set(mailed) == {"kari@skole.no", "per@skole.no"}
        for email, link in shown.items():
            assert link in mailed[email]
        assert shown["kari@skole.no"] not in mailed["per@skole.no"]

"""The plan's review date reaches people (issue 12, item 7): leaders' banner, the public page, the form."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from backend.services import accounts
from tests.support import admin_client, draft_base, login, make_user, post

BEFORE = datetime(2026, 5, 20, 9, tzinfo=UTC)  # the seed plan's next review is 1 June 2026
AFTER = datetime(2026, 6, 2, 9, tzinfo=UTC)


def at(monkeypatch, moment: datetime) -> None:
    monkeypatch.setattr(accounts, "now", lambda: moment)


def late_notice(html: str) -> str:
    """Return the «Revisjonen er forsinket» element of the evaluation page."""
    match = re.search(r"<strong[^>]*data-review-late[^>]*>[^<]*</strong>", html)
    assert match, "no review notice on the page"
    return match.group(0)


@pytest.mark.parametrize("roles", [("leader",), ("admin",)])
def test_leaders_and_admins_see_the_overdue_banner_on_their_pages(app, monkeypatch, roles):
    """After the date a leader (and an admin) sees «Planen skulle vært revidert» where they sign in."""
    make_user(app, "leder@skole.no", roles, totp="admin" in roles)
    client = app.test_client()
    login(client, "leder@skole.no")
    at(monkeypatch, AFTER)
    for page in ("/konto", "/varsel/innstillinger", "/varsel/historikk"):
        html = client.get(page).get_data(as_text=True)
        assert "data-review-overdue" in html, page
        assert "Planen skulle vært revidert innen 1. juni 2026." in html
    at(monkeypatch, BEFORE)
    assert "data-review-overdue" not in client.get("/konto").get_data(as_text=True)


def test_the_leaders_banner_says_who_reviews_and_only_admins_get_the_dates_link(app, monkeypatch):
    """A leader is told to go through the plan with those responsible; the admin link is for admins."""
    make_user(app, "leder@skole.no", ("leader",), totp=False)
    make_user(app, "ansatt@skole.no", ("staff",), totp=False)
    at(monkeypatch, AFTER)
    leader = app.test_client()
    login(leader, "leder@skole.no")
    html = leader.get("/konto").get_data(as_text=True)
    assert "Gå gjennom planen sammen med skolens ledelse." in html and "/admin/datoer" not in html
    staff = app.test_client()
    login(staff, "ansatt@skole.no")
    assert "data-review-overdue" not in staff.get("/konto").get_data(as_text=True)


def test_public_evaluation_page_says_the_review_is_overdue(client, monkeypatch):
    """The school's own text stays, and once the date has passed the page says the review is late."""
    at(monkeypatch, BEFORE)
    html = client.get("/om-planen/evaluering").get_data(as_text=True)
    assert "Juni 2026" in html
    assert " hidden" in late_notice(html) and 'data-due="2026-06-01"' in late_notice(html)
    at(monkeypatch, AFTER)  # same revision, cached page: the date is part of the key
    html = client.get("/om-planen/evaluering").get_data(as_text=True)
    assert "Juni 2026" in html
    notice = late_notice(html)
    assert "Revisjonen er forsinket." in notice and " hidden" not in notice


def dates_form(admin, **changes) -> dict:
    base = draft_base(admin.get("/admin/datoer").get_data(as_text=True))
    return {
        "school_year": "2026–2027",
        "version": "august 2026",
        "version_date": "2026-08-01",
        "next_revision": "juni 2027",
        "next_revision_date": "2027-06-01",
        "responsible": "skolens ledelse",
        "base": base,
        **changes,
    }


def test_a_next_review_date_in_the_past_is_refused(app, monkeypatch):
    """/admin/datoer will not take a review date that has already passed; today and later are fine."""
    admin = admin_client(app)
    at(monkeypatch, datetime(2026, 9, 1, 9, tzinfo=UTC))
    past = post(
        admin,
        "/admin/datoer",
        dates_form(admin, next_revision="august 2026", next_revision_date="2026-08-31"),
    )
    assert past.status_code == 422
    assert "Datoen har passert." in past.get_data(as_text=True)
    fine = post(admin, "/admin/datoer", dates_form(admin))
    assert fine.status_code == 302


def test_printed_text_and_date_must_name_the_same_month(app):
    """«juni 2027» with a date in May, or a text without month and year, is refused with the fix."""
    admin = admin_client(app)
    wrong = post(admin, "/admin/datoer", dates_form(admin, next_revision_date="2027-05-15"))
    assert wrong.status_code == 422
    text = wrong.get_data(as_text=True)
    assert "Teksten sier juni 2027, men datoen er 15. mai 2027. Skriv «mai 2027»" in text
    vague = post(admin, "/admin/datoer", dates_form(admin, next_revision="til våren"))
    assert vague.status_code == 422
    assert "Skriv måned og år, slik datoen under sier, for eksempel «juni 2027»." in vague.get_data(
        as_text=True
    )
    other_year = post(admin, "/admin/datoer", dates_form(admin, next_revision="juni 2028"))
    assert other_year.status_code == 422
    same = post(admin, "/admin/datoer", dates_form(admin, next_revision="Innen 1. juni 2027"))
    assert same.status_code == 302

"""Administration: edit the draft, publish a revision, compare and restore, and refuse bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import AuditEvent, PlanDraft, PlanRevision
from backend.services import accounts, phones
from backend.services import draft as drafts
from backend.services import plan as plan_service
from tests.support import admin_client, csrf_token, draft_base, post


@pytest.fixture
def admin(app):
    """A client logged in as an admin."""
    return admin_client(app)


def revision_count(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count(PlanRevision.id))).scalar_one()


def draft_row(app) -> PlanDraft | None:
    with app.app_context():
        row = db.session.get(PlanDraft, 1)
        if row is not None:
            db.session.expunge(row)
        return row


def contact_form(admin, contact_id: str) -> dict:
    """Read the edit form of a contact as the browser would send it back."""
    html = admin.get(f"/admin/kontakter/{contact_id}").get_data(as_text=True)
    base = draft_base(html)
    return {
        "csrf_token": csrf_token(html),
        "name": "Kristin Støten",
        "role": "Rektor",
        "phone": "970 83 705",
        "group": "ledelse",
        "call_chain": "y",
        "base": base,
    }


def publish(admin, note: str = "Test"):
    html = admin.get("/admin/utkast").get_data(as_text=True)
    version = html.split('id="version" name="version" type="hidden" value="')[1].split('"')[0]
    return admin.post(
        "/admin/publiser", data={"csrf_token": csrf_token(html), "note": note, "version": version}
    )


def test_change_a_number_publish_and_restore(app, admin):
    """The whole round: edit a number, see it in the draft, publish, read it publicly, restore the old one."""
    assert 'href="tel:+4797083705"' in app.test_client().get("/kontakter").get_data(as_text=True)
    form = contact_form(admin, "kristin-stoten")
    saved = admin.post("/admin/kontakter/kristin-stoten", data={**form, "phone": "912 34 567"})
    assert saved.status_code == 302
    # Not public before «Publiser».
    assert 'href="tel:+4791234567"' not in app.test_client().get("/kontakter").get_data(as_text=True)
    draft_page = admin.get("/admin/utkast").get_data(as_text=True)
    assert "Kristin Støten › Telefon" in draft_page
    assert phones.display("+4797083705") in draft_page and phones.display("+4791234567") in draft_page
    before = revision_count(app)
    published = publish(admin, "Nytt nummer til rektor")
    assert published.status_code == 302
    assert revision_count(app) == before + 1
    public = app.test_client().get("/kontakter").get_data(as_text=True)
    assert 'href="tel:+4791234567"' in public and 'href="tel:+4797083705"' not in public
    with app.app_context():
        latest = plan_service.latest_revision()
        assert latest.author == "admin@skole.no" and latest.note == "Nytt nummer til rektor"
        new_id, old_id = latest.id, latest.id - 1
    revision_page = admin.get(f"/admin/revisjoner/{new_id}").get_data(as_text=True)
    assert "Endret fra revisjon" in revision_page and "Kristin Støten › Telefon" in revision_page
    listing = admin.get("/admin/revisjoner").get_data(as_text=True)
    assert "Nytt nummer til rektor" in listing
    page = admin.get(f"/admin/revisjoner/{old_id}/gjenopprett").get_data(as_text=True)
    restored = admin.post(
        f"/admin/revisjoner/{old_id}/gjenopprett", data={"csrf_token": csrf_token(page), "bekreft": "ja"}
    )
    assert restored.status_code == 302
    assert revision_count(app) == before + 2  # a restore publishes a new revision; nothing is deleted
    public = app.test_client().get("/kontakter").get_data(as_text=True)
    assert 'href="tel:+4797083705"' in public and 'href="tel:+4791234567"' not in public
    with app.app_context():
        names = [e.event for e in db.session.execute(select(AuditEvent)).scalars()]
    assert "publish" in names and "restore" in names


def test_bad_number_is_refused_at_the_field_and_nothing_is_saved(app, admin):
    """A number that is not a phone number gets a message by the field; the draft is untouched."""
    form = contact_form(admin, "kristin-stoten")
    response = admin.post("/admin/kontakter/kristin-stoten", data={**form, "phone": "55 55"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="phone-error"' in html and "Skriv et gyldig telefonnummer" in html
    assert 'aria-invalid="true"' in html
    assert draft_row(app) is None
    empty = admin.post("/admin/kontakter/kristin-stoten", data={**form, "name": "  "})
    assert empty.status_code == 422 and "Dette feltet må fylles ut." in empty.get_data(as_text=True)
    assert draft_row(app) is None


def test_an_edit_of_something_changed_meanwhile_is_refused(app, admin):
    """Two admins edit the same person: the second save is refused instead of overwriting the first."""
    first = contact_form(admin, "kristin-stoten")
    second = dict(first)
    assert (
        admin.post("/admin/kontakter/kristin-stoten", data={**first, "role": "Rektor (fung.)"}).status_code
        == 302
    )
    clash = admin.post("/admin/kontakter/kristin-stoten", data={**second, "phone": "912 34 567"})
    assert clash.status_code == 409
    assert "Noen andre har endret" in clash.get_data(as_text=True)
    with app.app_context():
        contact = next(c for c in drafts.current().plan.all_contacts() if c.id == "kristin-stoten")
    assert contact.role == "Rektor (fung.)" and contact.phone == "+4797083705"


def test_add_move_and_remove_contacts(app, admin):
    """Contacts can be added (also in a new group), reordered and removed."""
    token = csrf_token(admin.get("/admin/kontakter/ny").get_data(as_text=True))
    added = admin.post(
        "/admin/kontakter/ny",
        data={
            "csrf_token": token,
            "name": "Øystein Ås",
            "role": "Rådgiver",
            "phone": "+47 412 34 567",
            "group": "radgivere",
            "drug_responsible": "y",
        },
    )
    assert added.status_code == 302
    in_new_group = admin.post(
        "/admin/kontakter/ny",
        data={
            "csrf_token": token,
            "name": "Ola Nord",
            "role": "PPT",
            "phone": "41234568",
            "group": "ny",
            "new_group": "PPT",
        },
    )
    assert in_new_group.status_code == 302
    admin.post("/admin/kontakter/hilde-b-hansen/flytt", data={"csrf_token": token, "retning": "opp"})
    admin.post("/admin/kontakter/linda-skauge-antonsen/slett", data={"csrf_token": token})
    with app.app_context():
        plan = drafts.current().plan
    ids = [c.id for c in plan.all_contacts()]
    assert ids[:2] == ["hilde-b-hansen", "kristin-stoten"]
    assert "oystein-as" in ids and "linda-skauge-antonsen" not in ids
    assert [g.id for g in plan.contacts.groups][-1] == "ppt"
    assert "helsesykepleier" not in [g.id for g in plan.contacts.groups]  # the group left empty is gone
    assert next(c for c in plan.all_contacts() if c.id == "oystein-as").drug_responsible
    # The call chain in emergencies follows the new order once published.
    assert [c.id for c in plan.call_chain()][:2] == ["hilde-b-hansen", "kristin-stoten"]
    diff_page = admin.get("/admin/utkast").get_data(as_text=True)
    assert "rekkefølgen er endret" in diff_page and "Lagt til" in diff_page and "Fjernet" in diff_page


def test_steps_agenda_checklist_and_dates_can_be_edited(app, admin):
    """Steps are added, moved and removed; the agenda, checklist and dates change; all validated."""
    token = csrf_token(admin.get("/admin/alternativer/alternativ-1").get_data(as_text=True))
    new_step = admin.post(
        "/admin/alternativer/alternativ-1/steg/ny",
        data={"csrf_token": token, "text": "Noter tidspunkt.", "role": "kontaktlaerer", "audience": "all"},
    )
    assert new_step.status_code == 302
    admin.post(
        "/admin/alternativer/alternativ-1/steg/noter-tidspunkt/flytt",
        data={"csrf_token": token, "retning": "opp"},
    )
    admin.post("/admin/alternativer/alternativ-1/steg/ta-videre/slett", data={"csrf_token": token})
    bad_actor = admin.post(
        "/admin/alternativer/alternativ-1/steg/ny",
        data={"csrf_token": token, "text": "x", "role": "rektor", "audience": "all"},
    )
    assert bad_actor.status_code == 422
    page = admin.get("/admin/alternativer/alternativ-1").get_data(as_text=True)
    base = draft_base(page)
    agenda = admin.post(
        "/admin/alternativer/alternativ-1",
        data={
            "csrf_token": token,
            "label": "Alternativ 1",
            "short": "Eleven ber om hjelp",
            "title": "eleven ber om hjelp med sitt rusproblem",
            "meeting_text": "Kontaktlærer kaller inn.",
            "agenda_intro": "I møtet skal følgende skje:",
            "agenda": "Første punkt\n\nAndre punkt\n",
            "base": base,
        },
    )
    assert agenda.status_code == 302
    empty_agenda = admin.post(
        "/admin/alternativer/alternativ-1",
        data={
            "csrf_token": token,
            "label": "Alternativ 1",
            "short": "S",
            "title": "t",
            "meeting_text": "m",
            "agenda": " \n ",
            "base": "",
        },
    )
    assert empty_agenda.status_code == 422 and "minst ett punkt" in empty_agenda.get_data(as_text=True)
    signs = admin.post(
        "/admin/sjekkliste",
        data={"csrf_token": token, "title": "Sjekkliste", "quote": "Sitat", "signs": "Ett\nTo\n"},
    )
    assert signs.status_code == 302
    bad_dates = admin.post(
        "/admin/datoer",
        data={
            "csrf_token": token,
            "school_year": "2026–2027",
            "version": "august 2027",
            "version_date": "2027-08-01",
            "next_revision": "juni 2027",
            "next_revision_date": "2027-06-01",
            "responsible": "skolens ledelse",
        },
    )
    assert bad_dates.status_code == 422 and "må komme etter" in bad_dates.get_data(as_text=True)
    with app.app_context():
        plan = drafts.current().plan
    alternative = plan.procedure("alternativ-1")
    assert [s.id for s in alternative.steps] == ["noter-tidspunkt", "samtykke-foresatte"]
    assert alternative.meeting.agenda == ["Første punkt", "Andre punkt"]
    assert plan.checklists()[0].signs == ["Ett", "To"]
    assert plan.meta.evaluation.next_revision_date.isoformat() == "2026-06-01"


def test_markdown_sections_are_sanitised_on_the_public_page(app, admin):
    """A script in a text is stripped before it reaches the public page."""
    page = admin.get("/admin/tekster/taushetsplikt").get_data(as_text=True)
    base = draft_base(page)
    body = "Vanlig **fet** tekst.\n\n<script>alert(1)</script>\n\n[lenke](javascript:alert(2))"
    preview = admin.post(
        "/admin/tekster/taushetsplikt/forhandsvis", data={"csrf_token": csrf_token(page), "body": body}
    )
    assert "<strong>fet</strong>" in preview.get_data(as_text=True)
    assert "<script" not in preview.get_data(as_text=True)
    saved = admin.post(
        "/admin/tekster/taushetsplikt",
        data={"csrf_token": csrf_token(page), "title": "Taushetsplikt", "body": body, "base": base},
    )
    assert saved.status_code == 302
    assert publish(admin, "Ny tekst").status_code == 302
    public = app.test_client().get("/om-planen/taushetsplikt").get_data(as_text=True)
    assert "<strong>fet</strong>" in public
    assert "<script>alert" not in public and "javascript:" not in public


def test_links_are_checked_line_by_line(app, admin):
    """A link without https:// is refused with the line named; a good list is saved."""
    page = admin.get("/admin/lenker").get_data(as_text=True)
    token = csrf_token(page)
    bad = admin.post(
        "/admin/lenker",
        data={
            "csrf_token": token,
            "laws": "## Lov\nTittel | http://usikker.no",
            "useful": "KORUS | https://korus.no/",
        },
    )
    assert bad.status_code == 422 and "Linje 1: adressen må begynne med https://" in bad.get_data(
        as_text=True
    )
    good = admin.post(
        "/admin/lenker",
        data={
            "csrf_token": token,
            "laws": "## Lov A\nA | https://lovdata.no/a\n\n## Lov B\nB | https://lovdata.no/b",
            "useful": "KORUS | https://korus.no/",
        },
    )
    assert good.status_code == 302
    with app.app_context():
        links = drafts.current().plan.links
    assert [law.name for law in links.laws] == ["Lov A", "Lov B"]


def test_publish_is_refused_when_the_draft_changed_after_review(app, admin):
    """If someone edits the draft after I opened «Utkast», my publish is refused and nothing is lost."""
    form = contact_form(admin, "kristin-stoten")
    admin.post("/admin/kontakter/kristin-stoten", data={**form, "role": "Rektor A"})
    html = admin.get("/admin/utkast").get_data(as_text=True)
    version = html.split('id="version" name="version" type="hidden" value="')[1].split('"')[0]
    form = contact_form(admin, "kristin-stoten")
    admin.post("/admin/kontakter/kristin-stoten", data={**form, "name": "Kristin Støten", "role": "Rektor B"})
    refused = admin.post(
        "/admin/publiser", data={"csrf_token": csrf_token(html), "note": "x", "version": version}
    )
    assert refused.status_code == 409 and "Utkastet er endret" in refused.get_data(as_text=True)
    assert publish(admin, "Rektor B").status_code == 302
    with app.app_context():
        assert "Rektor B" in str(plan_service.latest_revision().data)
    page = admin.get("/admin/utkast").get_data(as_text=True)
    assert "Det er ingenting å publisere" in page
    again = admin.post(
        "/admin/publiser", data={"csrf_token": csrf_token(page), "note": "Igjen", "version": "0"}
    )
    assert again.status_code == 409


def test_a_publish_elsewhere_is_merged_into_the_draft(app, admin, tmp_path):
    """An import published while the draft was open is kept; parts changed on both sides are a conflict."""
    form = contact_form(admin, "kristin-stoten")
    admin.post("/admin/kontakter/kristin-stoten", data={**form, "phone": "912 34 567"})
    with app.app_context():
        data = plan_service.latest_revision().data
        data["checklist_list"]["checklists"][0]["title"] = "Sjekkliste (importert)"
        plan_service.publish(drafts.validate(data), author=None, note="import")
        db.session.commit()
    assert publish(admin, "Nummer").status_code == 302
    with app.app_context():
        latest = plan_service.latest_revision().data
    assert latest["checklist_list"]["checklists"][0]["title"] == "Sjekkliste (importert)"
    assert "+4791234567" in str(latest["contacts"])


def test_review_banner_shows_when_the_revision_date_has_passed(app, admin, monkeypatch):
    """Admins see a banner on every admin page once «neste revisjon» is past, until a new date is out."""
    start = accounts.now().replace(year=2026, month=5, day=31)
    monkeypatch.setattr(accounts, "now", lambda: start)
    assert "data-review-overdue" not in admin.get("/admin").get_data(as_text=True)
    monkeypatch.setattr(accounts, "now", lambda: start + timedelta(days=2))
    for url in ("/admin", "/admin/kontakter", "/admin/revisjoner", "/admin/brukere"):
        html = admin.get(url).get_data(as_text=True)
        assert "data-review-overdue" in html and "skulle vært revidert innen 1. juni 2026" in html
    page = admin.get("/admin/datoer").get_data(as_text=True)
    base = draft_base(page)
    saved = admin.post(
        "/admin/datoer",
        data={
            "csrf_token": csrf_token(page),
            "school_year": "2026–2027",
            "version": "juni 2026",
            "version_date": "2026-06-02",
            "next_revision": "juni 2027",
            "next_revision_date": "2027-06-01",
            "responsible": "skolens ledelse",
            "base": base,
        },
    )
    assert saved.status_code == 302
    assert "data-review-overdue" in admin.get("/admin").get_data(as_text=True)  # not yet published
    assert publish(admin, "Revidert").status_code == 302
    assert "data-review-overdue" not in admin.get("/admin").get_data(as_text=True)


def test_users_are_invited_changed_and_disabled_by_admins(app, admin):
    """Admins invite, change roles and disable users; the last admin cannot be removed."""
    token = csrf_token(admin.get("/admin/brukere/ny").get_data(as_text=True))
    bad = post(admin, "/admin/brukere/ny", {"name": "X", "email": "ikke-epost", "roles": ["leader"]})
    assert bad.status_code == 422 and "gyldig e-postadresse" in bad.get_data(as_text=True)
    no_role = post(admin, "/admin/brukere/ny", {"name": "X", "email": "x@skole.no"})
    assert no_role.status_code == 422 and "minst én rolle" in no_role.get_data(as_text=True)
    invited = post(admin, "/admin/brukere/ny", {"name": "Lise", "email": "lise@skole.no", "roles": ["staff"]})
    assert invited.status_code == 200 and "/konto/invitasjon/" in invited.get_data(as_text=True)
    with app.app_context():
        lise = accounts.get_by_email("lise@skole.no").id
        me = accounts.get_by_email("admin@skole.no").id
    assert (
        admin.post(
            f"/admin/brukere/{lise}/roller", data={"csrf_token": token, "roles": ["leader", "staff"]}
        ).status_code
        == 302
    )
    last_admin = admin.post(f"/admin/brukere/{me}/roller", data={"csrf_token": token, "roles": ["leader"]})
    assert last_admin.status_code == 422 and "minst én aktiv administrator" in last_admin.get_data(
        as_text=True
    )
    assert admin.post(f"/admin/brukere/{lise}/deaktiver", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        assert accounts.get_by_email("lise@skole.no").roles == ["staff", "leader"]
        assert accounts.get_by_email("lise@skole.no").disabled
    log = admin.get("/admin/logg").get_data(as_text=True)
    assert "Invitasjon laget" in log and "Bruker endret" in log and "Bruker deaktivert" in log


def test_ids_too_large_for_the_database_are_404(admin):
    """Revision and user ids at or above 2^63 are a plain 404."""
    for url in (
        "/admin/revisjoner/9223372036854775808",
        "/admin/brukere/99999999999999999999999",
        "/admin/revisjoner/0",
    ):
        assert admin.get(url).status_code == 404


def test_admin_without_an_imported_plan_says_what_to_do(tmp_path):
    """Before the first import, admin pages explain the command instead of failing."""
    from flask_migrate import upgrade

    from backend import create_app
    from tests.support import login, make_user

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'tom.sqlite3'}",
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 8,
        }
    )
    with app.app_context():
        upgrade()
    plan_service.revision_cache.clear()
    make_user(app)
    client = app.test_client()
    login(client)
    response = client.get("/admin/kontakter")
    assert response.status_code == 503
    assert "flask --app wsgi content import" in response.get_data(as_text=True)


def test_forbidden_page_is_norwegian(app):
    """A leader who opens an admin page reads why, in Norwegian."""
    from tests.support import login, make_user

    make_user(app, "leder@skole.no", ("leader",), totp=False)
    client = app.test_client()
    login(client, "leder@skole.no")
    html = client.get("/admin").get_data(as_text=True)
    assert "Ingen tilgang" in html and "Forbidden" not in html


def statements_form(admin) -> dict:
    """Read the statements form as the browser would send it back."""
    html = admin.get("/admin/erklaeringer").get_data(as_text=True)
    base = draft_base(html)
    return {
        "csrf_token": csrf_token(html),
        "owner": "Østfold fylkeskommune",
        "feedback_contact": "kristin-stoten",
        "email": "",
        "accessibility_reviewed": "2026-11-26",
        "privacy_reviewed": "2026-11-26",
        "base": base,
    }


def test_statements_are_edited_in_the_draft_and_shown_when_published(app, admin, client, monkeypatch):
    """Leadership changes who takes feedback, the e-mail and review dates; bad input saves nothing."""
    monkeypatch.setattr(accounts, "now", lambda: accounts.utcnow().replace(year=2027, month=1, day=15))
    form = statements_form(admin)
    shown = admin.get("/admin/erklaeringer").get_data(as_text=True)
    assert '<option selected value="kristin-stoten">' in shown

    bad = admin.post(
        "/admin/erklaeringer",
        data={
            **form,
            "email": "post@skole",
            "feedback_contact": "finnes-ikke",
            "privacy_reviewed": "2027-02-01",
        },
    )
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "gyldig e-postadresse" in page and "Datoen kan ikke være etter i dag" not in page  # fields first
    assert "Not a valid choice" not in page and draft_row(app) is None
    future = admin.post("/admin/erklaeringer", data={**form, "privacy_reviewed": "2027-02-01"})
    assert future.status_code == 422 and "Datoen kan ikke være etter i dag" in future.get_data(as_text=True)
    assert draft_row(app) is None

    saved = admin.post(
        "/admin/erklaeringer",
        data={
            **form,
            "owner": "Østfold fylkeskommune, Fylkeshuset",
            "feedback_contact": "linda-skauge-antonsen",
            "email": "post@halden.vgs.no",
            "accessibility_reviewed": "2027-01-10",
        },
    )
    assert saved.status_code == 302
    changes = admin.get("/admin/utkast").get_data(as_text=True)
    assert "Erklæringer › Tar imot tilbakemeldinger" in changes and "Erklæringer › E-post" in changes
    assert "Linda Skauge Antonsen" in changes and "linda-skauge-antonsen" not in changes  # names, not ids
    assert "linda-skauge-antonsen" not in client.get("/tilgjengelighet").get_data(as_text=True)

    # While she takes feedback, the feedback contact cannot be removed from the contact list.
    contacts = admin.get("/admin/kontakter").get_data(as_text=True)
    removed = admin.post(
        "/admin/kontakter/linda-skauge-antonsen/slett",
        data={"csrf_token": csrf_token(contacts)},
        follow_redirects=True,
    )
    assert "tar imot tilbakemeldinger på erklæringene" in removed.get_data(as_text=True)

    assert publish(admin, "Nye erklæringer").status_code == 302
    accessibility = client.get("/tilgjengelighet").get_data(as_text=True)
    assert "Østfold fylkeskommune, Fylkeshuset" in accessibility
    assert "10. januar 2027" in accessibility and 'href="mailto:post@halden.vgs.no"' in accessibility
    assert "Linda Skauge Antonsen" in accessibility and 'href="tel:+4797077075"' in accessibility
    privacy = client.get("/personvern").get_data(as_text=True)
    assert "26. november 2026" in privacy and 'href="mailto:post@halden.vgs.no"' in privacy

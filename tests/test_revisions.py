"""Revisions people can read: word diffs, names, a confirmed restore, undo one change, preview the draft."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import AuditEvent, PlanRevision
from backend.services import diff
from backend.services import plan as plan_service
from backend.services.dates import MONTHS
from tests.support import admin_client, csrf_token
from tests.test_admin import contact_form, draft_row, publish


@pytest.fixture
def admin(app):
    """A client logged in as an admin."""
    return admin_client(app)


def revision_count(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count(PlanRevision.id))).scalar_one()


def marked(html: str) -> tuple[list[str], list[str]]:
    """Return the texts inside <del> and <ins> in a page."""
    return re.findall(r"<del>(.*?)</del>", html, re.S), re.findall(r"<ins>(.*?)</ins>", html, re.S)


def test_the_word_diff_marks_exactly_the_changed_words():
    """Only the words that changed are marked; the rest reads as it was."""
    pieces = diff.word_diff(
        "Kontaktlærer tar en samtale med eleven samme dag.",
        "Kontaktlærer tar en rolig samtale med eleven neste dag.",
    )
    assert [(p.kind, p.text) for p in pieces] == [
        ("same", "Kontaktlærer tar en"),
        ("ins", " rolig"),
        ("same", " samtale med eleven "),
        ("del", "samme"),
        ("ins", "neste"),
        ("same", " dag."),
    ]
    # Nothing in common: one removal and one insertion, not word against word.
    assert [(p.kind, p.text) for p in diff.word_diff("Kristin Støten", "Linda Skauge Antonsen")] == [
        ("del", "Kristin Støten"),
        ("ins", "Linda Skauge Antonsen"),
    ]
    # A long text keeps only the words around the change.
    long_text = " ".join(f"ord{i}" for i in range(200))
    shown = diff.word_diff(long_text, long_text.replace("ord100", "endret"))
    assert "".join(p.text for p in shown).count("ord") < 40 and "…" in shown[0].text


def test_a_changed_text_in_the_draft_shows_its_words_marked_not_a_unified_diff(app, admin):
    """A section edited in the admin: the draft page marks the changed words, with no @@ lines."""
    html = admin.get("/admin/tekster/dokumentasjon").get_data(as_text=True)
    body = re.search(r'<textarea[^>]*name="body"[^>]*>\n?(.*?)</textarea>', html, re.S).group(1)
    import html as html_lib

    body = html_lib.unescape(body)
    title = re.search(r'name="title"[^>]*value="([^"]*)"', html).group(1)
    base = re.search(r'name="base"[^>]*value="([^"]*)"', html).group(1)
    first_word = re.search(r"\w{5,}", body).group(0)
    changed_body = body.replace(first_word, "Byttetord", 1) + "\n\nEn ny setning til slutt."
    saved = admin.post(
        "/admin/tekster/dokumentasjon",
        data={
            "csrf_token": csrf_token(html),
            "title": html_lib.unescape(title),
            "body": changed_body,
            "base": base,
        },
    )
    assert saved.status_code == 302
    page = admin.get("/admin/utkast").get_data(as_text=True)
    removed, added = marked(page)
    assert removed == [first_word]
    assert added == ["Byttetord", html_lib.escape("\n\nEn ny setning til slutt.", quote=False)]
    assert "@@" not in page and "Endret av Admin" in page


def test_revision_pages_show_names_and_norwegian_dates_and_no_fingerprint(app, admin):
    """Who published is a name, when is a Norwegian date, and no hash or e-mail is on the page."""
    form = contact_form(admin, "kristin-stoten")
    admin.post("/admin/kontakter/kristin-stoten", data={**form, "phone": "912 34 567"})
    assert publish(admin, "Nytt nummer").status_code == 302
    with app.app_context():
        latest = plan_service.latest_revision()
        digest = latest.content_hash
    for url in (f"/admin/revisjoner/{latest.id}", "/admin/revisjoner"):
        page = admin.get(url).get_data(as_text=True)
        assert "Admin" in page and "admin@skole.no" not in page.split("</header>", 1)[-1].split("<footer")[0]
        assert "fingeravtrykk" not in page and digest[:12] not in page
        months = "|".join(MONTHS)
        assert re.search(rf"\d{{1,2}}\. ({months}) \d{{4}} kl\. \d\d:\d\d", page)
        assert "ukjent" not in page


def test_restore_asks_to_confirm_and_shows_the_change_against_the_live_plan(app, admin):
    """The restore button leads to a page with the change and a second button; only that one restores."""
    form = contact_form(admin, "kristin-stoten")
    admin.post("/admin/kontakter/kristin-stoten", data={**form, "phone": "912 34 567"})
    assert publish(admin, "Nytt nummer").status_code == 302
    with app.app_context():
        old_id = plan_service.latest_revision().id - 1
    revision_page = admin.get(f"/admin/revisjoner/{old_id}").get_data(as_text=True)
    assert f'href="/admin/revisjoner/{old_id}/gjenopprett"' in revision_page
    before = revision_count(app)
    # A POST without the confirmation (an old form, a replayed request) restores nothing.
    blind = admin.post(
        f"/admin/revisjoner/{old_id}/gjenopprett", data={"csrf_token": csrf_token(revision_page)}
    )
    assert blind.status_code == 302 and blind.headers["Location"].endswith(
        f"/admin/revisjoner/{old_id}/gjenopprett"
    )
    assert revision_count(app) == before
    confirm = admin.get(f"/admin/revisjoner/{old_id}/gjenopprett").get_data(as_text=True)
    assert f"Gjenopprette revisjon {old_id}?" in confirm
    assert "Kristin Støten › Telefon" in confirm
    assert marked(confirm) == (["912 34 567"], ["970 83 705"])
    assert f"Ja, gjenopprett revisjon {old_id}" in confirm and "hx-confirm" not in confirm
    done = admin.post(
        f"/admin/revisjoner/{old_id}/gjenopprett", data={"csrf_token": csrf_token(confirm), "bekreft": "ja"}
    )
    assert done.status_code == 302 and revision_count(app) == before + 1
    with app.app_context():
        assert "+4797083705" in str(plan_service.latest_revision().data["contacts"])


def test_a_restore_warns_that_the_open_draft_is_thrown_away(app, admin):
    """With unpublished changes, the confirmation says the draft goes, and who made it."""
    form = contact_form(admin, "kristin-stoten")
    admin.post("/admin/kontakter/kristin-stoten", data={**form, "phone": "912 34 567"})
    assert publish(admin, "Nytt nummer").status_code == 302
    form = contact_form(admin, "kristin-stoten")
    admin.post("/admin/kontakter/kristin-stoten", data={**form, "role": "Rektor og leder"})
    with app.app_context():
        old_id = plan_service.latest_revision().id - 1
    confirm = admin.get(f"/admin/revisjoner/{old_id}/gjenopprett").get_data(as_text=True)
    assert "Utkastet forkastes" in confirm and "sist av Admin" in confirm


def test_one_change_in_the_draft_can_be_undone(app, admin):
    """Two changes in the draft; undoing one keeps the other, and the log says so."""
    form = contact_form(admin, "kristin-stoten")
    admin.post(
        "/admin/kontakter/kristin-stoten", data={**form, "phone": "912 34 567", "role": "Rektor og leder"}
    )
    page = admin.get("/admin/utkast").get_data(as_text=True)
    keys = re.findall(r'name="endring" value="([^"]*)"', page)
    assert len(keys) == 2
    phone_key = next(key for key in keys if key.endswith("/phone"))
    undone = admin.post("/admin/utkast/angre", data={"csrf_token": csrf_token(page), "endring": phone_key})
    assert undone.status_code == 302
    page = admin.get("/admin/utkast").get_data(as_text=True)
    assert "Endringen er angret: " in page
    listed = page.split('<ul class="changes">', 1)[1]
    assert "Kristin Støten › Rolle" in listed and "Kristin Støten › Telefon" not in listed
    assert re.findall(r'name="endring" value="([^"]*)"', page) == [k for k in keys if k != phone_key]
    with app.app_context():
        events = [e.event for e in db.session.execute(select(AuditEvent)).scalars()]
    assert "draft_change_undone" in events
    # A key that is not a change in the draft is refused with a message, and nothing changes.
    gone = admin.post("/admin/utkast/angre", data={"csrf_token": csrf_token(page), "endring": phone_key})
    assert gone.status_code == 302
    assert "Fant ikke den endringen" in admin.get("/admin/utkast").get_data(as_text=True)


def test_undo_of_an_added_and_of_a_removed_contact(app, admin):
    """An added person goes away again, a removed one comes back at their place."""
    page = admin.get("/admin/kontakter/kristin-stoten").get_data(as_text=True)
    removed = admin.post("/admin/kontakter/hilde-b-hansen/slett", data={"csrf_token": csrf_token(page)})
    assert removed.status_code == 302
    page = admin.get("/admin/utkast").get_data(as_text=True)
    keys = re.findall(r'name="endring" value="([^"]*)"', page)
    assert keys and all("hilde-b-hansen" in key for key in keys)
    admin.post("/admin/utkast/angre", data={"csrf_token": csrf_token(page), "endring": keys[0]})
    with app.app_context():
        live = plan_service.latest_revision().data
    page = admin.get("/admin/utkast").get_data(as_text=True)
    assert "Ingen endringer." in page, page
    assert draft_row(app).data == live


def test_the_draft_can_be_previewed_as_the_public_page_before_publishing(app, admin):
    """The preview shows the draft's number on the contacts page; the public page still has the old one."""
    form = contact_form(admin, "kristin-stoten")
    admin.post("/admin/kontakter/kristin-stoten", data={**form, "phone": "912 34 567"})
    draft_page = admin.get("/admin/utkast").get_data(as_text=True)
    assert 'href="/admin/utkast/forhandsvisning/kontakter"' in draft_page
    preview = admin.get("/admin/utkast/forhandsvisning/kontakter")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "no-store" in preview.headers["Cache-Control"]
    assert "Forhåndsvisning av utkastet" in html
    assert 'href="tel:+4791234567"' in html and 'href="tel:+4797083705"' not in html
    public = app.test_client().get("/kontakter").get_data(as_text=True)
    assert 'href="tel:+4797083705"' in public and "Forhåndsvisning" not in public
    for url in ("/admin/utkast/forhandsvisning", "/admin/utkast/forhandsvisning/hva-gjor-vi/alternativ-3"):
        assert admin.get(url).status_code == 200
    assert admin.get("/admin/utkast/forhandsvisning/hva-gjor-vi/finnes-ikke").status_code == 404
    # Not for anyone else: the preview is behind the admin's login.
    assert app.test_client().get("/admin/utkast/forhandsvisning/kontakter").status_code in (302, 401, 403)


def test_the_texts_page_and_the_log_show_no_internal_names(app, admin):
    """/admin/tekster names every text in words, and the log names people, not e-mail addresses."""
    page = admin.get("/admin/tekster").get_data(as_text=True)
    for slug in ("tilgjengelighet", "personvern", "finn-hjelp"):
        assert f">{slug}<" not in page
    assert "Tilgjengelighetserklæringen" in page
    form = contact_form(admin, "kristin-stoten")
    admin.post("/admin/kontakter/kristin-stoten", data={**form, "phone": "912 34 567"})
    assert publish(admin, "Nytt nummer").status_code == 302
    log = admin.get("/admin/logg").get_data(as_text=True)
    assert "av Admin" in log and "av admin@skole.no" not in log

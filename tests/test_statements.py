"""The accessibility and privacy statements: public, complete, editable, linked from every page."""

from __future__ import annotations

import shutil

import pytest

from backend.content.loader import ContentError, load_plan
from backend.extensions import db
from backend.services import plan as plan_service
from tests.conftest import CONTENT, make_app
from tests.pages import crawl, parse_page

STATEMENTS = ("/tilgjengelighet", "/personvern")


def text_of(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, url
    return parse_page(url, response.get_data(as_text=True))


def test_every_page_links_to_both_statements_in_its_footer(client):
    """From any page, one tap in the footer reaches each statement."""
    pages = crawl(client, "/")
    assert set(STATEMENTS) <= set(pages)
    for url, page in pages.items():
        footer = page.html.split('<footer class="footer">', 1)[1]
        for target in STATEMENTS:
            assert f'href="{target}"' in footer, f"{url} has no footer link to {target}"


def test_the_statements_are_kept_offline(client):
    """Both are public pages in the service worker's list, like the plan itself."""
    urls = client.get("/precache.json").get_json()["urls"]
    assert set(STATEMENTS) <= set(urls)


def test_accessibility_statement_has_the_parts_of_uutilsynets_model(client):
    """Scope, WCAG 2.1 AA status, deviations, how it was tested, date, feedback, the right to complain."""
    page = text_of(client, "/tilgjengelighet")
    assert page.h1 == ["Tilgjengelighetserklæring"]
    for fact in (
        "Denne erklæringen gjelder Rusplan",
        "forskrift om universell utforming av IKT-løsninger",
        "WCAG 2.1 på nivå A og AA",
        "Kjente avvik",
        "Slik har vi testet",
        "axe",
        "tastatur",
        "360 piksler",
        "sist gjennomgått 26. november 2026",
        "Gi oss tilbakemelding",
        "Tilsynet for universell utforming av ikt",
    ):
        assert page.contains(fact), fact
    links = {link.href: link.text for link in page.links}
    assert "https://www.uutilsynet.no/" in links
    assert "Kristin Støten" in links["tel:+4797083705"]


def test_privacy_statement_says_what_is_stored_and_what_never_is(client):
    """Accounts, push subscriptions, alerts with place and time, the audit log; nothing about students."""
    page = text_of(client, "/personvern")
    assert page.h1 == ["Personvernerklæring"]
    for fact in (
        "Appen lagrer aldri noe om elever",
        "navn, e-postadresse, rolle, passordet som en hash",
        "tofaktorinnlogging",
        "Varslingsabonnementer",
        "sted og tidspunkt for et varsel",
        "Endringslogg",
        "lagres bare i nettleseren på telefonen din (lokal lagring)",
        "ikke IP-adresse",
        "Østfold fylkeskommune er behandlingsansvarlig",
        "Datatilsynet",
    ):
        assert page.contains(fact), fact


def test_retention_on_the_privacy_page_follows_the_configuration(tmp_path):
    """The periods stated are the configured ones, so the page and the deletion job cannot disagree."""
    plan_service.revision_cache.clear()
    app = make_app(tmp_path, ALERT_HISTORY_DAYS=30, AUDIT_LOG_RETENTION_DAYS=180, LOG_RETENTION_DAYS=7)
    page = text_of(app.test_client(), "/personvern")
    assert page.contains("Varsler (sted og tidspunkt) 30 dager")
    assert page.contains("Endringslogg 180 dager")
    assert page.contains("7 dager")
    (tmp_path / "standard").mkdir()
    plan_service.revision_cache.clear()
    default = text_of(make_app(tmp_path / "standard").test_client(), "/personvern")
    assert default.contains("Varsler (sted og tidspunkt) 180 dager")
    assert default.contains("Endringslogg 365 dager")


@pytest.fixture
def school(tmp_path):
    folder = tmp_path / "innhold"
    shutil.copytree(CONTENT, folder)
    return folder


def test_a_school_edits_both_statements_as_content(app, client, school):
    """New wording in the Markdown and an email in statements.yaml show after an import."""
    section = school / "sections" / "tilgjengelighet.md"
    section.write_text(
        section.read_text(encoding="utf-8").replace(
            "Vi kjenner ikke til avvik fra kravene.", "Kartet på side 3 mangler tekstalternativ."
        ),
        encoding="utf-8",
    )
    statements = school / "statements.yaml"
    statements.write_text(
        statements.read_text(encoding="utf-8").replace("email:\n", "email: post@skolen.example.no\n"),
        encoding="utf-8",
    )
    with app.app_context():
        _revision, created = plan_service.import_folder(school)
        assert created
    page = text_of(client, "/tilgjengelighet")
    assert page.contains("Kartet på side 3 mangler tekstalternativ.")
    assert not page.contains("Vi kjenner ikke til avvik fra kravene.")
    assert "mailto:post@skolen.example.no" in {link.href for link in text_of(client, "/personvern").links}


def test_a_feedback_contact_that_is_not_in_the_contact_list_is_refused(school):
    """A typo in feedback_contact names the field instead of showing a page without a contact."""
    statements = school / "statements.yaml"
    statements.write_text(
        statements.read_text(encoding="utf-8").replace("kristin-stoten", "kristin-stotten"), encoding="utf-8"
    )
    with pytest.raises(ContentError, match=r"\(feedback_contact\) «kristin-stotten» er ingen kontakt"):
        load_plan(school)


@pytest.mark.parametrize("slug", ["tilgjengelighet", "personvern"])
def test_a_missing_statement_file_is_named(school, slug):
    """The statements are required sections: a school cannot drop one by accident."""
    (school / "sections" / f"{slug}.md").unlink()
    with pytest.raises(ContentError, match=f"{slug}.md: filen mangler"):
        load_plan(school)


def test_statement_pages_are_rendered_once_per_revision(app, client):
    """Like every public page, they come from the per-revision cache."""
    client.get("/personvern")
    with app.app_context():
        current = plan_service.revision_cache.current()
        db.session.remove()
    keys = [key for key in plan_service.revision_cache._pages if key[0] == current.revision_id]
    assert any(key[1] == "/personvern" for key in keys)


def test_the_audit_log_is_deleted_after_the_period_the_privacy_page_states(app):
    """Events older than AUDIT_LOG_RETENTION_DAYS go; newer ones stay (the privacy page promises it)."""
    from datetime import timedelta

    from backend.extensions import db
    from backend.models import AuditEvent, utcnow
    from backend.services import audit

    with app.app_context():
        days = app.config["AUDIT_LOG_RETENTION_DAYS"]
        old = audit.record("login", actor="gammel@skole.no")
        old.created_at = utcnow() - timedelta(days=days + 1)
        audit.record("login", actor="ny@skole.no")
        db.session.commit()
        assert audit.purge() == 1
        left = [event.actor for event in db.session.execute(db.select(AuditEvent)).scalars()]
    assert left == ["ny@skole.no"]

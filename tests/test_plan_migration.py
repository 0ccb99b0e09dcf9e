"""Stored plans of the old shape become the general model, and a bad revision never takes the site down.

tests/data/halden_plan_before_issue14.json is Halden's plan as the app stored it before issue 14, and
halden_pages_before_issue14.json the text and links of every public page that app rendered from it
(made once with the code of commit 7d95c71). After the data migration the same pages must read the same.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import insert, select, update

from backend.content.loader import load_plan
from backend.extensions import db
from backend.models import PlanDraft, PlanRevision
from backend.routes.common import public_page_urls
from backend.services import diff
from backend.services import draft as drafts
from backend.services import plan as plan_service
from tests.conftest import CONTENT
from tests.pages import parse_page
from tests.support import admin_client

DATA = Path(__file__).parent / "data"
OLD_PLAN = json.loads((DATA / "halden_plan_before_issue14.json").read_text(encoding="utf-8"))
OLD_PAGES = json.loads((DATA / "halden_pages_before_issue14.json").read_text(encoding="utf-8"))
BEFORE = "c9d4e2f6a8b1"  # the last migration before the general plan model
# The day the fixture's pages were rendered: «Denne utgaven i appen» shows the revision's date.
RENDERED_ON = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
KRISTIN_PHONE = "contacts/groups/id=ledelse/contacts/id=kristin-stoten/phone"


def old_hash(data: dict) -> str:
    import hashlib

    text = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.fixture
def upgraded(app):
    """The app's database taken back to before the model, given the old plan and a draft, and upgraded."""
    draft = json.loads(json.dumps(OLD_PLAN))
    draft["contacts"]["groups"][0]["contacts"][0]["phone"] = "+4791234567"
    with app.app_context():
        downgrade(revision=BEFORE)
        db.session.execute(
            update(PlanRevision).values(
                data=OLD_PLAN, content_hash=old_hash(OLD_PLAN), created_at=RENDERED_ON
            )
        )
        db.session.execute(
            insert(PlanDraft).values(
                id=drafts.DRAFT_ID,
                base_revision_id=1,
                version=3,
                data=draft,
                updated_by="admin@skole.no",
                change_authors={KRISTIN_PHONE: "admin@skole.no", "checklist/signs/#0": "leder@skole.no"},
            )
        )
        db.session.commit()
        stored = db.session.execute(select(PlanRevision.data)).scalar_one()
        assert "alternatives" in stored and "procedure_list" not in stored  # really the old shape
        upgrade()
        plan_service.revision_cache.clear()
    return app


def test_every_public_page_reads_the_same_after_the_upgrade(upgraded):
    """Each public page the old app served answers with the same text and links from the upgraded data."""
    client = upgraded.test_client()
    with upgraded.test_request_context():
        urls = public_page_urls(plan_service.revision_cache.current().plan)
    assert urls == list(OLD_PAGES)
    for url, before in OLD_PAGES.items():
        response = client.get(url)
        assert response.status_code == 200, url
        page = parse_page(url, response.get_data(as_text=True))
        # The footer's language switch («English» → /en/…) came with the UI languages, after the fixture.
        switch = f"/en{url}" if url != "/" else "/en/"
        assert page.text.replace(" logg inn English ", " logg inn ") == before["text"], url
        assert sorted({link.href for link in page.links} - {switch}) == before["links"], url


def test_the_upgraded_revision_is_the_plan_the_content_folder_gives(upgraded):
    """Migrated data equals a fresh import of the converted folder, so importing it again changes nothing."""
    with upgraded.app_context():
        revision = db.session.execute(select(PlanRevision)).scalar_one()
        fresh = load_plan(CONTENT)
        assert revision.data == fresh.model_dump(mode="json")
        assert revision.content_hash == plan_service.content_hash(fresh)
        _revision, created = plan_service.import_folder(CONTENT)
        assert not created


def test_the_draft_is_upgraded_with_its_change_and_who_made_it(upgraded):
    """The open draft keeps its unpublished change, and the change is still credited to its author."""
    with upgraded.app_context():
        current = drafts.current()
        assert current.changed and current.version == 3
        assert current.plan.all_contacts()[0].phone == "+4791234567"
        latest = plan_service.latest_revision()
        [change] = diff.compare(latest.data, current.data)
        assert change.where == "Kontakter › Rektor og assisterende rektor › Kristin Støten › Telefon"
        assert current.change_authors[diff.path_key(change.path)] == "admin@skole.no"
        assert current.change_authors["checklist_list/checklists/id=sjekkliste/signs/#0"] == "leder@skole.no"


def test_a_downgrade_gives_back_the_old_data(upgraded):
    """Going back one migration restores the old shape exactly (the old app can read it again)."""
    with upgraded.app_context():
        downgrade(revision=BEFORE)
        revision = db.session.execute(select(PlanRevision)).scalar_one()
        assert revision.data == OLD_PLAN and revision.content_hash == old_hash(OLD_PLAN)
        upgrade()


def publish_broken(app) -> int:
    """Store a newer revision that fails validation (a step's role no one defined), as a bad import might."""
    with app.app_context():
        data = plan_service.latest_revision().data
        data["procedure_list"]["procedures"][0]["steps"][0]["role"] = "vaktmester"
        data["checklist_list"]["checklists"][0]["title"] = "Ødelagt sjekkliste"
        revision = PlanRevision(
            data=data, content_hash="broken", note="ødelagt", author=None, source="import"
        )
        db.session.add(revision)
        db.session.commit()
        return revision.id


def test_public_pages_keep_serving_the_last_good_revision(app, client):
    """A newest revision that fails validation is skipped: the pages show the last good one, never a 500."""
    publish_broken(app)
    for url in ("/", "/sjekkliste", "/hva-gjor-vi/alternativ-1", "/akutt"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Ødelagt" not in response.get_data(as_text=True)
    assert "Sjekkliste ved bekymring om rus" in client.get("/sjekkliste").get_data(as_text=True)
    with app.app_context():
        assert plan_service.revision_cache.current().revision_id == 1


def test_the_admin_says_which_revision_fails_and_why(app):
    """Every admin page names the revision that cannot be shown, what is wrong, and what is shown instead."""
    broken = publish_broken(app)
    page = parse_page("/admin", admin_client(app).get("/admin").get_data(as_text=True))
    assert f"Revisjon {broken} kan ikke vises." in page.text
    assert "De offentlige sidene viser revisjon 1, den siste som er i orden." in page.text
    assert (
        "procedures.yaml: «Alternativ 1», steg «ta-videre»: rolle (role) «vaktmester» er ingen rolle"
        in page.text
    )


def test_the_notice_goes_once_a_good_revision_is_newest(app):
    """Publishing a good revision after the bad one serves it and clears the admin's notice."""
    publish_broken(app)
    admin = admin_client(app)
    assert "kan ikke vises" in admin.get("/admin").get_data(as_text=True)
    with app.app_context():
        plan_service.publish(load_plan(CONTENT), author=None, note="rettet")
        db.session.commit()
    assert "kan ikke vises" not in admin.get("/admin").get_data(as_text=True)
    with app.app_context():
        assert plan_service.revision_cache.current().revision_id == 3

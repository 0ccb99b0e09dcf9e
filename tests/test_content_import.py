"""`flask content import` reads only regular, reasonably small files inside the school's folder."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import func, select

from backend.content.loader import MAX_FILE_BYTES
from backend.extensions import db
from backend.models import AuditEvent, PlanRevision
from backend.services import plan as plan_service
from tests.conftest import CONTENT
from tests.support import admin_client

MARKER = "HEMMELIG-UTENFOR-MAPPEN-4417"


def revisions(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count(PlanRevision.id))).scalar_one()


@pytest.fixture
def folder(tmp_path):
    """A copy of Halden's content, and a file outside it that must never be read."""
    copy = tmp_path / "skole"
    shutil.copytree(CONTENT, copy)
    outside = tmp_path / "utenfor"
    (outside / "sections").mkdir(parents=True)
    for section in (copy / "sections").iterdir():
        (outside / "sections" / section.name).write_text(f"# {MARKER}\n\n{MARKER}\n", encoding="utf-8")
    (outside / "plan.yaml").write_text((copy / "plan.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return copy, outside


def _import(app, folder):
    return app.test_cli_runner().invoke(args=["content", "import", "--folder", str(folder)])


def _link(path, target):
    path.unlink() if path.is_file() or path.is_symlink() else shutil.rmtree(path)
    path.symlink_to(target)


@pytest.mark.parametrize("which", ["sections/innledning.md", "plan.yaml", "sections"])
def test_a_symlink_in_the_content_folder_is_refused_naming_the_file(app, folder, which):
    """A symlinked file or folder is an error naming it, in Norwegian; nothing is imported or read."""
    copy, outside = folder
    _link(copy / which, outside / which)
    before = revisions(app)
    result = _import(app, copy)
    assert result.exit_code != 0
    assert str(copy / which) in result.output and "symbolsk lenke" in result.output, result.output
    assert MARKER not in result.output
    assert revisions(app) == before
    with app.app_context():
        assert MARKER not in str(db.session.execute(select(PlanRevision.data)).scalars().all())


def test_a_file_over_the_size_cap_is_refused_naming_the_file(app, folder):
    """A content file over MAX_FILE_BYTES is refused before it is parsed, with its name and the cap."""
    copy, _outside = folder
    big = copy / "sections" / "innledning.md"
    big.write_text("# Innledning\n\n" + "Tekst. " * (MAX_FILE_BYTES // 6), encoding="utf-8")
    result = _import(app, copy)
    assert result.exit_code != 0
    assert str(big) in result.output and f"{MAX_FILE_BYTES // 1024} kB" in result.output, result.output
    check = app.test_cli_runner().invoke(args=["content", "check", "--folder", str(copy)])
    assert check.exit_code != 0 and "256 kB" in check.output


def test_a_regular_folder_still_imports(app, folder):
    """The unchanged copy imports (as the same revision): the checks refuse nothing real."""
    copy, _outside = folder
    result = _import(app, copy)
    assert result.exit_code == 0, result.output


# --- Imports never overwrite newer work in the admin silently (issue 12, item 1) ---------------------


def _admin_changes_the_principals_number(admin, *, publish_it: bool = True) -> None:
    from tests.test_admin import contact_form, publish

    form = contact_form(admin, "kristin-stoten")
    assert (
        admin.post("/admin/kontakter/kristin-stoten", data={**form, "phone": "912 34 567"}).status_code == 302
    )
    if publish_it:
        assert publish(admin, "Nytt nummer til rektor").status_code == 302


def _import_events(app) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.execute(select(AuditEvent).where(AuditEvent.event == "import")).scalars())


def test_an_admin_edit_then_importing_the_older_folder_is_refused_with_the_diff(app):
    """The README's import after an edit in the admin stops, says why and shows the change word by word."""
    admin = admin_client(app)
    _admin_changes_the_principals_number(admin)
    before = revisions(app)
    result = app.test_cli_runner().invoke(args=["content", "import", "--folder", str(CONTENT)])
    assert result.exit_code != 0
    assert "Importen er stoppet" in result.output and "administrasjonen av Admin" in result.output
    assert "Kristin Støten › Telefon: [-912 34 567-]{+970 83 705+}" in result.output
    assert "--replace" in result.output and "Ingenting er importert" in result.output
    assert revisions(app) == before
    assert _import_events(app) == []
    with app.app_context():
        assert "+4791234567" in str(plan_service.latest_revision().data["contacts"])


def test_replace_imports_the_folder_and_the_audit_log_names_who_ran_it(app):
    """With --replace the folder becomes live, and the log says who ran it: --as, else the OS user."""
    admin = admin_client(app)
    _admin_changes_the_principals_number(admin)
    before = revisions(app)
    result = app.test_cli_runner().invoke(
        args=["content", "import", "--folder", str(CONTENT), "--replace", "--as", "admin@skole.no"]
    )
    assert result.exit_code == 0, result.output
    assert revisions(app) == before + 1
    with app.app_context():
        latest = plan_service.latest_revision()
        assert "+4797083705" in str(latest.data["contacts"]) and "+4791234567" not in str(latest.data)
        assert (latest.source, latest.author) == ("import", "admin@skole.no")
    [event] = _import_events(app)
    assert event.actor == "admin@skole.no" and event.subject == f"revisjon {latest.id}"
    assert "kommandolinjen" in event.detail and "Erstattet nyere endringer" in event.detail
    log = admin.get("/admin/logg").get_data(as_text=True)
    assert "Importert" in log and "ukjent" not in log
    # A second edit and an import without --as: the OS user is named, never «ukjent».
    _admin_changes_the_principals_number(admin)
    result = app.test_cli_runner().invoke(args=["content", "import", "--folder", str(CONTENT), "--replace"])
    assert result.exit_code == 0, result.output
    newest = _import_events(app)[-1]
    assert newest.actor.startswith("kommandolinjen (") and newest.actor != "kommandolinjen ()"
    bad = app.test_cli_runner().invoke(args=["content", "import", "--folder", str(CONTENT), "--as", "x@y.no"])
    assert bad.exit_code != 0 and "Fant ingen bruker" in bad.output


def test_an_open_draft_stops_the_import_and_replace_leaves_no_phantom_changes(app, folder):
    """Unpublished admin work also stops an import; after --replace the draft lists no change nobody made."""
    copy, _outside = folder
    checklist = copy / "checklists.yaml"
    checklist.write_text(
        checklist.read_text(encoding="utf-8").replace("title: ", "title: Ny ", 1), encoding="utf-8"
    )
    admin = admin_client(app)
    _admin_changes_the_principals_number(admin, publish_it=False)
    refused = _import(app, copy)
    assert refused.exit_code != 0 and "Utkastet har endringer fra administrasjonen" in refused.output
    assert "Lagt til" not in refused.output and "Sjekkliste › Tittel: {+Ny +}" in refused.output
    assert "forkastes også disse endringene i utkastet" in refused.output
    assert "Kristin Støten › Telefon: [-970 83 705-]{+912 34 567+}" in refused.output
    done = app.test_cli_runner().invoke(args=["content", "import", "--folder", str(copy), "--replace"])
    assert done.exit_code == 0, done.output
    assert "Utkastet er forkastet" in done.output
    draft_page = admin.get("/admin/utkast").get_data(as_text=True)
    assert "Ingen endringer." in draft_page


def test_an_import_over_an_import_needs_no_replace(app, folder):
    """Folder after folder imports as before, and the log names the OS user who ran it."""
    copy, _outside = folder
    checklist = copy / "checklists.yaml"
    checklist.write_text(
        checklist.read_text(encoding="utf-8").replace("title: ", "title: Ny ", 1), encoding="utf-8"
    )
    result = _import(app, copy)
    assert result.exit_code == 0, result.output
    [event] = _import_events(app)
    assert event.actor.startswith("kommandolinjen (")


def test_a_draft_older_than_the_import_is_put_on_top_of_it_listing_only_its_own_changes(app, folder):
    """A draft from before the last import is merged onto the new revision: no change nobody made."""
    from datetime import timedelta

    from backend.models import PlanDraft
    from backend.services import diff
    from backend.services import draft as drafts

    copy, _outside = folder
    checklist = copy / "checklists.yaml"
    checklist.write_text(
        checklist.read_text(encoding="utf-8").replace("title: ", "title: Ny ", 1), encoding="utf-8"
    )
    admin = admin_client(app)
    _admin_changes_the_principals_number(admin, publish_it=False)
    with app.app_context():  # the draft was made before the last import (as an older version left it)
        row = db.session.get(PlanDraft, 1)
        row.updated_at = plan_service.last_import().created_at - timedelta(minutes=5)
        db.session.commit()
    result = _import(app, copy)
    assert result.exit_code == 0, result.output
    assert "Utkastet er lagt oppå den importerte revisjonen" in result.output
    with app.app_context():
        current = drafts.current()
        latest = plan_service.latest_revision()
        assert current.base_revision_id == latest.id
        changes = diff.compare(latest.data, current.data)
    assert [change.where for change in changes] == [
        "Kontakter › Rektor og assisterende rektor › Kristin Støten › Telefon"
    ]
    assert latest.data["checklist_list"]["checklists"][0]["title"].startswith("Ny ")


def test_a_folder_exported_from_the_live_plan_imports_after_editing_without_replace(app, tmp_path):
    """Export (or download) after an admin edit, edit the files, import: no --replace needed, as the
    folder says it was made from the live revision; after another admin publish it is refused again."""
    from tests.test_admin import contact_form, publish

    admin = admin_client(app)
    _admin_changes_the_principals_number(admin)
    runner = app.test_cli_runner()
    exported = tmp_path / "eksport"
    assert runner.invoke(args=["content", "export", str(exported)]).exit_code == 0
    checklist = exported / "checklists.yaml"
    checklist.write_text(
        checklist.read_text(encoding="utf-8").replace("title: ", "title: Ny ", 1), encoding="utf-8"
    )
    done = runner.invoke(args=["content", "import", "--folder", str(exported)])
    assert done.exit_code == 0, done.output
    with app.app_context():
        latest = plan_service.latest_revision().data
    assert latest["checklist_list"]["checklists"][0]["title"].startswith("Ny ")
    assert "+4791234567" in str(latest["contacts"])
    # The same folder again after a newer publish in the admin: refused, that work would be lost.
    form = contact_form(admin, "hilde-b-hansen")
    admin.post(
        "/admin/kontakter/hilde-b-hansen",
        data={
            **form,
            "name": "Hilde B Hansen",
            "role": "Ass. rektor",
            "phone": "457 28 629",
            "call_chain": "y",
        },
    )
    assert publish(admin, "Ny rolle").status_code == 302
    checklist.write_text(
        checklist.read_text(encoding="utf-8").replace("title: Ny ", "title: Nyere ", 1), encoding="utf-8"
    )
    refused = runner.invoke(args=["content", "import", "--folder", str(exported)])
    assert refused.exit_code != 0 and "Importen er stoppet" in refused.output

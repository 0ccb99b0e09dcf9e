"""The plan as a zip in the admin: download keeps the school's files as written; upload goes to the draft."""

from __future__ import annotations

import io
import stat
import zipfile

import pytest
from sqlalchemy import func, select

from backend.content.loader import MAX_FILE_BYTES
from backend.extensions import db
from backend.models import AuditEvent, PlanRevision
from tests.conftest import CONTENT
from tests.support import admin_client, csrf_token
from tests.test_admin import contact_form, draft_row


@pytest.fixture
def admin(app):
    """A client logged in as an admin."""
    return admin_client(app)


def revision_count(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count(PlanRevision.id))).scalar_one()


def folder_files() -> dict[str, bytes]:
    """The school's content folder as zip members: path inside the folder -> bytes."""
    return {
        path.relative_to(CONTENT).as_posix(): path.read_bytes()
        for path in CONTENT.rglob("*")
        if path.is_file()
    }


def make_zip(files: dict[str, bytes], prefix: str = "halden-vgs/") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(prefix + name, data)
    return buffer.getvalue()


def upload(admin, data: bytes, *, replace: bool = False, name: str = "plan.zip"):
    page = admin.get("/admin/innholdsfiler").get_data(as_text=True)
    form = {"csrf_token": csrf_token(page), "archive": (io.BytesIO(data), name)}
    if replace:
        form["replace"] = "y"
    return admin.post("/admin/innholdsfiler", data=form, content_type="multipart/form-data")


def test_the_download_is_the_content_folder_with_its_comments_and_numbers_as_printed(app, admin):
    """Unchanged, the zip holds exactly the school's files: guidance comments, «970 83 705», layout."""
    response = admin.get("/admin/innholdsfiler/plan.zip")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/zip"
    assert "no-store" in response.headers["Cache-Control"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    files = {name.removeprefix("halden-vgs/"): archive.read(name) for name in archive.namelist()}
    assert b"revisjon: 1\n" in files.pop("revisjon.txt")  # which revision it was made from
    assert files == folder_files()
    contacts = files["contacts.yaml"].decode("utf-8")
    assert "# Tekst som står i planen må kopieres nøyaktig" in contacts and "phone: 970 83 705" in contacts


def test_the_download_writes_an_admin_edit_into_the_files_keeping_the_rest(app, admin):
    """After a published edit, the zip has the new number as printed and every comment still there."""
    from tests.test_admin import publish

    form = contact_form(admin, "kristin-stoten")
    admin.post("/admin/kontakter/kristin-stoten", data={**form, "phone": "912 34 567"})
    assert publish(admin, "Nytt nummer").status_code == 302
    archive = zipfile.ZipFile(io.BytesIO(admin.get("/admin/innholdsfiler/plan.zip").data))
    contacts = archive.read("halden-vgs/contacts.yaml").decode("utf-8")
    original = (CONTENT / "contacts.yaml").read_text(encoding="utf-8")
    assert contacts == original.replace("phone: 970 83 705", "phone: 912 34 567", 1)


def test_cli_export_keeps_the_comments_too(app, tmp_path):
    """`flask content export` writes the same files as the school keeps them."""
    result = app.test_cli_runner().invoke(args=["content", "export", str(tmp_path / "ut")])
    assert result.exit_code == 0, result.output
    assert b"revisjon: 1\n" in (tmp_path / "ut" / "revisjon.txt").read_bytes()
    (tmp_path / "ut" / "revisjon.txt").unlink()
    written = {
        p.relative_to(tmp_path / "ut").as_posix(): p.read_bytes()
        for p in (tmp_path / "ut").rglob("*")
        if p.is_file()
    }
    assert written == folder_files()


def test_an_uploaded_zip_goes_to_the_draft_never_live_and_is_logged(app, admin):
    """A changed file in the zip shows in the draft with who loaded it; the public site is unchanged."""
    files = folder_files()
    files["contacts.yaml"] = files["contacts.yaml"].replace(b"phone: 970 83 705", b"phone: 912 34 567", 1)
    before = revision_count(app)
    response = upload(admin, make_zip(files), name="min plan.zip")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/utkast")
    assert revision_count(app) == before
    assert 'href="tel:+4797083705"' in app.test_client().get("/kontakter").get_data(as_text=True)
    draft_page = admin.get("/admin/utkast").get_data(as_text=True)
    assert "Kristin Støten › Telefon" in draft_page and "Endret av Admin" in draft_page
    assert "<del>970 83 705</del><ins>912 34 567</ins>" in draft_page
    with app.app_context():
        [event] = db.session.execute(select(AuditEvent).where(AuditEvent.event == "import")).scalars()
        assert event.actor == "admin@skole.no" and "min plan.zip" in event.detail
    # The zip may also hold the files at its top, without the folder.
    assert upload(admin, make_zip(folder_files(), prefix=""), replace=True).status_code == 302
    assert "Ingen endringer." in admin.get("/admin/utkast").get_data(as_text=True)


def test_an_upload_does_not_overwrite_unpublished_work_without_asking(app, admin):
    """With changes in the draft, the upload is refused until the box to replace them is ticked."""
    form = contact_form(admin, "kristin-stoten")
    admin.post("/admin/kontakter/kristin-stoten", data={**form, "role": "Rektor og leder"})
    refused = upload(admin, make_zip(folder_files()))
    assert refused.status_code == 409
    assert "Utkastet har endringer som ikke er publisert" in refused.get_data(as_text=True)
    assert "Rektor og leder" in str(draft_row(app).data)
    assert upload(admin, make_zip(folder_files()), replace=True).status_code == 302
    assert "Rektor og leder" not in str(draft_row(app).data)


def _symlink_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in folder_files().items():
            if name != "plan.yaml":
                archive.writestr(f"halden-vgs/{name}", data)
        link = zipfile.ZipInfo("halden-vgs/plan.yaml")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    return buffer.getvalue()


def _with(name: str, data: bytes) -> bytes:
    return make_zip({**folder_files(), name: data})


BROKEN = {
    "a missing field": (
        lambda: _with(
            "contacts.yaml",
            (CONTENT / "contacts.yaml").read_bytes().replace(b"        phone: 970 83 705\n", b"", 1),
        ),
        ["contacts.yaml"],
    ),
    "broken YAML": (
        lambda: _with("checklists.yaml", b"checklists: [uavsluttet\n"),
        ["checklists.yaml", "ugyldig YAML"],
    ),
    "Windows-1252 text": (
        lambda: _with("sections/innledning.md", "# Innledning\n\nRusmidler på skolen.\n".encode("cp1252")),
        ["sections/innledning.md", "UTF-8"],
    ),
    "a path outside the folder": (lambda: make_zip({"../plan.yaml": b"x"}), ["../plan.yaml", "ut av mappen"]),
    "a symbolic link": (_symlink_zip, ["plan.yaml", "symbolsk lenke"]),
    "a file over the cap": (
        lambda: _with("sections/innledning.md", b"# I\n\n" + b"a" * (MAX_FILE_BYTES + 1)),
        ["sections/innledning.md", "256 kB"],
    ),
    "an unknown file": (lambda: _with("skript.sh", b"rm -rf /"), ["skript.sh", "ukjent fil"]),
    "not a zip": (lambda: b"PK\x03\x04 dette er ikke en zip", ["zip-filen", "ikke en zip-fil"]),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_zip_is_refused_with_a_norwegian_error_and_nothing_is_imported(app, admin, case):
    """Errors name the file (and field), in Norwegian; neither the draft nor the live plan changes."""
    build, expected = BROKEN[case]
    before = revision_count(app)
    response = upload(admin, build())
    page = response.get_data(as_text=True)
    assert response.status_code == 422, page
    assert "Zip-filen ble ikke lastet inn" in page and "Ingenting er endret" in page
    for text in expected:
        assert text in page, (text, page[page.find("alert-error") :][:600])
    assert "/tmp" not in page and "Traceback" not in page
    assert draft_row(app) is None and revision_count(app) == before
    with app.app_context():
        assert db.session.execute(select(AuditEvent).where(AuditEvent.event == "import")).first() is None


def test_a_file_is_required(app, admin):
    """Pressing the button without a file says what to do."""
    page = admin.get("/admin/innholdsfiler").get_data(as_text=True)
    response = admin.post("/admin/innholdsfiler", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 422 and "Velg en zip-fil." in response.get_data(as_text=True)

"""Export and import: `flask content export DIR` then `content import` gives an identical revision."""

from __future__ import annotations

from sqlalchemy import func, select

from backend.extensions import db
from backend.models import PlanRevision
from backend.services import draft as drafts
from backend.services import plan as plan_service
from backend.services import plan_edit
from tests.conftest import make_app


def latest(app) -> tuple[str, dict, int]:
    with app.app_context():
        revision = plan_service.latest_revision()
        count = db.session.execute(select(func.count(PlanRevision.id))).scalar_one()
        return revision.content_hash, revision.data, count


def test_export_then_import_gives_the_same_revision(app, tmp_path):
    """Exporting the current revision and importing it again changes nothing; another database agrees."""
    runner = app.test_cli_runner()
    folder = tmp_path / "eksport"
    result = runner.invoke(args=["content", "export", str(folder)])
    assert result.exit_code == 0, result.output
    before_hash, before_data, before_count = latest(app)
    again = runner.invoke(args=["content", "import", "--folder", str(folder)])
    assert again.exit_code == 0 and "Uendret" in again.output
    assert latest(app) == (before_hash, before_data, before_count)

    (tmp_path / "annen").mkdir()
    other = make_app(tmp_path / "annen")
    imported = other.test_cli_runner().invoke(args=["content", "import", "--folder", str(folder)])
    assert imported.exit_code == 0, imported.output
    other_hash, other_data, _ = latest(other)
    assert other_hash == before_hash and other_data == before_data


def test_round_trip_keeps_admin_edits_with_awkward_text(app, tmp_path):
    """Quotes, colons, YAML words, dates as text, Markdown headings and emoji survive export and import."""
    tricky = {
        "name": "O'Brien: «test» #1",
        "role": "yes",
        "phone": "+46 8 123 456 78",
        "drug_responsible": True,
        "roles": [],
    }

    def change(plan: dict) -> None:
        plan_edit.save_contact(plan, None, tricky, group_id="ny", new_group_title="- 2025-08-01: null")
        plan["checklist_list"]["checklists"][0]["signs"].append("no")
        plan["checklist_list"]["checklists"][0]["signs"].append("Står det «0800»? 💊")
        section = plan_edit.find_section(plan, "dokumentasjon")
        section["body"] += "\n\n# Overskrift inni\n\n- punkt: med kolon\n- 'sitat'"

    with app.app_context():
        version = drafts.update(change, actor="admin@skole.no")
        drafts.publish("Vanskelig tekst", actor="admin@skole.no", expected_version=version)
    runner = app.test_cli_runner()
    folder = tmp_path / "eksport"
    assert runner.invoke(args=["content", "export", str(folder)]).exit_code == 0
    edited_hash, edited_data, count = latest(app)
    assert runner.invoke(args=["content", "import", "--folder", str(folder)]).exit_code == 0
    assert latest(app) == (edited_hash, edited_data, count)
    (tmp_path / "annen").mkdir()
    other = make_app(tmp_path / "annen")
    assert other.test_cli_runner().invoke(args=["content", "import", "--folder", str(folder)]).exit_code == 0
    assert latest(other)[:2] == (edited_hash, edited_data)


def test_zip_and_folder_round_trip_keep_the_new_files(app, tmp_path):
    """An annual wheel, an English student page, several checklists and numbers survive export and import,
    by zip and by folder, and the zip holds roles.yaml, procedures.yaml, checklists.yaml and sections.yaml."""
    import io
    import zipfile

    from backend.services import content_zip

    def change(plan: dict) -> None:
        plan["annual_wheel"] = {
            "title": "Årshjul",
            "intro": None,
            "months": [{"month": 9, "activities": [{"text": "Rusuke", "responsible": "miljoveileder"}]}],
        }
        plan["checklist_list"]["checklists"].append(
            {"id": "foresatte", "title": "For foresatte", "quote": "Spør.", "signs": ["Endret søvn"]}
        )
        plan["contacts"]["services"].append(
            {"id": "legevakt", "label": "Legevakten", "description": "Når det haster.", "phone": "116117"}
        )
        plan_edit.find_section(plan, "finn-hjelp")["body_en"] = "You can ask for help at school."

    with app.app_context():
        version = drafts.update(change, actor="admin@skole.no")
        drafts.publish("Nye deler", actor="admin@skole.no", expected_version=version)
        revision = plan_service.latest_revision()
        packed = content_zip.export_zip(revision, template=None, folder_name="skole")
        names = set(zipfile.ZipFile(io.BytesIO(packed)).namelist())
        for name in (
            "roles.yaml",
            "procedures.yaml",
            "checklists.yaml",
            "sections.yaml",
            "annual_wheel.yaml",
        ):
            assert f"skole/{name}" in names, names
        assert "skole/sections/finn-hjelp.en.md" in names
        assert content_zip.plan_from_zip(packed).model_dump(mode="json") == revision.data
    edited_hash, edited_data, count = latest(app)
    runner = app.test_cli_runner()
    folder = tmp_path / "eksport"
    assert runner.invoke(args=["content", "export", str(folder)]).exit_code == 0
    assert runner.invoke(args=["content", "import", "--folder", str(folder)]).exit_code == 0
    assert latest(app) == (edited_hash, edited_data, count)

"""Content errors speak the school's language: a nynorsk school reads its problems in nynorsk.

The errors name the file, the line and the field as before (tests/test_schema.py, test_guide_schema.py);
here: the words follow the school's plan.yaml `language` on the command line, and the page's language
in the admin.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask_babel import force_locale

from backend.content.loader import ContentError, declared_language, load_plan
from tests.conftest import ROOT

EXAMPLE = ROOT / "content" / "eksempel-vgs"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def nynorsk_school(tmp_path) -> Path:
    """A copy of the nynorsk example school whose first step names a role that does not exist."""
    folder = tmp_path / "eksempel-vgs"
    shutil.copytree(EXAMPLE, folder)
    assert declared_language(folder) == "nn"
    edit(folder / "procedures.yaml", "        role: du\n", "        role: duu\n")
    return folder


def test_content_check_speaks_nynorsk_for_a_nynorsk_school(app, nynorsk_school):
    """`flask content check` on a nynorsk folder: the lead and the problem in nynorsk, file, line, field."""
    result = app.test_cli_runner().invoke(args=["content", "check", "--folder", str(nynorsk_school)])
    assert result.exit_code != 0
    output = result.output
    assert "Innhaldet er ikkje gyldig:" in output
    assert "«duu» er inga rolle i roles.yaml" in output
    assert "procedures.yaml, linje " in output and ": rolle (role)" in output
    # Nothing of the bokmål texts is left
    assert "Innholdet er ikke gyldig" not in output and "er ingen rolle" not in output


def test_content_import_speaks_nynorsk_for_a_nynorsk_school(app, nynorsk_school):
    """The import refuses the same folder in nynorsk, and imports nothing."""
    result = app.test_cli_runner().invoke(args=["content", "import", "--folder", str(nynorsk_school)])
    assert result.exit_code != 0
    assert "Innhaldet er ikkje gyldig; ingenting vart importert:" in result.output
    assert "«duu» er inga rolle i roles.yaml" in result.output


def test_a_bokmal_school_still_reads_bokmal(app, tmp_path):
    """Halden's folder (language: nb) with the same kind of mistake: the words are bokmål, as before."""
    from tests.conftest import CONTENT

    folder = tmp_path / "halden-vgs"
    shutil.copytree(CONTENT, folder)
    edit(folder / "checklists.yaml", "id:", "idd:")
    result = app.test_cli_runner().invoke(args=["content", "check", "--folder", str(folder)])
    assert result.exit_code != 0
    assert "Innholdet er ikke gyldig:" in result.output
    assert "er ukjent (skrivefeil?)" in result.output


def test_errors_follow_the_language_in_force(app, nynorsk_school):
    """In a request, the problems are in the page's language: nynorsk, English, or bokmål."""
    texts = {}
    for language in ("nb", "nn", "en"):
        with app.test_request_context(), force_locale(language):
            with pytest.raises(ContentError) as caught:
                load_plan(nynorsk_school)
            texts[language] = "\n".join(caught.value.lines())
    assert "«duu» er ingen rolle i roles.yaml" in texts["nb"]
    assert "«duu» er inga rolle i roles.yaml" in texts["nn"]
    assert "«duu» is not a role in roles.yaml" in texts["en"]
    assert "procedures.yaml, line " in texts["en"] and ": role (role)" in texts["en"]


def test_guide_errors_in_nynorsk_name_the_procedure(app, tmp_path):
    """A guide that never leads to a procedure names it by its label and title, in nynorsk."""
    import yaml

    folder = tmp_path / "eksempel-vgs"
    shutil.copytree(EXAMPLE, folder)
    guide = yaml.safe_load((folder / "guide.yaml").read_text(encoding="utf-8"))
    procedures = yaml.safe_load((folder / "procedures.yaml").read_text(encoding="utf-8"))["procedures"]
    target = procedures[-1]
    for question in guide["questions"]:
        question["answers"] = [a for a in question["answers"] if a.get("procedure") != target["id"]]
    (folder / "guide.yaml").write_text(yaml.safe_dump(guide, allow_unicode=True), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["content", "check", "--folder", str(folder)])
    assert result.exit_code != 0
    name = f"«{target['label']}: {target['title']}» ({target['id']})"
    assert f"ingen veg gjennom spørsmåla leier til alternativet {name}" in result.output


def test_admin_names_a_refused_revision_in_the_schools_language(tmp_path):
    """A stored revision that fails validation is explained on the nynorsk school's admin pages in
    nynorsk, even when an English public page was the first to notice it."""
    from backend.extensions import db
    from backend.models import PlanRevision
    from backend.services import plan as plan_service
    from tests.conftest import make_app
    from tests.pages import parse_page
    from tests.support import admin_client

    app = make_app(tmp_path, school="eksempel-vgs")
    try:
        with app.app_context():
            data = plan_service.latest_revision().data
            data["procedure_list"]["procedures"][0]["steps"][0]["role"] = "vaktmeister"
            db.session.add(PlanRevision(data=data, content_hash="broken", note="øydelagd", source="import"))
            db.session.commit()
        assert app.test_client().get("/en/").status_code == 200  # an English page notices it first
        page = parse_page("/admin", admin_client(app).get("/admin").get_data(as_text=True)).text
        assert "«vaktmeister» er inga rolle i roles.yaml" in page
        assert "er ingen rolle" not in page
    finally:
        with app.app_context():
            db.engine.dispose()
        plan_service.revision_cache.clear()

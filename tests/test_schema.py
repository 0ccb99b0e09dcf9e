"""Content files are validated on the way in: a broken file is named with its field, never half-loaded."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from backend.content.loader import ContentError, load_plan, write_plan
from backend.models import PlanRevision
from backend.services import plan as plan_service
from tests.conftest import CONTENT, ROOT


@pytest.fixture
def school(tmp_path) -> Path:
    """A copy of the school's content folder that a test may break."""
    folder = tmp_path / "content" / "halden-vgs"
    shutil.copytree(CONTENT, folder)
    return folder


def edit(path: Path, old: str, new: str) -> None:
    """Replace one piece of a content file, failing loudly if it is not there."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def break_unknown_key(folder: Path) -> tuple[str, str]:
    edit(folder / "checklist.yaml", "title: Sjekkliste", "colour: red\ntitle: Sjekkliste")
    return "checklist.yaml", "colour"


def break_phone_number(folder: Path) -> tuple[str, str]:
    edit(folder / "contacts.yaml", "phone: 970 83 705", "phone: 970 83")
    return "contacts.yaml", "groups.0.contacts.0.phone"


def break_missing_file(folder: Path) -> tuple[str, str]:
    (folder / "links.yaml").unlink()
    return "links.yaml", "filen mangler"


def break_yaml_syntax(folder: Path) -> tuple[str, str]:
    edit(folder / "alternatives.yaml", "title: Hva gjør vi?", "title: [Hva gjør vi?")
    return "alternatives.yaml", "ugyldig YAML"


def break_missing_part(folder: Path) -> tuple[str, str]:
    text = (folder / "contacts.yaml").read_text(encoding="utf-8")
    (folder / "contacts.yaml").write_text(text.split("\npolice:")[0] + "\n", encoding="utf-8")
    return "contacts.yaml", "police"


def break_missing_section(folder: Path) -> tuple[str, str]:
    (folder / "sections" / "taushetsplikt.md").unlink()
    return "taushetsplikt.md", "filen mangler"


def break_step_actor(folder: Path) -> tuple[str, str]:
    edit(folder / "alternatives.yaml", "actor: mottaker", "actor: vaktmester")
    return "alternatives.yaml", "alternatives.0.steps.0.actor"


def break_section_heading(folder: Path) -> tuple[str, str]:
    edit(folder / "sections" / "dokumentasjon.md", "# Dokumentasjon", "Dokumentasjon")
    return "dokumentasjon.md", "title"


BREAKAGES = [
    break_unknown_key,
    break_phone_number,
    break_missing_file,
    break_yaml_syntax,
    break_missing_part,
    break_missing_section,
    break_step_actor,
    break_section_heading,
]


def test_the_schools_content_is_valid():
    """The content shipped with the app loads, with all 16 people and six alternatives."""
    plan = load_plan(CONTENT)
    assert len(plan.all_contacts()) == 16
    assert [a.label for a in plan.alternatives.alternatives] == [
        "Alternativ 1",
        "Alternativ 2",
        "Alternativ 2A",
        "Alternativ 2B",
        "Alternativ 3",
        "Alternativ 4",
    ]
    assert plan.contacts.police.phone == "02800"
    assert [c.name for c in plan.all_contacts() if c.drug_responsible] == ["Åshild Sandtorp Johnsen"]


@pytest.mark.parametrize("breakage", BREAKAGES, ids=lambda f: f.__name__.removeprefix("break_"))
def test_broken_content_names_the_file_and_the_field(school, breakage):
    """Each kind of mistake a school can make is reported with the file and the field."""
    filename, field = breakage(school)
    with pytest.raises(ContentError) as caught:
        load_plan(school)
    message = str(caught.value)
    assert caught.value.path.endswith(filename), message
    assert filename in message and field in message, message


def test_phone_numbers_are_validated_and_stored_in_e164(school):
    """A number written with spaces is stored as E.164; a short number stays as it is."""
    edit(school / "contacts.yaml", "phone: 970 83 705", "phone: +47 970-83-705")
    plan = load_plan(school)
    assert plan.all_contacts()[0].phone == "+4797083705"
    assert plan.contacts.police.phone == "02800"


def test_export_gives_back_the_same_plan(tmp_path):
    """Writing a plan to files and reading it again changes nothing."""
    plan = load_plan(CONTENT)
    write_plan(plan, tmp_path / "export")
    assert load_plan(tmp_path / "export") == plan


@pytest.mark.parametrize("command", ["check", "import"])
def test_cli_reports_broken_content_and_exits_non_zero(app, runner, school, command):
    """`flask content check|import` names the file and field, exits non-zero and imports nothing."""
    break_phone_number(school)
    with app.app_context():
        before = plan_service.latest_revision().id
    result = runner.invoke(args=["content", command, "--folder", str(school)])
    assert result.exit_code != 0
    assert "contacts.yaml" in result.output and "groups.0.contacts.0.phone" in result.output, result.output
    with app.app_context():
        assert plan_service.latest_revision().id == before


def test_import_is_idempotent(app, runner):
    """Importing the same files twice gives the same revision, not a new one."""
    first = runner.invoke(args=["content", "import"])
    second = runner.invoke(args=["content", "import"])
    assert first.exit_code == 0 and second.exit_code == 0
    assert "Uendret" in second.output
    with app.app_context():
        assert plan_service.db.session.scalar(select(func.count()).select_from(PlanRevision)) == 1


def test_a_changed_file_becomes_a_new_revision(app, runner, school, client):
    """Re-importing edited content makes a new revision, and the site shows the new text."""
    edit(school / "checklist.yaml", "Har eleven sluttet", "Har eleven kanskje sluttet")
    result = runner.invoke(args=["content", "import", "--folder", str(school)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert plan_service.db.session.scalar(select(func.count()).select_from(PlanRevision)) == 2
    assert "Har eleven kanskje sluttet" in client.get("/sjekkliste").get_data(as_text=True)


def test_the_configured_school_folder_is_the_one_used(tmp_path, school):
    """SCHOOL and CONTENT_DIR choose the content folder: another school is another folder."""
    from tests.conftest import make_app

    other = school.parent / "annen-vgs"
    shutil.copytree(school, other)
    edit(other / "plan.yaml", "school: Halden videregående skole", "school: Annen videregående skole")
    (tmp_path / "db").mkdir()
    app = make_app(tmp_path / "db", CONTENT_DIR=str(school.parent), SCHOOL="annen-vgs")
    runner = app.test_cli_runner()
    check = runner.invoke(args=["content", "check"])
    assert check.exit_code == 0 and "annen-vgs" in check.output, check.output
    result = runner.invoke(args=["content", "import"])
    assert result.exit_code == 0 and "annen-vgs" in result.output, result.output
    assert "Annen videregående skole" in app.test_client().get("/").get_data(as_text=True)
    with app.app_context():
        plan_service.db.engine.dispose()
    plan_service.revision_cache.clear()


def flask_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run `flask --app wsgi ...` the way an operator does, in the repository."""
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_real_command_line_checks_and_imports_the_configured_folder(tmp_path, school):
    """From a shell, with SCHOOL and CONTENT_DIR set: check passes, a broken file fails with its name."""
    env = {
        "SECRET_KEY": "test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "CONTENT_DIR": str(school.parent),
        "SCHOOL": school.name,
    }
    assert flask_cli("content", "check", env=env).returncode == 0
    assert flask_cli("db", "upgrade", env=env).returncode == 0
    imported = flask_cli("content", "import", env=env)
    assert imported.returncode == 0 and "revisjon 1" in imported.stdout, imported.stderr
    break_missing_section(school)
    for command in ("check", "import"):
        result = flask_cli("content", command, env=env)
        assert result.returncode != 0
        assert "taushetsplikt.md" in result.stderr and "filen mangler" in result.stderr, result.stderr

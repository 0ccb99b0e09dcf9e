"""Content files are validated on the way in: a broken file is named with its field, never half-loaded."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from backend.content.loader import ContentError, ContentProblem, load_plan, write_plan
from backend.content.schema import normalise_phone
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
    edit(folder / "checklists.yaml", "    title: Sjekkliste", "    colour: red\n    title: Sjekkliste")
    return "checklists.yaml", "colour"


def break_phone_number(folder: Path) -> tuple[str, str]:
    edit(folder / "contacts.yaml", "phone: 970 83 705", "phone: 970 83")
    return (
        "contacts.yaml",
        "kontakt nr. 1 (Kristin Støten) i gruppen «Rektor og assisterende rektor»: telefonnummer",
    )


def break_missing_file(folder: Path) -> tuple[str, str]:
    (folder / "links.yaml").unlink()
    return "links.yaml", "filen mangler"


def break_yaml_syntax(folder: Path) -> tuple[str, str]:
    edit(folder / "procedures.yaml", "title: Hva gjør vi?", "title: [Hva gjør vi?")
    return "procedures.yaml", "ugyldig YAML"


def break_missing_part(folder: Path) -> tuple[str, str]:
    text = (folder / "contacts.yaml").read_text(encoding="utf-8")
    (folder / "contacts.yaml").write_text(text.replace("\ntitle: Kontaktpersoner\n", "\n"), encoding="utf-8")
    return "contacts.yaml", "tittel mangler"


def break_missing_section(folder: Path) -> tuple[str, str]:
    (folder / "sections" / "taushetsplikt.md").unlink()
    return "taushetsplikt.md", "filen mangler"


def break_step_role(folder: Path) -> tuple[str, str]:
    edit(folder / "procedures.yaml", "role: mottaker", "role: vaktmester")
    return (
        "procedures.yaml",
        "«Alternativ 1», steg «ta-videre»: rolle (role) «vaktmester» er ingen rolle i roles.yaml",
    )


def break_meeting_role(folder: Path) -> tuple[str, str]:
    edit(folder / "procedures.yaml", "called_by: kontaktlaerer", "called_by: vaktmester")
    return (
        "procedures.yaml",
        "«Alternativ 1», oppfølgingsmøtet: hvem som kaller inn (called_by) «vaktmester» er ingen rolle",
    )


def break_contact_role(folder: Path) -> tuple[str, str]:
    edit(folder / "contacts.yaml", "roles: [ledelse]", "roles: [rektor]")
    return (
        "contacts.yaml",
        "kontakt nr. 1 (Kristin Støten): roller (roles) «rektor» er ingen rolle i roles.yaml",
    )


def break_urgent_without_call_chain(folder: Path) -> tuple[str, str]:
    edit(folder / "roles.yaml", "    call_chain: true\n", "")
    return (
        "procedures.yaml",
        "«Alternativ 3»: akutt (urgent) krever en ringeliste, men ingen kontakt i contacts.yaml har en "
        "rolle med call_chain: true i roles.yaml",
    )


def break_unknown_service(folder: Path) -> tuple[str, str]:
    edit(folder / "procedures.yaml", "services: [politi]", "services: [brannvesen]")
    return (
        "procedures.yaml",
        "«Alternativ 4»: nummer (services) «brannvesen» er ikke et nummer under services",
    )


def break_language(folder: Path) -> tuple[str, str]:
    edit(folder / "plan.yaml", "language: nb", "language: sv")
    return "plan.yaml", "språket (language: nb eller nn) må være en av: nb, nn (er «sv»)"


def break_missing_required_section(folder: Path) -> tuple[str, str]:
    edit(folder / "sections.yaml", "  - slug: personvern\n    title: Personvernerklæring\n", "")
    return "sections.yaml", "mangler tekstdel(er): personvern"


def break_annual_wheel_role(folder: Path) -> tuple[str, str]:
    (folder / "annual_wheel.yaml").write_text(
        "title: Årshjul\nmonths:\n  - month: 8\n    activities:\n"
        "      - text: Gjennomgang av rusplan\n        responsible: vaktmester\n",
        encoding="utf-8",
    )
    return (
        "annual_wheel.yaml",
        "måned 8, aktivitet nr. 1: ansvarlig (responsible) «vaktmester» er ingen rolle",
    )


def break_missing_phone(folder: Path) -> tuple[str, str]:
    edit(folder / "contacts.yaml", "        phone: 970 83 705\n", "")
    return (
        "contacts.yaml",
        "kontakt nr. 1 (Kristin Støten) i gruppen «Rektor og assisterende rektor»: telefonnummer mangler",
    )


def break_date(folder: Path) -> tuple[str, str]:
    edit(folder / "plan.yaml", "next_revision_date: 2026-06-01", "next_revision_date: juni 2026")
    return (
        "plan.yaml",
        "evalueringen: dato for neste revisjon (next_revision_date) må være en dato skrevet ÅÅÅÅ-MM-DD",
    )


def break_encoding(folder: Path) -> tuple[str, str]:
    path = folder / "contacts.yaml"
    path.write_bytes(path.read_text(encoding="utf-8").encode("cp1252", errors="replace"))
    return "contacts.yaml", "trolig som Windows-1252"


def break_unlisted_section(folder: Path) -> tuple[str, str]:
    (folder / "sections" / "rusuke.md").write_text("Uke 38 er rusuke.\n", encoding="utf-8")
    return "rusuke.md", "står ikke i sections.yaml"


def break_section_heading(folder: Path) -> tuple[str, str]:
    text = (folder / "sections" / "dokumentasjon.md").read_text(encoding="utf-8")
    (folder / "sections" / "dokumentasjon.md").write_text(f"# Dokumentasjon\n\n{text}", encoding="utf-8")
    return "dokumentasjon.md", "overskriften står nå i sections.yaml"


BREAKAGES = [
    break_unknown_key,
    break_phone_number,
    break_missing_file,
    break_yaml_syntax,
    break_missing_part,
    break_missing_section,
    break_step_role,
    break_meeting_role,
    break_contact_role,
    break_urgent_without_call_chain,
    break_unknown_service,
    break_language,
    break_missing_required_section,
    break_annual_wheel_role,
    break_unlisted_section,
    break_section_heading,
    break_missing_phone,
    break_date,
    break_encoding,
]


def test_the_schools_content_is_valid():
    """The content shipped with the app loads, with all 16 people and six procedures."""
    plan = load_plan(CONTENT)
    assert len(plan.all_contacts()) == 16
    assert [a.label for a in plan.procedures()] == [
        "Alternativ 1",
        "Alternativ 2",
        "Alternativ 2A",
        "Alternativ 2B",
        "Alternativ 3",
        "Alternativ 4",
    ]
    assert [(s.label, s.phone) for s in plan.services()] == [("Politiet", "02800")]
    assert [p.label for p in plan.urgent_procedures()] == ["Alternativ 3", "Alternativ 4"]
    assert plan.role_label("ledelse") == "Rektor/ledelse" and plan.role("vaktmester") is None
    assert plan.meta.language == "nb" and plan.meta.archive.name == "Elements"
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


# What pydantic, PyYAML and Python say in English, which a school must never have to read.
ENGLISH = (
    "Field required",
    "Extra inputs",
    "Input should",
    "String should",
    "validation error",
    "Value error",
)
ENGLISH += ("Traceback", "UnicodeDecodeError", "codec", "expected", "while parsing", "Error:")
DOTTED_PATH = re.compile(r"\b[a-z_]+\.\d+\b")  # groups.0.contacts.0.phone


@pytest.mark.parametrize("breakage", BREAKAGES, ids=lambda f: f.__name__.removeprefix("break_"))
def test_broken_content_is_described_in_norwegian_without_dotted_paths(school, breakage):
    """The school reads its own words: no pydantic English, no «groups.0.contacts.0.phone»."""
    breakage(school)
    with pytest.raises(ContentError) as caught:
        load_plan(school)
    for problem in caught.value.problems:
        assert not any(word in str(problem) for word in ENGLISH), problem
        assert not DOTTED_PATH.search(str(problem)), problem


def line_of(path: Path, text: str) -> int:
    """The 1-based line of a file (UTF-8, or Windows-1252 when broken so) where `text` first appears."""
    raw = path.read_bytes()
    try:
        lines = raw.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        lines = raw.decode("cp1252").splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


@pytest.mark.parametrize(
    ("breakage", "marker"),
    [
        (break_phone_number, "phone: 970 83"),
        (break_missing_phone, "- id: kristin-stoten"),  # the person the field is missing from
        (break_unknown_key, "colour: red"),
        (break_step_role, "role: vaktmester"),
        (break_contact_role, "roles: [rektor]"),
        (break_yaml_syntax, "title: [Hva gjør vi?"),
        (break_date, "next_revision_date: juni 2026"),
        (break_encoding, "ø"),  # the first byte that is not UTF-8
    ],
    ids=lambda value: getattr(value, "__name__", "").removeprefix("break_"),
)
def test_a_problem_names_the_line_to_look_at(school, breakage, marker):
    """Where YAML can tell, the problem points at the line to change."""
    filename, _field = breakage(school)
    with pytest.raises(ContentError) as caught:
        load_plan(school)
    [problem] = caught.value.problems
    expected = line_of(school / filename, marker)
    assert problem.line == expected, problem
    assert f"{filename}, linje {expected}: " in str(caught.value), caught.value


def test_a_problem_is_one_object_with_file_line_field_and_message(school):
    """The CLI and an upload in the admin show the same data: file, line, field text, message."""
    break_missing_phone(school)
    with pytest.raises(ContentError) as caught:
        load_plan(school)
    [problem] = caught.value.problems
    assert problem == ContentProblem(
        file="contacts.yaml",
        line=14,
        field="kontakt nr. 1 (Kristin Støten) i gruppen «Rektor og assisterende rektor»: telefonnummer",
        problem="mangler",
    )
    assert problem.message == f"{problem.field} mangler"
    assert str(problem) == f"contacts.yaml, linje 14: {problem.message}"


def test_a_section_saved_as_windows_1252_is_named_with_the_fix(school):
    """A Markdown section from an old editor: the file is named as sections/<name>.md with the fix."""
    path = school / "sections" / "innledning.md"
    path.write_bytes(path.read_text(encoding="utf-8").encode("cp1252", errors="replace"))
    with pytest.raises(ContentError) as caught:
        load_plan(school)
    [problem] = caught.value.problems
    assert problem.file == "sections/innledning.md" and problem.line == line_of(path, "å"), problem
    assert "ikke lagret som UTF-8" in problem.message and "Lagre filen som UTF-8" in problem.message


def test_utf_16_is_refused_and_a_byte_order_mark_is_fine(school):
    """Notepad's «Unicode» is named as UTF-16; its «UTF-8 med BOM» loads as UTF-8."""
    path = school / "checklists.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert load_plan(school) == load_plan(CONTENT)
    path.write_bytes(text.encode("utf-16"))
    with pytest.raises(ContentError, match="lagret som UTF-16") as caught:
        load_plan(school)
    assert "Lagre filen som UTF-8" in str(caught.value)


@pytest.mark.parametrize("command", ["check", "import"])
def test_cli_names_a_windows_1252_file_with_the_fix_and_no_traceback(app, runner, school, command):
    """`flask content check|import` on a contacts.yaml from old Notepad: the encoding, the fix, no import."""
    break_encoding(school)
    with app.app_context():
        before = plan_service.latest_revision().id
    result = runner.invoke(args=["content", command, "--folder", str(school)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    line = line_of(school / "contacts.yaml", "ø")
    assert f"contacts.yaml, linje {line}: filen er ikke lagret som UTF-8" in result.output, result.output
    assert "Lagre filen som UTF-8" in result.output, result.output
    assert not any(word in result.output for word in ENGLISH), result.output
    with app.app_context():
        assert plan_service.latest_revision().id == before


def test_phone_numbers_are_validated_and_stored_in_e164(school):
    """A number written with spaces is stored as E.164; a short number stays as it is."""
    edit(school / "contacts.yaml", "phone: 970 83 705", "phone: +47 970-83-705")
    plan = load_plan(school)
    assert plan.all_contacts()[0].phone == "+4797083705"
    assert plan.service("politi").phone == "02800"
    assert normalise_phone("116 117") == "116117"  # legevakt, a number a school lists beside the police


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
    assert "contacts.yaml, linje 17: kontakt nr. 1 (Kristin Støten)" in result.output, result.output
    assert "«970 83» er ikke et gyldig nummer" in result.output, result.output
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
    edit(school / "checklists.yaml", "Har eleven sluttet", "Har eleven kanskje sluttet")
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


def test_an_optional_annual_wheel_and_english_section_load_and_export(tmp_path, school):
    """annual_wheel.yaml and sections/<slug>.en.md are read when present and written back on export."""
    (school / "annual_wheel.yaml").write_text(
        "title: Årshjul\nmonths:\n  - month: 8\n    activities:\n"
        "      - text: Gjennomgang av rusplan\n        responsible: ledelse\n",
        encoding="utf-8",
    )
    (school / "sections" / "finn-hjelp.en.md").write_text("Ask for help at school.\n", encoding="utf-8")
    plan = load_plan(school)
    assert plan.annual_wheel.months[0].activities[0].responsible == "ledelse"
    assert plan.section("finn-hjelp").body_en == "Ask for help at school."
    assert load_plan(CONTENT).annual_wheel is None
    write_plan(plan, tmp_path / "export")
    assert load_plan(tmp_path / "export") == plan


def test_a_stored_plan_with_an_unknown_role_is_refused_naming_file_and_field():
    """A revision's JSON is checked across files too: an unknown role names procedures.yaml and the step."""
    from pydantic import ValidationError

    from backend.content.loader import plan_from_data

    data = load_plan(CONTENT).model_dump(mode="json")
    data["procedure_list"]["procedures"][0]["steps"][0]["role"] = "vaktmester"
    with pytest.raises(ValidationError, match=r"procedures\.yaml: «Alternativ 1», steg «ta-videre»: rolle"):
        plan_from_data(data)


def test_urgent_procedures_without_a_call_chain_are_each_named_on_their_line(school):
    """With no call-chain role, every urgent procedure is a problem pointing at its «urgent: true» line."""
    break_urgent_without_call_chain(school)
    with pytest.raises(ContentError) as caught:
        load_plan(school)
    rows = (school / "procedures.yaml").read_text(encoding="utf-8").splitlines()
    urgent = [number for number, row in enumerate(rows, 1) if row.strip() == "urgent: true"]
    assert [(p.file, p.line) for p in caught.value.problems] == [("procedures.yaml", n) for n in urgent]
    fields = [p.field for p in caught.value.problems]
    assert fields == ["«Alternativ 3»: akutt (urgent)", "«Alternativ 4»: akutt (urgent)"]

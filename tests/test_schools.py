"""A second school: its content folder loads, and SCHOOL chooses the folder, database and snapshot."""

from __future__ import annotations

import pytest

from backend.config import DEFAULT_SCHOOL, school_file_name
from backend.content.loader import load_plan
from backend.content.schema import normalise_phone
from backend.services import phones
from tests.conftest import ROOT

EXAMPLE = ROOT / "content" / "eksempel-vgs"


def test_the_example_school_is_a_differently_shaped_plan():
    """Eksempel vgs. loads and differs from Halden where the model allows it to."""
    plan = load_plan(EXAMPLE)
    assert plan.meta.language == "nn"
    assert plan.meta.archive.name == "Public 360"
    assert [p.id for p in plan.procedures()] == ["rutine-1", "rutine-2", "rutine-3"]
    assert not any(p.parent for p in plan.procedures())
    assert [p.id for p in plan.urgent_procedures()] == ["rutine-2", "rutine-3"]
    assert [c.name for c in plan.call_chain()] == ["Solveig Aasheim", "Eirik Brekkhus", "Marit Nesvik"]
    assert {s.id for s in plan.services()} == {"politi", "barnevernvakt", "legevakt"}
    assert plan.annual_wheel is not None
    assert [m.month for m in plan.annual_wheel.months] == [8, 9, 10, 11, 12, 1, 2, 3, 4, 5, 6]
    assert plan.section("tilgjengelighet") and plan.section("personvern")
    assert plan.section("finn-hjelp").body_en


BOKMAL_WORDS = {"ikke", "hva", "hvem", "jeg", "skole", "hvordan", "hvis", "noen", "mye", "bare"}


def test_the_example_school_writes_no_bokmal_words():
    """The nynorsk school's content avoids the bokmål forms a nynorsk reader notices first."""
    found = {}
    for path in sorted(EXAMPLE.rglob("*")):
        if path.suffix not in {".yaml", ".md"} or path.name.endswith(".en.md"):
            continue
        words = {w.strip(".,:;«»()!?*").lower() for w in path.read_text(encoding="utf-8").split()}
        if words & BOKMAL_WORDS:
            found[path.name] = sorted(words & BOKMAL_WORDS)
    assert not found, found


@pytest.mark.parametrize(
    ("written", "stored", "shown"),
    [
        ("116 117", "116117", "116 117"),
        ("02800", "02800", "02800"),
        ("400 00 101", "+4740000101", "400 00 101"),
    ],
)
def test_european_116_numbers_are_short_numbers(written, stored, shown):
    """Legevakt 116 117 is dialled as it is and read in two groups, like the plan prints it."""
    assert normalise_phone(written) == stored
    assert phones.display(stored) == shown


def test_each_school_has_its_own_database_file():
    """The default school keeps instance/rusplan.sqlite3; another school gets a file of its own."""
    assert school_file_name(DEFAULT_SCHOOL, "rusplan", ".sqlite3") == "rusplan.sqlite3"
    assert school_file_name("eksempel-vgs", "rusplan", ".sqlite3") == "rusplan-eksempel-vgs.sqlite3"
    assert school_file_name("eksempel-vgs", "last-plan", ".json") == "last-plan-eksempel-vgs.json"
    with pytest.raises(ValueError, match="SCHOOL"):
        school_file_name("../halden-vgs", "rusplan", ".sqlite3")


def test_content_check_reads_the_configured_school(app):
    """`flask content check` (and import, which make run calls) reads the folder SCHOOL names."""
    app.config["SCHOOL"] = "eksempel-vgs"
    result = app.test_cli_runner().invoke(args=["content", "check"])
    assert result.exit_code == 0, result.output
    assert "eksempel-vgs" in result.output


def test_content_import_imports_the_configured_school(tmp_path):
    """An app for another school imports that school's plan into its own database."""
    from backend.services.plan import revision_cache
    from tests.conftest import make_app

    app = make_app(tmp_path, school="eksempel-vgs")
    with app.app_context():
        revision_cache.clear()
        assert revision_cache.current().plan.meta.school == "Eksempel vidaregåande skule"
    revision_cache.clear()

"""The guided questions are content (guide.yaml), checked against the plan's procedures in plain Norwegian."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from backend.content.guide_schema import Guide, ProcedureRef, check_guide, plan_procedures
from backend.content.loader import ContentError, load_plan
from tests.conftest import CONTENT


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


def problems_of(folder: Path) -> list[str]:
    """The problems loading a content folder reports, one sentence a line."""
    with pytest.raises(ContentError) as caught:
        load_plan(folder)
    return [line for problem in caught.value.problems for line in problem.message.splitlines()]


# Each breakage of Halden's guide.yaml, and the exact sentence the school reads: a procedure by the
# label and title the school wrote, its id after (a school leader does not know it by «alternativ-1»).
UNREACHABLE = (
    "guide.yaml: ingen vei gjennom spørsmålene leder til alternativet {}; hvert alternativ må kunne nås"
)
NAMES = {
    "alternativ-1": "«Alternativ 1: eleven ber om hjelp med sitt rusproblem» (alternativ-1)",
    "alternativ-2": (
        "«Alternativ 2: ansatt, medelev, foresatte eller andre er bekymret for eleven» (alternativ-2)"
    ),
}
BREAKAGES = {
    "unreachable_procedure": (
        "      - label: Ja, eleven ber om hjelp\n        procedure: alternativ-1\n",
        "",
        UNREACHABLE.format(NAMES["alternativ-1"]),
    ),
    "cycle": (
        "        next: samtale",
        "        next: ruset",
        "guide.yaml: spørsmålene går i ring: «ruset» → «salg» → «hjelp» → «ruset» "
        "(hver vei må ende i et alternativ)",
    ),
    "unknown_question": (
        "        next: salg",
        "        next: salgg",
        "guide.yaml: spørsmålet «ruset», svaret «Nei»: neste spørsmål (next) «salgg» finnes ikke",
    ),
    "unknown_procedure": (
        "        procedure: alternativ-4",
        "        procedure: alternativ-9",
        "guide.yaml: spørsmålet «salg», svaret «Ja, salg eller oppbevaring»: "
        "alternativet (procedure) «alternativ-9» finnes ikke",
    ),
    "urgent_not_first": (
        "      - label: Ja, eleven er ruset nå\n        procedure: alternativ-3\n"
        "      - label: Nei\n        next: salg\n",
        "      - label: Nei\n        next: salg\n"
        "      - label: Ja, eleven er ruset nå\n        procedure: alternativ-3\n",
        "guide.yaml: spørsmålet «ruset», svaret «Ja, eleven er ruset nå»: "
        "leder til et akutt alternativ, «Alternativ 3: eleven opptrer ruset på skolen» (alternativ-3), "
        "og må stå før svaret «Nei»",
    ),
    "unknown_start": (
        "start: ruset",
        "start: rusett",
        "guide.yaml: første spørsmål (start) «rusett» finnes ikke blant spørsmålene",
    ),
}


@pytest.mark.parametrize("name", BREAKAGES)
def test_a_broken_guide_is_named_in_norwegian_with_file_question_and_answer(school, name):
    """Loading the folder fails with the exact sentence: file, question, answer and what to change."""
    old, new, expected = BREAKAGES[name]
    edit(school / "guide.yaml", old, new)
    assert expected in problems_of(school)


def test_a_dead_end_is_named(school):
    """A question without answers stops the way; it is named, and so are the procedures it cut off."""
    text = (school / "guide.yaml").read_text(encoding="utf-8")
    head, found, _answers = text.partition("  - id: samtale\n")
    samtale = "    text: Har eleven innrømmet bruk av rusmidler etter samtalen?\n    answers: []\n"
    assert found
    (school / "guide.yaml").write_text(head + found + samtale, encoding="utf-8")
    problems = problems_of(school)
    dead_end = "har ingen svar, så veien stopper her (hvert spørsmål må lede videre)"
    assert f"guide.yaml: spørsmålet «samtale»: {dead_end}" in problems
    unreached = [line for line in problems if "ingen vei gjennom spørsmålene" in line]
    assert len(unreached) == 3
    assert UNREACHABLE.format(NAMES["alternativ-2"]) in unreached
    for cut_off in ("alternativ-2a", "alternativ-2b"):
        assert any(line.endswith(f"({cut_off}); hvert alternativ må kunne nås") for line in unreached)


def test_children_count_as_reached_with_their_parent(school):
    """A path to 2 reaches 2A and 2B too; a path to only 2A does not reach 2."""
    edit(
        school / "guide.yaml",
        "      - label: Ja, eleven har innrømmet bruk\n        procedure: alternativ-2a\n",
        "",
    )
    edit(
        school / "guide.yaml",
        "      - label: Nei, eleven benekter bruk\n        procedure: alternativ-2b\n",
        "",
    )
    assert load_plan(school).guide.question("samtale").answers[0].procedure == "alternativ-2"
    shutil.copy(CONTENT / "guide.yaml", school / "guide.yaml")
    edit(
        school / "guide.yaml",
        "      - label: Vi har ikke snakket med eleven ennå\n        procedure: alternativ-2\n",
        "",
    )
    assert problems_of(school) == [UNREACHABLE.format(NAMES["alternativ-2"])]


def test_an_answer_leads_to_exactly_one_place(school):
    """An answer with both a next question and a procedure is a shape error with the file and line."""
    edit(school / "guide.yaml", "        next: salg", "        next: salg\n        procedure: alternativ-4")
    with pytest.raises(ContentError) as caught:
        load_plan(school)
    [problem] = caught.value.problems
    assert problem.file == "guide.yaml" and caught.value.path.endswith("guide.yaml")
    assert problem.line is not None
    assert problem.message == (
        "svaret «Nei» i spørsmålet «ruset»: må ha enten neste spørsmål (next) eller "
        "alternativ (procedure), ikke begge og ikke ingen"
    )
    assert problem.line == 25  # the answer «Nei» of the first question


def test_question_ids_are_unique(school):
    """Two questions with one id would make one page unreachable: a clear error instead."""
    edit(school / "guide.yaml", "  - id: salg", "  - id: hjelp")
    with pytest.raises(ContentError) as caught:
        load_plan(school)
    assert "hvert spørsmål må ha en unik id («hjelp» står mer enn én gang)" in str(caught.value)


def tree(*questions: dict, start: str = "a") -> Guide:
    return Guide.model_validate({"start": start, "questions": list(questions)})


def test_check_guide_reads_only_id_urgent_and_parent():
    """Any procedure objects with .id, .urgent and .parent will do; nothing Halden-specific."""
    procedures = [
        ProcedureRef("x", True, None),
        ProcedureRef("y", False, None),
        ProcedureRef("y1", False, "y"),
    ]
    guide = tree(
        {
            "id": "a",
            "text": "A?",
            "answers": [{"label": "Ja", "procedure": "x"}, {"label": "Nei", "next": "b"}],
        },
        {"id": "b", "text": "B?", "answers": [{"label": "Ja", "procedure": "y"}]},
    )
    assert check_guide(guide, procedures) == []
    loop = tree(
        {
            "id": "a",
            "text": "A?",
            "answers": [{"label": "Ja", "procedure": "x"}, {"label": "Nei", "next": "b"}],
        },
        {
            "id": "b",
            "text": "B?",
            "answers": [{"label": "Ja", "procedure": "y"}, {"label": "Nei", "next": "b"}],
        },
    )
    assert check_guide(loop, procedures) == [
        "guide.yaml: spørsmålene går i ring: «b» → «b» (hver vei må ende i et alternativ)"
    ]
    orphan = tree(
        {
            "id": "a",
            "text": "A?",
            "answers": [{"label": "Ja", "procedure": "x"}, {"label": "Nei", "procedure": "y"}],
        },
        {"id": "c", "text": "C?", "answers": [{"label": "Ja", "procedure": "y"}]},
    )
    assert check_guide(orphan, procedures) == [
        "guide.yaml: spørsmålet «c»: ingen svar leder hit fra det første spørsmålet («a»)"
    ]


def test_a_long_chain_of_questions_is_checked_without_recursion():
    """A file of a few thousand chained questions (well under the size limit) is checked, not crashed."""
    count = 3000
    questions = [
        {"id": f"q{n}", "text": "?", "answers": [{"label": "Videre", "next": f"q{n + 1}"}]}
        for n in range(count)
    ]
    questions.append({"id": f"q{count}", "text": "?", "answers": [{"label": "Ferdig", "procedure": "x"}]})
    guide = tree(*questions, start="q0")
    assert check_guide(guide, [ProcedureRef("x", False, None)]) == []
    from backend.services import guide as walk

    assert walk.longest_path(guide) == count + 1


def test_the_schools_guide_passes_its_own_check():
    """Halden's guide.yaml fits Halden's procedures, and is written in the shape the spec gives."""
    plan = load_plan(CONTENT)
    assert check_guide(plan.guide, plan_procedures(plan)) == []
    data = yaml.safe_load((CONTENT / "guide.yaml").read_text(encoding="utf-8"))
    assert set(data) == {"start", "questions"}
    assert all(
        set(a) in ({"label", "next"}, {"label", "procedure"}) for q in data["questions"] for a in q["answers"]
    )

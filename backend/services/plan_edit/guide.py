"""Edits of the guided questions (guide.yaml in the draft): questions, their answers and where each leads.

Every change is checked as a whole tree with check_guide before it is saved (every path ends in a
procedure, no circles, every procedure reachable, urgent answers first), and refused with those
problems in words; a broken tree is never saved. An answer's target is written `sporsmal:<id>` (the
next question) or `alternativ:<id>` (a procedure), as the edit form's choices carry it.
"""

from __future__ import annotations

from flask_babel import gettext as _

from backend.content.guide_schema import GUIDE_FILE, Guide, ProcedureRef, check_guide
from backend.services.draft import DraftError, InvalidPlan
from backend.services.plan_edit import check_fingerprint, slugify

QUESTION = "sporsmal"
PROCEDURE = "alternativ"


def questions(data: dict) -> list[dict]:
    """Return the guided questions of plan data in content order."""
    return data["guide"]["questions"]


def find_question(data: dict, question_id: str) -> dict:
    """Return a question by id; raise DraftError if it does not exist."""
    for question in questions(data):
        if question["id"] == question_id:
            return question
    raise DraftError(_("Fant ikke spørsmålet. Det kan være fjernet av en annen administrator."))


def target_of(answer: dict) -> str:
    """Return where an answer leads, as the form's choice value."""
    if answer.get("next"):
        return f"{QUESTION}:{answer['next']}"
    return f"{PROCEDURE}:{answer.get('procedure') or ''}"


def make_answer(label: str, target: str) -> dict:
    """Build an answer from its label and a target choice; raise DraftError for an unknown kind."""
    kind, _sep, ident = target.partition(":")
    if kind == QUESTION and ident:
        return {"label": label, "next": ident, "procedure": None}
    if kind == PROCEDURE and ident:
        return {"label": label, "next": None, "procedure": ident}
    raise DraftError(_("Velg hvor svaret «%(label)s» leder.", label=label))


def problems(data: dict) -> list[str]:
    """Return what is wrong with the draft's guided questions, one sentence each (none when it holds)."""
    try:
        guide = Guide.model_validate(data["guide"])
    except ValueError as error:  # a pydantic ValidationError is a ValueError
        return [str(error)]
    refs = [
        ProcedureRef(p["id"], bool(p.get("urgent")), p.get("parent"), p.get("label", ""), p.get("title", ""))
        for p in data["procedure_list"]["procedures"]
    ]
    found = check_guide(guide, refs)
    prefix = f"{GUIDE_FILE}: "
    return [line.removeprefix(prefix)[:1].upper() + line.removeprefix(prefix)[1:] for line in found]


def check(data: dict) -> None:
    """Refuse a change that leaves the guided questions broken, naming every problem."""
    found = problems(data)
    if found:
        raise InvalidPlan(found)


def save_question(data: dict, question_id: str, fields: dict, *, expected: str | None = None) -> None:
    """Change a question's text, help and answers (in the given order), then check the whole tree."""
    question = find_question(data, question_id)
    check_fingerprint(question, expected)
    question.update(fields)
    check(data)


def answer_choices(data: dict) -> list[tuple[str, str]]:
    """Return every answer as (`<id>:<index>`, «question» → «answer»), to pick the one leading here."""
    return [
        (f"{question['id']}:{index}", f"{question['text']} → {answer['label']}")
        for question in questions(data)
        for index, answer in enumerate(question["answers"])
    ]


def add_question(data: dict, fields: dict, *, via: str) -> str:
    """Add a question after an existing answer: that answer now leads to it. Return the new id."""
    question_id, _sep, index = via.partition(":")
    before = find_question(data, question_id)
    try:
        answer = before["answers"][int(index)]
    except (ValueError, IndexError) as error:
        raise DraftError(_("Velg svaret som skal lede til det nye spørsmålet.")) from error
    taken = {q["id"] for q in questions(data)}
    new_id = slugify(fields["text"][:40], taken, "sporsmal")
    questions(data).insert(questions(data).index(before) + 1, {"id": new_id, **fields})
    answer.update({"next": new_id, "procedure": None})
    check(data)
    return new_id


def question_blockers(data: dict, question_id: str) -> list[str]:
    """Say what must change before a question can be removed: the start, and answers that lead to it."""
    find_question(data, question_id)
    blockers = []
    if data["guide"]["start"] == question_id:
        blockers.append(_("Dette er det første spørsmålet. Velg et annet første spørsmål først."))
    for question in questions(data):
        for answer in question["answers"]:
            if answer.get("next") == question_id:
                blockers.append(
                    _(
                        "Svaret «%(answer)s» på «%(question)s» leder hit. Endre det først.",
                        answer=answer["label"],
                        question=question["text"],
                    )
                )
    return blockers


def remove_question(data: dict, question_id: str, *, expected: str | None = None) -> None:
    """Remove a question nothing leads to any more, then check the whole tree."""
    question = find_question(data, question_id)
    check_fingerprint(question, expected)
    blockers = question_blockers(data, question_id)
    if blockers:
        raise InvalidPlan(blockers)
    questions(data).remove(question)
    check(data)


def set_start(data: dict, question_id: str) -> None:
    """Make another question the first one, then check the whole tree."""
    find_question(data, question_id)
    data["guide"]["start"] = question_id
    check(data)

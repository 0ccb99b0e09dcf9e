"""The guided questions as content (guide.yaml): a small decision tree that ends in the plan's procedures.

Each question has answers; an answer leads either to the next question or to one of the plan's
procedures. `check_guide` holds the tree to the rules a person in a hurry relies on: every path ends in
a procedure, nothing goes in a circle, every procedure can be reached, and answers that lead to an urgent
procedure come first. Its problems are plain Norwegian sentences naming the file, the question and the
answer, so a school can fix its file without reading code. They go through gettext, so they are
written in the language in force (errors.py says which).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

GUIDE_FILE = "guide.yaml"
# The same rule as the plan's other ids (schema.SLUG_RE): an id becomes part of an address.
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class _Content(BaseModel):
    """Like schema.Strict (kept apart so schema.py can import this module): unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


def _check_slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError(_("må være små bokstaver a–z, tall og bindestrek (for eksempel «ruset»)"))
    return value


class Answer(_Content):
    """One answer on a question page: it leads to the next question or to a procedure."""

    label: str = Field(min_length=1)
    next: str | None = None  # id of the next question
    procedure: str | None = None  # id of the procedure it leads to

    @model_validator(mode="after")
    def _leads_somewhere(self) -> Answer:
        if bool(self.next) == bool(self.procedure):
            raise ValueError(
                _("må ha enten neste spørsmål (next) eller alternativ (procedure), ikke begge og ikke ingen")
            )
        return self


class Question(_Content):
    """One page of the guided questions."""

    id: str
    text: str = Field(min_length=1)
    help: str | None = None  # one sentence under the question
    # Empty is allowed here so that check_guide can name it as a dead end in words.
    answers: list[Answer] = Field(default_factory=list)

    _slug = field_validator("id")(_check_slug)


class Guide(_Content):
    """The guided questions (guide.yaml): where they start, and the questions in content order."""

    start: str  # id of the first question
    questions: list[Question] = Field(min_length=1)

    @model_validator(mode="after")
    def _ids_unique(self) -> Guide:
        ids = [q.id for q in self.questions]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(
                _("hvert spørsmål må ha en unik id («%(ids)s» står mer enn én gang)", ids="», «".join(twice))
            )
        return self

    def question(self, question_id: str) -> Question | None:
        """Return the question with this id, or None."""
        return next((q for q in self.questions if q.id == question_id), None)


class Procedure(Protocol):
    """What the guide needs to know of a procedure of the plan."""

    id: str
    urgent: bool
    parent: str | None


@dataclass(frozen=True)
class ProcedureRef:
    """A procedure as the guide sees it: its id, urgency and parent, and the words a school knows it by."""

    id: str
    urgent: bool
    parent: str | None
    label: str = ""  # "Alternativ 1"
    title: str = ""  # "eleven ber om hjelp med sitt rusproblem"


def plan_procedures(plan: Any) -> list[ProcedureRef]:
    """Return the plan's procedures in content order, as the guide sees them."""
    return [ProcedureRef(p.id, p.urgent, p.parent, p.label, p.title) for p in plan.procedures()]


def procedure_name(procedure: Procedure) -> str:
    """Name a procedure as the school wrote it, «Alternativ 1: eleven ber om hjelp», with its id after.

    A school leader reading an error knows the procedure by its label and title, not by the id in the
    file; the id follows in parentheses so the line in guide.yaml can still be found.
    """
    label = getattr(procedure, "label", "") or ""
    title = getattr(procedure, "title", "") or ""
    words = f"{label}: {title}" if label and title else (label or title)
    return f"«{words}» ({procedure.id})" if words else f"«{procedure.id}»"


def _at(question: Question, answer: Answer | None = None) -> str:
    if answer:
        return _(
            "%(file)s: spørsmålet «%(question)s», svaret «%(answer)s»",
            file=GUIDE_FILE,
            question=question.id,
            answer=answer.label,
        )
    return _("%(file)s: spørsmålet «%(question)s»", file=GUIDE_FILE, question=question.id)


def check_guide(guide: Guide, procedures: list[Procedure]) -> list[str]:
    """Return what is wrong with the guided questions against the plan's procedures, one sentence each."""
    by_id = {p.id: p for p in procedures}
    questions = {q.id: q for q in guide.questions}
    problems = []
    if guide.start not in questions:
        problems.append(
            _(
                "%(file)s: første spørsmål (start) «%(start)s» finnes ikke blant spørsmålene",
                file=GUIDE_FILE,
                start=guide.start,
            )
        )
    for question in guide.questions:
        if not question.answers:
            problems.append(
                _(
                    "%(where)s: har ingen svar, så veien stopper her (hvert spørsmål må lede videre)",
                    where=_at(question),
                )
            )
        for answer in question.answers:
            if answer.next and answer.next not in questions:
                problems.append(
                    _(
                        "%(where)s: neste spørsmål (next) «%(next)s» finnes ikke",
                        where=_at(question, answer),
                        next=answer.next,
                    )
                )
            if answer.procedure and answer.procedure not in by_id:
                problems.append(
                    _(
                        "%(where)s: alternativet (procedure) «%(procedure)s» finnes ikke",
                        where=_at(question, answer),
                        procedure=answer.procedure,
                    )
                )
        problems += _urgent_after_others(question, by_id)
    problems += _cycles(guide, questions)
    if guide.start in questions:
        problems += _unreached(guide, questions, procedures)
    return problems


def _urgent_after_others(question: Question, by_id: dict[str, Procedure]) -> list[str]:
    """Answers to an urgent procedure must come first, so a person in a hurry taps the top one."""
    problems, calm = [], None
    for answer in question.answers:
        target = by_id.get(answer.procedure or "")
        if target is not None and target.urgent:
            if calm is not None:
                urgent_first = _(
                    "%(where)s: leder til et akutt alternativ, %(procedure)s, "
                    "og må stå før svaret «%(answer)s»",
                    where=_at(question, answer),
                    procedure=procedure_name(target),
                    answer=calm.label,
                )
                problems.append(urgent_first)
        elif calm is None:
            calm = answer
    return problems


def _cycles(guide: Guide, questions: dict[str, Question]) -> list[str]:
    """Name each circle of questions once (a walk without recursion: a long file cannot overflow it)."""
    problems: list[str] = []
    state: dict[str, str] = {}  # "open" while on the current path, "done" once everything after it is
    for root in guide.questions:
        if root.id in state:
            continue
        path, stack = [root.id], [_next_ids(root)]
        state[root.id] = "open"
        while stack:
            following = next(stack[-1], None)
            if following is None:
                state[path.pop()] = "done"
                stack.pop()
            elif state.get(following) == "open":
                circle = [*path[path.index(following) :], following]
                problems.append(
                    _(
                        "%(file)s: spørsmålene går i ring: %(circle)s (hver vei må ende i et alternativ)",
                        file=GUIDE_FILE,
                        circle=" → ".join(f"«{q}»" for q in circle),
                    )
                )
            elif following in questions and following not in state:
                state[following] = "open"
                path.append(following)
                stack.append(_next_ids(questions[following]))
    return problems


def _next_ids(question: Question) -> Iterator[str]:
    return iter([a.next for a in question.answers if a.next])


def _unreached(guide: Guide, questions: dict[str, Question], procedures: list[Procedure]) -> list[str]:
    """Questions no answer leads to, and procedures no path reaches (a child counts when its parent does)."""
    seen: set[str] = set()
    reached: set[str] = set()
    queue = [guide.start]
    while queue:
        question_id = queue.pop()
        if question_id in seen or question_id not in questions:
            continue
        seen.add(question_id)
        for answer in questions[question_id].answers:
            if answer.next:
                queue.append(answer.next)
            elif answer.procedure:
                reached.add(answer.procedure)
    parents = {p.id: p.parent for p in procedures}

    def is_reached(procedure_id: str | None) -> bool:
        hops = 0
        while procedure_id is not None and hops <= len(parents):  # a parent loop is not the guide's error
            if procedure_id in reached:
                return True
            procedure_id, hops = parents.get(procedure_id), hops + 1
        return False

    problems = [
        _(
            "%(where)s: ingen svar leder hit fra det første spørsmålet («%(start)s»)",
            where=_at(question),
            start=guide.start,
        )
        for question in guide.questions
        if question.id not in seen
    ]
    problems += [
        _(
            "%(file)s: ingen vei gjennom spørsmålene leder til alternativet %(procedure)s; "
            "hvert alternativ må kunne nås",
            file=GUIDE_FILE,
            procedure=procedure_name(p),
        )
        for p in procedures
        if not is_reached(p.id)
    ]
    return problems

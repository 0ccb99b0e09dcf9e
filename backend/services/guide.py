"""The guided choice of "Hva gjør vi?": the school's questions (guide.yaml) walked for the question pages.

The questions are content (backend/content/guide_schema.py, checked when the plan is loaded); this
module only walks them: the question before one, how far in it is, the longest way to a procedure, and
where each answer leads. Answers to urgent procedures come first, so a teacher with an intoxicated
student in front of them gets the call chain after one answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.content.guide_schema import Answer, Guide, Question, plan_procedures
from backend.content.schema import Plan


@dataclass(frozen=True)
class Choice:
    """One answer as its question page shows it: the procedure it leads to (None: the next question)."""

    answer: Answer
    procedure: Any | None
    urgent: bool


def question(guide: Guide, question_id: str) -> Question | None:
    """Return the question with this id, or None."""
    return guide.question(question_id)


def previous(guide: Guide, question_id: str) -> Question | None:
    """Return the (first) question whose answer leads here, or None for the first question."""
    return next((q for q in guide.questions if any(a.next == question_id for a in q.answers)), None)


def position(guide: Guide, question_id: str) -> int:
    """Return how many questions lead here by the back links, counting this one (1 for the first)."""
    steps, before = 1, previous(guide, question_id)
    while before is not None and steps <= len(guide.questions):  # a checked guide has no circle; never hang
        steps += 1
        before = previous(guide, before.id)
    return steps


def longest_path(guide: Guide) -> int:
    """Return the most questions anyone answers before reaching a procedure."""
    questions = {q.id: q for q in guide.questions}
    most: dict[str, int] = {}  # questions from here to a procedure, counting this one
    open_: set[str] = set()
    stack = [(guide.start, False)]
    while stack:  # depth first without recursion, so a long chain of questions cannot overflow it
        question_id, expanded = stack.pop()
        if question_id in most or question_id not in questions:
            continue
        following = [a.next for a in questions[question_id].answers if a.next in questions]
        if expanded:
            most[question_id] = 1 + max((most.get(n, 0) for n in following), default=0)
        elif question_id not in open_:
            open_.add(question_id)
            stack.append((question_id, True))
            stack += [(n, False) for n in following]
    return most.get(guide.start, 0)


def paths(guide: Guide) -> dict[str, list[tuple[str, str]]]:
    """Return, for each procedure, the (question id, answer label) pairs of the shortest way to it."""
    found: dict[str, list[tuple[str, str]]] = {}
    trails = {guide.start: []}
    queue = [guide.start]
    for question_id in queue:  # breadth first: the queue grows while it is read
        current = guide.question(question_id)
        if current is None:
            continue
        for answer in current.answers:
            step = [*trails[question_id], (current.id, answer.label)]
            if answer.procedure:
                found.setdefault(answer.procedure, step)
            elif answer.next and answer.next not in trails:
                trails[answer.next] = step
                queue.append(answer.next)
    return found


def choices(plan: Plan, current: Question) -> list[Choice]:
    """Return the answers of a question with the plan's procedure each leads to and whether it is urgent."""
    urgent = {p.id for p in plan_procedures(plan) if p.urgent}
    return [
        Choice(
            answer,
            _procedure(plan, answer.procedure) if answer.procedure else None,
            answer.procedure in urgent,
        )
        for answer in current.answers
    ]


def _procedure(plan: Plan, procedure_id: str) -> Any | None:
    """Return the plan's procedure with this id (today's model calls them alternatives)."""
    return plan.procedure(procedure_id)

"""The guided choice of "Hva gjør vi?": a few plain questions that lead to one of the plan's alternatives.

The questions are the app's own words, not the plan's; each answer leads either to the next
question or to an alternative of the plan. Emergencies come first, so a teacher with an intoxicated
student in front of them gets the call chain after one answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.content.schema import Plan


@dataclass(frozen=True)
class Answer:
    """One choice on a question page: it leads to a question or to an alternative."""

    label: str
    question: str | None = None  # id of the next question
    alternative: str | None = None  # id of the alternative it leads to
    urgent: bool = False


@dataclass(frozen=True)
class Question:
    """One page of the guided choice."""

    id: str
    text: str
    hint: str
    answers: tuple[Answer, ...]


QUESTIONS: tuple[Question, ...] = (
    Question(
        id="ruset",
        text="Er eleven ruset på skolen nå?",
        hint="Alternativ 3 i planen: eleven opptrer ruset på skolen.",
        answers=(
            Answer("Ja, eleven er ruset nå", alternative="alternativ-3", urgent=True),
            Answer("Nei", question="salg"),
        ),
    ),
    Question(
        id="salg",
        text="Gjelder det salg eller oppbevaring av rusmidler på skolen?",
        hint="Alternativ 4 i planen: bekymring for omsetning/oppbevaring av rusmidler på skolen. "
        "Det er nok at du er bekymret.",
        answers=(
            Answer("Ja, salg eller oppbevaring", alternative="alternativ-4", urgent=True),
            Answer("Nei", question="hjelp"),
        ),
    ),
    Question(
        id="hjelp",
        text="Har eleven selv bedt om hjelp med et rusproblem?",
        hint="Alternativ 1 i planen: eleven ber om hjelp med sitt rusproblem.",
        answers=(
            Answer("Ja, eleven ber om hjelp", alternative="alternativ-1"),
            Answer("Nei, det er noen andre som er bekymret", question="samtale"),
        ),
    ),
    Question(
        id="samtale",
        text="Har eleven innrømmet bruk av rusmidler etter samtalen?",
        hint="Alternativ 2 i planen: når noen er bekymret, snakker dere først med eleven om bekymringen.",
        answers=(
            Answer("Vi har ikke snakket med eleven ennå", alternative="alternativ-2"),
            Answer("Ja, eleven har innrømmet bruk", alternative="alternativ-2a"),
            Answer("Nei, eleven benekter bruk", alternative="alternativ-2b"),
        ),
    ),
)

FIRST_QUESTION = QUESTIONS[0].id


def question(question_id: str) -> Question | None:
    """Return the question with this id, or None."""
    return next((q for q in QUESTIONS if q.id == question_id), None)


def previous(question_id: str) -> Question | None:
    """Return the question whose answer leads here, or None for the first question."""
    return next((q for q in QUESTIONS if any(a.question == question_id for a in q.answers)), None)


def position(question_id: str) -> int:
    """Return how many questions it takes to reach this one, counting it (1 for the first)."""
    steps = 1
    before = previous(question_id)
    while before is not None:
        steps += 1
        before = previous(before.id)
    return steps


def longest_path() -> int:
    """Return the most questions anyone answers before reaching an alternative."""
    return max(position(q.id) for q in QUESTIONS)


def paths() -> dict[str, list[tuple[str, str]]]:
    """Return, for each alternative, the (question id, answer label) pairs that lead to it."""
    found: dict[str, list[tuple[str, str]]] = {}

    def walk(question_id: str, trail: list[tuple[str, str]]) -> None:
        current = question(question_id)
        assert current is not None, f"unknown question {question_id}"
        for answer in current.answers:
            step = [*trail, (current.id, answer.label)]
            if answer.alternative:
                found[answer.alternative] = step
            else:
                walk(answer.question, step)

    walk(FIRST_QUESTION, [])
    return found


def check(plan: Plan) -> list[str]:
    """Return the problems of the questions against a plan: unknown targets, answers that lead nowhere."""
    problems = []
    ids = {q.id for q in QUESTIONS}
    for current in QUESTIONS:
        for answer in current.answers:
            if bool(answer.question) == bool(answer.alternative):
                problems.append(f"{current.id}: «{answer.label}» must lead to a question or an alternative")
            elif answer.question and answer.question not in ids:
                problems.append(f"{current.id}: unknown question {answer.question}")
            elif answer.alternative and plan.alternative(answer.alternative) is None:
                problems.append(f"{current.id}: unknown alternative {answer.alternative}")
    return problems

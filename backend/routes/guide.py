"""The guided choice ("Hva gjør vi?"): one plain question per page, plain links, works offline."""

from __future__ import annotations

from flask import Blueprint, abort, url_for

from backend.content.schema import Plan
from backend.routes.public import current_plan, render_page
from backend.services import guide

bp = Blueprint("guide", __name__, url_prefix="/hva-gjor-vi/sporsmal")


@bp.app_template_global("guide_start_url")
def start_url() -> str:
    """Return the first question's URL, for the "answer the questions" links on other pages."""
    return url_for("guide.question", question_id=guide.FIRST_QUESTION)


def answer_url(plan: Plan, answer: guide.Answer) -> str:
    """Return where an answer leads: the next question, the emergency screen, or the alternative."""
    if answer.question:
        return url_for("guide.question", question_id=answer.question)
    found = plan.alternative(answer.alternative)
    if found is not None and found.emergency:
        return url_for("emergency.alternative", alternative_id=found.id)
    return url_for("public.alternative", alternative_id=answer.alternative)


@bp.get("/<question_id>")
def question(question_id: str):
    """Show one question of the guided choice, its answers as big links, and a way back."""
    found = guide.question(question_id)
    if found is None:
        abort(404)
    plan = current_plan().plan
    before = guide.previous(found.id)
    back = url_for("guide.question", question_id=before.id) if before else url_for("public.procedures")
    answers = [(answer, answer_url(plan, answer)) for answer in found.answers]
    return render_page(
        "guide/question.html",
        question=found,
        answers=answers,
        back=back,
        back_label="Forrige spørsmål" if before else plan.alternatives.title,
        number=guide.position(found.id),
        most=max(guide.position(q.id) for q in guide.QUESTIONS),
    )


def urls(plan: Plan) -> list[str]:
    """Return every question page (the offline list and the tests use it)."""
    return [url_for("guide.question", question_id=q.id) for q in guide.QUESTIONS]

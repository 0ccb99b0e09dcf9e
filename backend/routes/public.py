"""Public pages: the plan as a teacher or a student reads it. Nothing here needs a login."""

from __future__ import annotations

from flask import Blueprint, abort, make_response, render_template, url_for
from flask_babel import gettext as _

from backend.content.schema import Contact, Plan
from backend.routes.common import FIXED_INFO_PAGES, current_plan, info_pages, render_page
from backend.services import accounts, guide

bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    """Show the start page: checklist, what to do, emergencies, contacts, help for students."""
    return render_page("public/home.html")


@bp.get("/sjekkliste")
def checklist():
    """Show the concern checklist."""
    return render_page("public/checklist.html")


@bp.get("/hva-gjor-vi")
def procedures():
    """List the plan's procedures."""
    return render_page("public/procedures.html")


@bp.get("/hva-gjor-vi/<alternative_id>")
def alternative(alternative_id: str):
    """Show one procedure: its steps, who does them, and the meeting."""
    found = current_plan().plan.procedure(alternative_id)
    if found is None:
        abort(404)
    return render_page("public/alternative.html", alternative=found)


@bp.get("/hva-gjor-vi/sporsmal/<question_id>")
def question(question_id: str):
    """Show one question of the guided choice, its answers as big links, and a way back."""
    plan = current_plan().plan
    found = guide.question(plan.guide, question_id)
    if found is None:
        abort(404)
    before = guide.previous(plan.guide, found.id)
    back = url_for("public.question", question_id=before.id) if before else url_for("public.procedures")
    return render_page(
        "guide/question.html",
        question=found,
        answers=[(choice, _answer_url(choice)) for choice in guide.choices(plan, found)],
        back=back,
        back_label=_("Forrige spørsmål") if before else plan.procedure_list.title,
        number=guide.position(plan.guide, found.id),
        most=guide.longest_path(plan.guide),
    )


def _answer_url(choice: guide.Choice) -> str:
    """Return where an answer leads: the next question, the emergency screen, or the procedure."""
    if choice.answer.next:
        return url_for("public.question", question_id=choice.answer.next)
    if choice.urgent:
        return url_for("emergency.alternative", alternative_id=choice.answer.procedure)
    return url_for("public.alternative", alternative_id=choice.answer.procedure)


@bp.get("/kontakter")
def contacts():
    """List everyone in the plan's contact list, grouped as in the plan, each one tap to call."""
    return render_page("public/contacts.html")


def _find_contact(contact_id: str) -> Contact:
    contact = next((c for c in current_plan().plan.all_contacts() if c.id == contact_id), None)
    if contact is None:
        abort(404)
    return contact


@bp.get("/kontakter/<contact_id>.vcf")
def vcard(contact_id: str):
    """Return one person as a vCard to save on the phone."""
    found = _find_contact(contact_id)
    plan = current_plan().plan
    body = render_template("public/contact.vcf", contact=found, plan=plan).replace("\n", "\r\n")
    response = make_response(body)
    response.headers["Content-Type"] = "text/vcard; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{found.id}.vcf"'
    return response


@bp.get("/om-planen")
def info():
    """List the information pages of the plan."""
    return render_page("public/info.html", pages=info_pages(current_plan().plan))


@bp.get("/om-planen/<slug>")
def info_page(slug: str):
    """Show one information page of the plan: one of its prose sections, the laws, or the evaluation."""
    plan = current_plan().plan
    pages = info_pages(plan)
    if slug not in pages:
        abort(404)
    if slug not in FIXED_INFO_PAGES:
        section = plan.section(slug)
        return render_page("public/info/section.html", title=pages[slug], pages=pages, section=section)
    if slug == "evaluering":  # says so when the review date has passed: one cached copy per state
        due = current_plan().plan.meta.evaluation.next_revision_date
        late = due < accounts.now().date()
        return render_page(
            "public/info/evaluering.html",
            variant=("late" if late else "due",),
            title=pages[slug],
            pages=pages,
            review_late=late,
        )
    return render_page(f"public/info/{slug}.html", title=pages[slug], pages=pages)


@bp.get("/arshjul")
def annual_wheel():
    """Show the school year's preventive activities by month, when the plan has an annual wheel."""
    if current_plan().plan.annual_wheel is None:
        abort(404)
    return render_page("public/annual_wheel.html")


@bp.get("/finn-hjelp")
def find_help():
    """Tell a student who to talk to and what happens when they ask for help."""
    if current_plan().plan.student_section() is None:
        abort(404)
    return render_page("public/find_help.html")


def urls(plan: Plan) -> list[str]:
    """Return every public page of this blueprint for a plan (the offline list and the tests use it)."""
    pages = [
        url_for("public.home"),
        url_for("public.checklist"),
        url_for("public.procedures"),
        url_for("public.contacts"),
        url_for("public.info"),
    ]
    if plan.student_section() is not None:
        pages.append(url_for("public.find_help"))
    pages += [url_for("public.question", question_id=q.id) for q in plan.guide.questions]
    pages += [url_for("public.alternative", alternative_id=a.id) for a in plan.procedures()]
    pages += [url_for("public.info_page", slug=slug) for slug in info_pages(plan)]
    if plan.annual_wheel is not None:
        pages.append(url_for("public.annual_wheel"))
    return pages


def downloads(plan: Plan) -> list[str]:
    """Return the public files that are not pages (vCards), for the offline list."""
    return [url_for("public.vcard", contact_id=c.id) for c in plan.all_contacts()]

"""Admin: the plan's text in the draft: checklist, alternatives, steps, sections, links, dates, statements."""

from __future__ import annotations

from datetime import date

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice

from backend.content.schema import OWN_PAGE_SECTIONS, STUDENT_SECTION, default_agenda_intro
from backend.forms import (
    AlternativeForm,
    ChecklistForm,
    DatesForm,
    DeleteForm,
    EmptyForm,
    LinksForm,
    SectionForm,
    StatementsForm,
    StepForm,
)
from backend.routes.admin import (
    bp,
    draft_data,
    edit,
    fragment,
    invalid,
    move,
    remove_after_confirm,
    today,
)
from backend.services import draft as drafts
from backend.services import markdown, plan_edit
from backend.services.language import school_locale
from backend.services.plan_edit import fingerprint
from backend.services.plan_edit import procedures as procedure_edit

# What the sections with a page of their own are, under their titles in the list of texts.
SECTION_TITLES = {
    STUDENT_SECTION: _l("Finn hjelp (for elever)"),
    "tilgjengelighet": _l("Tilgjengelighetserklæringen"),
    "personvern": _l("Personvernerklæringen"),
}


def school_agenda_intro() -> str:
    """The default words before an agenda: plan content, so in the school's language on /en/ pages too."""
    with school_locale():
        return default_agenda_intro()


def _section_slugs() -> list[str]:
    return [s["slug"] for s in draft_data()["sections"]]


# --- Checklist ------------------------------------------------------------------------------------


@bp.route("/sjekkliste", methods=["GET", "POST"])
def checklist():
    """Change the first checklist: heading, quote and the signs, one per line."""
    current = draft_data()["checklist_list"]["checklists"][0]
    form = ChecklistForm()
    if request.method == "GET":
        form.title.data = current["title"]
        form.quote.data = current["quote"]
        form.signs.data = "\n".join(current["signs"])
        form.base.data = fingerprint(current)
    if not form.validate_on_submit():
        if request.method == "POST":
            return invalid("admin/checklist_form.html", form)
        return render_template("admin/checklist_form.html", form=form)
    signs = plan_edit.lines(form.signs.data)
    if not signs:
        form.signs.errors = [_("Skriv minst ett tegn.")]
        return invalid("admin/checklist_form.html", form)
    fields = {"title": form.title.data, "quote": form.quote.data, "signs": signs}
    expected = form.base.data or None

    def change(plan: dict) -> None:
        target = plan["checklist_list"]["checklists"][0]
        plan_edit.check_fingerprint(target, expected)
        target.update(fields)

    return edit(
        form,
        "admin/checklist_form.html",
        change,
        url_for("admin.index"),
        _("Sjekklisten er lagret i utkastet."),
    )


# --- Alternatives and steps -----------------------------------------------------------------------


@bp.get("/alternativer")
def alternatives():
    """List the alternatives to edit."""
    return render_template("admin/alternatives.html", data=draft_data())


def _alternative_or_404(data: dict, alternative_id: str) -> dict:
    try:
        return plan_edit.find_alternative(data, alternative_id)
    except drafts.DraftError:
        abort(404)


def _none_if_empty(value: str | None) -> str | None:
    return value if value else None


@bp.route("/alternativer/<alternative_id>", methods=["GET", "POST"])
def alternative(alternative_id: str):
    """Edit an alternative: its texts, its steps (in order) and the meeting's agenda."""
    data = draft_data()
    found = _alternative_or_404(data, alternative_id)
    meeting = found.get("meeting")
    form = AlternativeForm()
    form.fill_choices(data, alternative_id)
    if request.method == "GET":
        form.label.data = found["label"]
        form.short.data = found["short"]
        form.urgent.data = bool(found.get("urgent"))
        form.parent.data = found.get("parent") or ""
        form.services.data = list(found.get("services") or [])
        form.title.data = found["title"]
        form.intro.data = found.get("intro") or ""
        form.after_steps.data = found.get("after_steps") or ""
        if meeting:
            form.meeting_text.data = meeting["text"]
            form.agenda_intro.data = meeting["agenda_intro"]
            form.agenda.data = "\n".join(meeting["agenda"])
        form.base.data = plan_edit.alternative_fingerprint(found)
    context = {"alternative": found, "actions": EmptyForm()}
    if not form.validate_on_submit():
        if request.method == "POST":
            return invalid("admin/alternative.html", form, **context)
        return render_template("admin/alternative.html", form=form, **context)
    fields: dict = form.procedure_fields()
    if meeting:
        agenda = plan_edit.lines(form.agenda.data)
        problems = False
        if not agenda:
            form.agenda.errors = [_("Møtet må ha minst ett punkt på agendaen.")]
            problems = True
        if not form.meeting_text.data:
            form.meeting_text.errors = [_("Skriv hvem som kaller inn og hvem som deltar.")]
            problems = True
        if problems:
            return invalid("admin/alternative.html", form, **context)
        fields["meeting"] = {
            "text": form.meeting_text.data,
            "agenda_intro": form.agenda_intro.data or school_agenda_intro(),
            "agenda": agenda,
        }
    expected = form.base.data or None
    return edit(
        form,
        "admin/alternative.html",
        lambda plan: procedure_edit.save_procedure(plan, alternative_id, fields, expected=expected),
        url_for("admin.alternative", alternative_id=alternative_id),
        _("Endringene er lagret i utkastet."),
        **context,
    )


def _role_choices(data: dict) -> list[SelectChoice]:
    """The plan's roles, for «Hvem gjør det»."""
    return [SelectChoice(r["id"], r["label"]) for r in data["roles"]]


def _step_fields(form: StepForm) -> dict:
    return {
        "text": form.text.data,
        "role": form.role.data,
        "audience": form.audience.data,
        "heading": _none_if_empty(form.heading.data),
    }


@bp.route("/alternativer/<alternative_id>/steg/ny", methods=["GET", "POST"])
def step_new(alternative_id: str):
    """Add a step at the end of an alternative."""
    data = draft_data()
    found = _alternative_or_404(data, alternative_id)
    form = StepForm()
    form.role.choices = _role_choices(data)
    context = {"alternative": found, "step": None}
    if not form.validate_on_submit():
        if request.method == "POST":
            return invalid("admin/step_form.html", form, **context)
        return render_template("admin/step_form.html", form=form, **context)
    fields = _step_fields(form)
    return edit(
        form,
        "admin/step_form.html",
        lambda plan: plan_edit.save_step(plan, alternative_id, None, fields),
        url_for("admin.alternative", alternative_id=alternative_id),
        _("Steget er lagt til i utkastet."),
        **context,
    )


@bp.route("/alternativer/<alternative_id>/steg/<step_id>", methods=["GET", "POST"])
def step_edit(alternative_id: str, step_id: str):
    """Change one step: what is done, by whom, for which students."""
    data = draft_data()
    found = _alternative_or_404(data, alternative_id)
    try:
        _index, step = plan_edit.find_step(found, step_id)
    except drafts.DraftError:
        abort(404)
    form = StepForm(data=step if request.method == "GET" else None)
    form.role.choices = _role_choices(data)
    if request.method == "GET":
        form.heading.data = step.get("heading") or ""
        form.base.data = fingerprint(step)
    context = {"alternative": found, "step": step}
    if not form.validate_on_submit():
        if request.method == "POST":
            return invalid("admin/step_form.html", form, **context)
        return render_template("admin/step_form.html", form=form, **context)
    fields = _step_fields(form)
    expected = form.base.data or None
    return edit(
        form,
        "admin/step_form.html",
        lambda plan: plan_edit.save_step(plan, alternative_id, step_id, fields, expected=expected),
        url_for("admin.alternative", alternative_id=alternative_id) + fragment(f"steg-{step_id}"),
        _("Steget er lagret i utkastet."),
        **context,
    )


@bp.route("/alternativer/<alternative_id>/steg/<step_id>/slett", methods=["GET", "POST"])
def step_remove(alternative_id: str, step_id: str):
    """Ask before removing a step from an alternative, then remove it from the draft."""
    found = _alternative_or_404(draft_data(), alternative_id)
    try:
        _index, step = plan_edit.find_step(found, step_id)
    except drafts.DraftError:
        abort(404)
    form = DeleteForm()
    if request.method == "GET":
        form.base.data = fingerprint(step)
    expected = form.base.data or None
    back = url_for("admin.alternative", alternative_id=alternative_id)
    context = {
        "heading": _("Fjerne steget fra %(label)s?", label=found["label"]),
        "goes": [step["text"]],
        "blockers": [],
        "back": back + fragment(f"steg-{step_id}"),
    }
    return remove_after_confirm(
        form,
        context,
        lambda plan: plan_edit.remove_step(plan, alternative_id, step_id, expected=expected),
        back + "#steg",
        _("Steget er fjernet fra utkastet."),
    )


@bp.post("/alternativer/<alternative_id>/steg/<step_id>/flytt")
def step_move(alternative_id: str, step_id: str):
    """Move a step one place up or down."""
    return move(
        lambda plan, direction: plan_edit.move_step(plan, alternative_id, step_id, direction),
        url_for("admin.alternative", alternative_id=alternative_id) + fragment(f"steg-{step_id}"),
    )


# --- Sections, links, dates -----------------------------------------------------------------------


@bp.get("/tekster")
def sections():
    """List the information texts."""
    return render_template("admin/sections.html", data=draft_data(), titles=SECTION_TITLES)


@bp.route("/tekster/<slug>", methods=["GET", "POST"])
def section(slug: str):
    """Edit an information text in Markdown (its page title and English version too); shown sanitised."""
    if slug not in _section_slugs():
        abort(404)
    current = plan_edit.find_section(draft_data(), slug)
    form = SectionForm(data=current if request.method == "GET" else None)
    if request.method == "GET":
        form.base.data = fingerprint(current)
    # A page title only names a page under «Om planen»; the student page and the statements have their own.
    own_page = slug in OWN_PAGE_SECTIONS
    context = {"section": current, "name": SECTION_TITLES.get(slug, slug), "own_page": own_page}
    if not form.validate_on_submit():
        if request.method == "POST":
            return invalid("admin/section_form.html", form, **context)
        return render_template("admin/section_form.html", form=form, **context)
    # Empty means none: the page shows the title, and English visitors get the school's own text.
    fields = {"title": form.title.data, "body": form.body.data, "body_en": _none_if_empty(form.body_en.data)}
    if not own_page:
        fields["page_title"] = _none_if_empty(form.page_title.data)
    expected = form.base.data or None

    def change(plan: dict) -> None:
        target = plan_edit.find_section(plan, slug)
        plan_edit.check_fingerprint(target, expected)
        target.update(fields)

    return edit(
        form,
        "admin/section_form.html",
        change,
        url_for("admin.sections"),
        _("Teksten er lagret i utkastet."),
        **context,
    )


@bp.post("/tekster/<slug>/forhandsvis")
def section_preview(slug: str):
    """Show how the Markdown will look on the public page (sanitised), for htmx."""
    if slug not in _section_slugs():
        abort(404)
    body = request.form.get("body", "")[:50000].replace("\x00", "")
    return render_template("admin/_preview.html", html=markdown.render(body))


@bp.route("/lenker", methods=["GET", "POST"])
def links():
    """Edit the laws and useful links, one link a line as «Tittel | https://adresse»."""
    current = draft_data()["links"]
    form = LinksForm()
    laws_text = (
        request.form.get("laws", "") if request.method == "POST" else plan_edit.format_laws(current["laws"])
    )
    if request.method == "GET":
        form.useful.data = plan_edit.format_links(current["useful"])
        form.base.data = fingerprint(current)
    context = {"laws_text": laws_text, "laws_error": None}
    if not form.validate_on_submit():
        if request.method == "POST":
            return invalid("admin/links_form.html", form, **context)
        return render_template("admin/links_form.html", form=form, **context)
    if len(laws_text) > 20000 or "\x00" in laws_text:
        context["laws_error"] = _("Teksten er for lang eller inneholder ugyldige tegn.")
        return invalid("admin/links_form.html", form, **context)
    try:
        laws = plan_edit.parse_laws(laws_text)
    except drafts.DraftError as error:
        context["laws_error"] = str(error)
        return invalid("admin/links_form.html", form, **context)
    try:
        useful = plan_edit.parse_links(form.useful.data)
    except drafts.DraftError as error:
        form.useful.errors = [str(error)]
        return invalid("admin/links_form.html", form, **context)
    if not useful:
        form.useful.errors = [_("Skriv minst én lenke.")]
        return invalid("admin/links_form.html", form, **context)
    expected = form.base.data or None

    def change(plan: dict) -> None:
        plan_edit.check_fingerprint(plan["links"], expected)
        plan["links"] = {"laws": laws, "useful": useful}

    return edit(
        form,
        "admin/links_form.html",
        change,
        url_for("admin.index"),
        _("Lenkene er lagret i utkastet."),
        **context,
    )


@bp.route("/datoer", methods=["GET", "POST"])
def dates():
    """Edit the plan's version, school year and review dates."""
    meta = draft_data()["meta"]
    evaluation = meta["evaluation"]
    form = DatesForm()
    if request.method == "GET":
        form.school_year.data = meta["school_year"]
        form.version.data = evaluation["version"]
        form.version_date.data = date.fromisoformat(evaluation["version_date"])
        form.next_revision.data = evaluation["next_revision"]
        form.next_revision_date.data = date.fromisoformat(evaluation["next_revision_date"])
        form.responsible.data = evaluation["responsible"]
        form.base.data = fingerprint(meta)
    if not form.validate_on_submit():
        if request.method == "POST":
            return invalid("admin/dates_form.html", form)
        return render_template("admin/dates_form.html", form=form)
    if form.next_revision_date.data <= form.version_date.data:
        form.next_revision_date.errors = [_("Neste revisjon må komme etter versjonsdatoen.")]
        return invalid("admin/dates_form.html", form)
    values = {
        "version": form.version.data,
        "version_date": form.version_date.data.isoformat(),
        "next_revision": form.next_revision.data,
        "next_revision_date": form.next_revision_date.data.isoformat(),
        "responsible": form.responsible.data,
    }
    school_year = form.school_year.data
    expected = form.base.data or None

    def change(plan: dict) -> None:
        plan_edit.check_fingerprint(plan["meta"], expected)
        plan["meta"]["school_year"] = school_year
        plan["meta"]["evaluation"].update(values)

    return edit(
        form, "admin/dates_form.html", change, url_for("admin.index"), _("Datoene er lagret i utkastet.")
    )


@bp.route("/erklaeringer", methods=["GET", "POST"])
def statements():
    """Edit who answers for the accessibility and privacy statements, and when they were reviewed."""
    data = draft_data()
    current = data["statements"]
    form = StatementsForm()
    form.feedback_contact.choices = [
        SelectChoice(contact["id"], f"{contact['name']} ({contact['role']})")
        for contact in plan_edit.iter_contacts(data)
    ]
    if request.method == "GET":
        form.owner.data = current["owner"]
        form.feedback_contact.data = current["feedback_contact"]
        form.email.data = current.get("email") or ""
        form.accessibility_reviewed.data = date.fromisoformat(current["accessibility_reviewed"])
        form.privacy_reviewed.data = date.fromisoformat(current["privacy_reviewed"])
        form.base.data = fingerprint(current)
    if not form.validate_on_submit():
        if request.method == "POST":
            return invalid("admin/statements_form.html", form)
        return render_template("admin/statements_form.html", form=form)
    future = [field for field in (form.accessibility_reviewed, form.privacy_reviewed) if field.data > today()]
    for field in future:
        field.errors = [_("Datoen kan ikke være etter i dag: skriv når erklæringen faktisk ble gjennomgått.")]
    if future:
        return invalid("admin/statements_form.html", form)
    values = {
        "owner": form.owner.data,
        "feedback_contact": form.feedback_contact.data,
        "email": form.email.data or None,
        "accessibility_reviewed": form.accessibility_reviewed.data.isoformat(),
        "privacy_reviewed": form.privacy_reviewed.data.isoformat(),
    }
    expected = form.base.data or None

    def change(plan: dict) -> None:
        plan_edit.check_fingerprint(plan["statements"], expected)
        plan["statements"].update(values)

    return edit(
        form,
        "admin/statements_form.html",
        change,
        url_for("admin.index"),
        _("Erklæringene er lagret i utkastet."),
    )

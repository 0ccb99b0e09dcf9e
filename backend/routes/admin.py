"""Administration under /admin: edit the draft of the plan, publish it, see and restore revisions, users, log.

Every view needs an admin with two-factor login who typed the password recently (see before_request).
Edits go to the shared draft; nothing reaches the public site before "Publiser".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from urllib.parse import quote

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.routing import IntegerConverter
from wtforms import SelectChoice

from backend import auth
from backend.content.schema import SECTION_SLUGS
from backend.forms import (
    AlternativeForm,
    ChecklistForm,
    ContactForm,
    DatesForm,
    EmptyForm,
    GroupForm,
    InviteForm,
    LinksForm,
    PoliceForm,
    PublishForm,
    RestoreForm,
    RolesForm,
    SectionForm,
    StatementsForm,
    StepForm,
)
from backend.models import MAX_ID, User
from backend.services import accounts, audit, diff, markdown, notices, phones, plan_edit, qr
from backend.services import draft as drafts
from backend.services import plan as plan_service
from backend.services.plan_edit import EditConflict, fingerprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

SECTION_TITLES = {
    "innledning": "Innledning og mål",
    "forebygging": "Forebyggende tiltak",
    "taushetsplikt": "Taushetsplikt og opplysningsplikt",
    "dokumentasjon": "Dokumentasjon",
    "finn-hjelp": "Finn hjelp (for elever)",
}


class DatabaseId(IntegerConverter):
    """An id the id columns can hold: larger numbers are a 404, not a crash.

    See `backend.models.MAX_ID`: a larger number in the URL would make PostgreSQL raise «out of range»
    instead of finding nothing.
    """

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def _fragment(anchor: str) -> str:
    """A #fragment for a redirect: the id comes from the URL, so it is quoted (a CR/LF would break
    the Location header and give a 500)."""
    return "#" + quote(anchor, safe="-_")


@bp.record_once
def _register_converter(state) -> None:
    state.app.url_map.converters["dbid"] = DatabaseId


@bp.before_request
def _admins_only():
    """Admins with two-factor login only, and the password typed recently."""
    problem = auth.check_roles(("admin",))
    if problem is not None:
        return problem
    problem = auth.check_fresh()
    if problem is not None:
        return problem
    if plan_service.latest_revision() is None:
        return render_template("admin/no_plan.html"), 503
    return None


@bp.after_request
def _personal(response):
    """Admin pages are personal: never stored by a browser or a proxy."""
    response.headers["Cache-Control"] = "no-store"
    return response


def today() -> date:
    """Return today's date (tests replace accounts.now to move it)."""
    return accounts.now().date()


@bp.context_processor
def _admin_context():
    if plan_service.latest_revision() is None:
        return {"current_user": current_user, "plan": None, "draft": None, "review_overdue": False}
    current = drafts.current()
    evaluation = current.plan.meta.evaluation
    latest = drafts.revision(current.latest_revision_id)
    published_next = latest.data["meta"]["evaluation"]["next_revision_date"] if latest else None
    overdue = published_next is not None and date.fromisoformat(published_next) < today()
    return {
        "current_user": current_user,
        "plan": None,
        "draft": current,
        "review_overdue": overdue,
        "review_date": date.fromisoformat(published_next)
        if published_next
        else evaluation.next_revision_date,
        "actor_labels_all": diff.AUDIENCES,
    }


def actor() -> str:
    """Return who is making the change, as stored in revisions and the log."""
    return current_user.email


def edit(form, template: str, change: Callable[[dict], None], done: str, message: str, **context):
    """Apply a change to the draft; on bad input show the form again with the reason and save nothing."""
    try:
        drafts.update(change, actor=actor())
    except EditConflict as error:
        form.form_errors.append(str(error))
        return render_template(template, form=form, **context), 409
    except drafts.DraftError as error:
        form.form_errors.append(str(error))
        return render_template(template, form=form, **context), 422
    flash(message, "success")
    return redirect(done)


def invalid(template: str, form, **context):
    """Show a form again with its field errors (422)."""
    return render_template(template, form=form, **context), 422


def draft_data() -> dict:
    """Return the draft's data (or the published plan's, when there is no draft)."""
    return drafts.current().data


@bp.get("")
def index():
    """Start page of the administration: what can be edited and whether there is a draft to publish."""
    current = drafts.current()
    changes = diff.compare(drafts.revision(current.latest_revision_id).data, current.data)
    return render_template("admin/index.html", changes=changes)


# --- Contacts -------------------------------------------------------------------------------------


@bp.get("/kontakter")
def contacts():
    """List the contacts of the draft by group, with edit and move buttons."""
    return render_template("admin/contacts.html", data=draft_data(), form=EmptyForm())


def _group_choices(data: dict) -> list[SelectChoice]:
    groups = [SelectChoice(g["id"], g["title"]) for g in data["contacts"]["groups"]]
    return [*groups, SelectChoice("ny", "Ny gruppe …")]


def _contact_fields(form: ContactForm) -> dict:
    return {
        "name": form.name.data,
        "role": form.role.data,
        "phone": form.phone.data,
        "drug_responsible": bool(form.drug_responsible.data),
        "leadership": bool(form.leadership.data),
    }


@bp.route("/kontakter/ny", methods=["GET", "POST"])
def contact_new():
    """Add a person to the contact list."""
    data = draft_data()
    form = ContactForm()
    form.group.choices = _group_choices(data)
    if request.method == "GET":
        form.group.data = request.args.get("gruppe") or data["contacts"]["groups"][-1]["id"]
    context = {"contact": None}
    if not form.validate_on_submit():
        return render_template("admin/contact_form.html", form=form, **context), (
            422 if request.method == "POST" else 200
        )
    fields = _contact_fields(form)

    def change(plan: dict) -> None:
        plan_edit.save_contact(
            plan, None, fields, group_id=form.group.data, new_group_title=form.new_group.data
        )

    return edit(
        form,
        "admin/contact_form.html",
        change,
        url_for("admin.contacts"),
        f"{fields['name']} er lagt til i utkastet.",
        **context,
    )


@bp.route("/kontakter/<contact_id>", methods=["GET", "POST"])
def contact_edit(contact_id: str):
    """Change a person's name, role, number, group or marks."""
    data = draft_data()
    try:
        group, _index, contact = plan_edit.find_contact(data, contact_id)
    except drafts.DraftError:
        abort(404)
    form = ContactForm(data=contact if request.method == "GET" else None)
    form.group.choices = _group_choices(data)
    if request.method == "GET":
        form.group.data = group["id"]
        form.phone.data = phones.display(contact["phone"])
        form.base.data = fingerprint(contact)
    context = {"contact": contact}
    if not form.validate_on_submit():
        return (
            invalid("admin/contact_form.html", form, **context)
            if request.method == "POST"
            else (render_template("admin/contact_form.html", form=form, **context))
        )
    fields = _contact_fields(form)

    def change(plan: dict) -> None:
        plan_edit.save_contact(
            plan,
            contact_id,
            fields,
            group_id=form.group.data,
            new_group_title=form.new_group.data,
            expected=form.base.data or None,
        )

    return edit(
        form,
        "admin/contact_form.html",
        change,
        url_for("admin.contacts") + _fragment(contact_id),
        f"Endringen av {fields['name']} er lagret i utkastet.",
        **context,
    )


@bp.post("/kontakter/<contact_id>/slett")
def contact_remove(contact_id: str):
    """Remove a person from the contact list of the draft."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    base = request.form.get("base") or None

    try:
        drafts.update(lambda plan: plan_edit.remove_contact(plan, contact_id, expected=base), actor=actor())
    except drafts.DraftError as error:
        flash(str(error), "error")
        return redirect(url_for("admin.contacts")), 303
    flash("Kontakten er fjernet fra utkastet.", "success")
    return redirect(url_for("admin.contacts"))


@bp.post("/kontakter/<contact_id>/flytt")
def contact_move(contact_id: str):
    """Move a person one place up or down in the group."""
    direction = request.form.get("retning", "")
    try:
        drafts.update(lambda plan: plan_edit.move_contact(plan, contact_id, direction), actor=actor())
    except drafts.DraftError as error:
        flash(str(error), "error")
    return redirect(url_for("admin.contacts") + _fragment(contact_id))


@bp.post("/kontakter/gruppe/<group_id>/flytt")
def group_move(group_id: str):
    """Move a contact group one place up or down."""
    direction = request.form.get("retning", "")
    try:
        drafts.update(lambda plan: plan_edit.move_group(plan, group_id, direction), actor=actor())
    except drafts.DraftError as error:
        flash(str(error), "error")
    return redirect(url_for("admin.contacts") + _fragment(f"gruppe-{group_id}"))


@bp.route("/kontakter/gruppe/<group_id>", methods=["GET", "POST"])
def group_edit(group_id: str):
    """Change the heading of a contact group."""
    try:
        group = plan_edit.find_group(draft_data(), group_id)
    except drafts.DraftError:
        abort(404)
    form = GroupForm(data=group if request.method == "GET" else None)
    context = {"group": group}
    if not form.validate_on_submit():
        if request.method == "POST":
            return invalid("admin/group_form.html", form, **context)
        return render_template("admin/group_form.html", form=form, **context)
    title = form.title.data
    return edit(
        form,
        "admin/group_form.html",
        lambda plan: plan_edit.rename_group(plan, group_id, title),
        url_for("admin.contacts"),
        "Overskriften er lagret i utkastet.",
        **context,
    )


@bp.route("/kontakter/politi", methods=["GET", "POST"])
def police():
    """Change the police's non-emergency number."""
    police = draft_data()["contacts"]["police"]
    form = PoliceForm(data=police if request.method == "GET" else None)
    if request.method == "GET":
        form.phone.data = phones.display(police["phone"])
        form.base.data = fingerprint(police)
    if not form.validate_on_submit():
        if request.method == "POST":
            return invalid("admin/police_form.html", form)
        return render_template("admin/police_form.html", form=form)
    fields = {"label": form.label.data, "description": form.description.data, "phone": form.phone.data}
    expected = form.base.data or None

    def change(plan: dict) -> None:
        plan_edit.check_fingerprint(plan["contacts"]["police"], expected)
        plan["contacts"]["police"].update(fields)

    return edit(
        form, "admin/police_form.html", change, url_for("admin.contacts"), "Politiets nummer er lagret."
    )


# --- Checklist ------------------------------------------------------------------------------------


@bp.route("/sjekkliste", methods=["GET", "POST"])
def checklist():
    """Change the checklist: heading, quote and the signs, one per line."""
    current = draft_data()["checklist"]
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
        form.signs.errors = ["Skriv minst ett tegn."]
        return invalid("admin/checklist_form.html", form)
    fields = {"title": form.title.data, "quote": form.quote.data, "signs": signs}
    expected = form.base.data or None

    def change(plan: dict) -> None:
        plan_edit.check_fingerprint(plan["checklist"], expected)
        plan["checklist"].update(fields)

    return edit(
        form, "admin/checklist_form.html", change, url_for("admin.index"), "Sjekklisten er lagret i utkastet."
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
    if request.method == "GET":
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
    fields: dict = {
        "title": form.title.data,
        "intro": _none_if_empty(form.intro.data),
        "after_steps": _none_if_empty(form.after_steps.data),
    }
    if meeting:
        agenda = plan_edit.lines(form.agenda.data)
        problems = False
        if not agenda:
            form.agenda.errors = ["Møtet må ha minst ett punkt på agendaen."]
            problems = True
        if not form.meeting_text.data:
            form.meeting_text.errors = ["Skriv hvem som kaller inn og hvem som deltar."]
            problems = True
        if problems:
            return invalid("admin/alternative.html", form, **context)
        fields["meeting"] = {
            "text": form.meeting_text.data,
            "agenda_intro": form.agenda_intro.data or "I møtet skal følgende skje:",
            "agenda": agenda,
        }
    expected = form.base.data or None
    return edit(
        form,
        "admin/alternative.html",
        lambda plan: plan_edit.save_alternative_text(plan, alternative_id, fields, expected=expected),
        url_for("admin.alternative", alternative_id=alternative_id),
        "Endringene er lagret i utkastet.",
        **context,
    )


def _step_fields(form: StepForm) -> dict:
    return {
        "text": form.text.data,
        "actor": form.actor.data,
        "audience": form.audience.data,
        "heading": _none_if_empty(form.heading.data),
    }


@bp.route("/alternativer/<alternative_id>/steg/ny", methods=["GET", "POST"])
def step_new(alternative_id: str):
    """Add a step at the end of an alternative."""
    found = _alternative_or_404(draft_data(), alternative_id)
    form = StepForm()
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
        "Steget er lagt til i utkastet.",
        **context,
    )


@bp.route("/alternativer/<alternative_id>/steg/<step_id>", methods=["GET", "POST"])
def step_edit(alternative_id: str, step_id: str):
    """Change one step: what is done, by whom, for which students."""
    found = _alternative_or_404(draft_data(), alternative_id)
    try:
        _index, step = plan_edit.find_step(found, step_id)
    except drafts.DraftError:
        abort(404)
    form = StepForm(data=step if request.method == "GET" else None)
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
        url_for("admin.alternative", alternative_id=alternative_id) + _fragment(f"steg-{step_id}"),
        "Steget er lagret i utkastet.",
        **context,
    )


@bp.post("/alternativer/<alternative_id>/steg/<step_id>/slett")
def step_remove(alternative_id: str, step_id: str):
    """Remove a step from an alternative."""
    base = request.form.get("base") or None
    try:
        drafts.update(
            lambda plan: plan_edit.remove_step(plan, alternative_id, step_id, expected=base), actor=actor()
        )
    except drafts.DraftError as error:
        flash(str(error), "error")
    else:
        flash("Steget er fjernet fra utkastet.", "success")
    return redirect(url_for("admin.alternative", alternative_id=alternative_id) + "#steg")


@bp.post("/alternativer/<alternative_id>/steg/<step_id>/flytt")
def step_move(alternative_id: str, step_id: str):
    """Move a step one place up or down."""
    direction = request.form.get("retning", "")
    try:
        drafts.update(
            lambda plan: plan_edit.move_step(plan, alternative_id, step_id, direction), actor=actor()
        )
    except drafts.DraftError as error:
        flash(str(error), "error")
    return redirect(
        url_for("admin.alternative", alternative_id=alternative_id) + _fragment(f"steg-{step_id}")
    )


# --- Sections, links, dates -----------------------------------------------------------------------


@bp.get("/tekster")
def sections():
    """List the information texts."""
    return render_template("admin/sections.html", data=draft_data(), titles=SECTION_TITLES)


@bp.route("/tekster/<slug>", methods=["GET", "POST"])
def section(slug: str):
    """Edit an information text in Markdown; the public page shows it sanitised."""
    if slug not in SECTION_SLUGS:
        abort(404)
    current = plan_edit.find_section(draft_data(), slug)
    form = SectionForm(data=current if request.method == "GET" else None)
    if request.method == "GET":
        form.base.data = fingerprint(current)
    context = {"section": current, "name": SECTION_TITLES.get(slug, slug)}
    if not form.validate_on_submit():
        if request.method == "POST":
            return invalid("admin/section_form.html", form, **context)
        return render_template("admin/section_form.html", form=form, **context)
    fields = {"title": form.title.data, "body": form.body.data}
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
        "Teksten er lagret i utkastet.",
        **context,
    )


@bp.post("/tekster/<slug>/forhandsvis")
def section_preview(slug: str):
    """Show how the Markdown will look on the public page (sanitised), for htmx."""
    if slug not in SECTION_SLUGS:
        abort(404)
    body = request.form.get("body", "")[:50000].replace("\x00", "")
    return render_template("admin/_preview.html", html=markdown.render(body))


def _format_laws(laws: list[dict]) -> str:
    parts = []
    for law in laws:
        parts.append(f"## {law['name']}\n{plan_edit.format_links(law['links'])}")
    return "\n\n".join(parts)


def _parse_laws(text: str) -> list[dict]:
    laws: list[dict] = []
    buffer: list[str] = []
    name = None
    for raw in (text or "").splitlines():
        line = raw.strip()
        if line.startswith("## "):
            if name is not None:
                laws.append({"name": name, "links": plan_edit.parse_links("\n".join(buffer))})
            name, buffer = line[3:].strip(), []
        elif line:
            if name is None:
                raise drafts.DraftError("Start med en linje «## Navn på loven» før lenkene.")
            buffer.append(line)
    if name is not None:
        laws.append({"name": name, "links": plan_edit.parse_links("\n".join(buffer))})
    for law in laws:
        if not law["name"]:
            raise drafts.DraftError("Hver lov må ha et navn etter «## ».")
        if not law["links"]:
            raise drafts.DraftError(f"«{law['name']}» må ha minst én lenke.")
    if not laws:
        raise drafts.DraftError("Skriv minst én lov.")
    return laws


@bp.route("/lenker", methods=["GET", "POST"])
def links():
    """Edit the laws and useful links, one link a line as «Tittel | https://adresse»."""
    current = draft_data()["links"]
    form = LinksForm()
    laws_text = request.form.get("laws", "") if request.method == "POST" else _format_laws(current["laws"])
    if request.method == "GET":
        form.useful.data = plan_edit.format_links(current["useful"])
        form.base.data = fingerprint(current)
    context = {"laws_text": laws_text, "laws_error": None}
    if not form.validate_on_submit():
        if request.method == "POST":
            return invalid("admin/links_form.html", form, **context)
        return render_template("admin/links_form.html", form=form, **context)
    if len(laws_text) > 20000 or "\x00" in laws_text:
        context["laws_error"] = "Teksten er for lang eller inneholder ugyldige tegn."
        return invalid("admin/links_form.html", form, **context)
    try:
        laws = _parse_laws(laws_text)
    except drafts.DraftError as error:
        context["laws_error"] = str(error)
        return invalid("admin/links_form.html", form, **context)
    try:
        useful = plan_edit.parse_links(form.useful.data)
    except drafts.DraftError as error:
        form.useful.errors = [str(error)]
        return invalid("admin/links_form.html", form, **context)
    if not useful:
        form.useful.errors = ["Skriv minst én lenke."]
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
        "Lenkene er lagret i utkastet.",
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
        form.next_revision_date.errors = ["Neste revisjon må komme etter versjonsdatoen."]
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
        form, "admin/dates_form.html", change, url_for("admin.index"), "Datoene er lagret i utkastet."
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
        field.errors = ["Datoen kan ikke være etter i dag: skriv når erklæringen faktisk ble gjennomgått."]
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
        "Erklæringene er lagret i utkastet.",
    )


# --- Draft, publishing and revisions --------------------------------------------------------------


@bp.get("/utkast")
def draft():
    """Show what the draft changes compared with the published plan, and the button to publish it."""
    current = drafts.current()
    latest = drafts.revision(current.latest_revision_id)
    form = PublishForm()
    form.version.data = str(current.version)
    return render_template(
        "admin/draft.html",
        changes=diff.compare(latest.data, current.data),
        moved=diff.moved(latest.data, current.data),
        form=form,
        discard_form=EmptyForm(),
        latest=latest,
    )


@bp.post("/publiser")
def publish():
    """Publish the draft as a new revision: the public site shows it from the next request."""
    form = PublishForm()
    current = drafts.current()
    latest = drafts.revision(current.latest_revision_id)
    context = {
        "changes": diff.compare(latest.data, current.data),
        "moved": diff.moved(latest.data, current.data),
        "discard_form": EmptyForm(),
        "latest": latest,
    }
    if not form.validate_on_submit():
        return invalid("admin/draft.html", form, **context)
    version = form.version.data or ""
    if not (version.isascii() and version.isdigit()) or len(version) > 12:
        form.form_errors.append("Last inn siden på nytt og prøv igjen.")
        return invalid("admin/draft.html", form, **context)
    try:
        revision = drafts.publish(form.note.data, actor=actor(), expected_version=int(version))
    except drafts.DraftError as error:
        form.form_errors.append(str(error))
        form.version.data = str(current.version)
        return render_template("admin/draft.html", form=form, **context), 409
    flash(f"Revisjon {revision.id} er publisert. Nettsiden viser den nå.", "success")
    return redirect(url_for("admin.revision", revision_id=revision.id))


@bp.post("/utkast/forkast")
def discard():
    """Throw the draft away and start again from the published plan."""
    form = EmptyForm()
    if form.validate_on_submit():
        drafts.discard(actor=actor())
        flash("Utkastet er forkastet.", "success")
    return redirect(url_for("admin.index"))


@bp.get("/revisjoner")
def revisions():
    """List every published revision: when, by whom, why."""
    return render_template("admin/revisions.html", revisions=drafts.revisions(500))


@bp.get("/revisjoner/<dbid:revision_id>")
def revision(revision_id: int):
    """Show one revision and what changed from the one before."""
    found = drafts.revision(revision_id)
    if found is None:
        abort(404)
    before = drafts.previous(found)
    latest = drafts.revision(drafts.current().latest_revision_id)
    return render_template(
        "admin/revision.html",
        revision=found,
        before=before,
        changes=diff.compare(before.data if before else None, found.data) if before else [],
        moved=diff.moved(before.data if before else None, found.data),
        is_latest=latest is not None and latest.id == found.id,
        form=RestoreForm(),
        contacts=found.data["contacts"],
    )


@bp.post("/revisjoner/<dbid:revision_id>/gjenopprett")
def restore(revision_id: int):
    """Publish an old revision again as a new revision."""
    form = RestoreForm()
    if drafts.revision(revision_id) is None:
        abort(404)
    if not form.validate_on_submit():
        flash("Begrunnelsen kan være høyst 500 tegn på én linje.", "error")
        return redirect(url_for("admin.revision", revision_id=revision_id))
    try:
        new = drafts.restore(revision_id, actor=actor(), note=form.note.data or "")
    except drafts.DraftError as error:
        flash(str(error), "error")
        return redirect(url_for("admin.revision", revision_id=revision_id))
    flash(f"Revisjon {revision_id} er gjenopprettet som revisjon {new.id}.", "success")
    return redirect(url_for("admin.revision", revision_id=new.id))


# --- Users and the audit log ----------------------------------------------------------------------


@bp.get("/brukere")
def users():
    """List the staff accounts."""
    return render_template("admin/users.html", users=accounts.all_users())


def _invitation_link(token: str) -> str:
    return url_for("account.invitation", token=token, _external=True)


@bp.route("/brukere/ny", methods=["GET", "POST"])
def user_new():
    """Invite a member of staff: make the account and a one-time link (also as a QR code)."""
    form = InviteForm()
    if request.method == "GET":
        form.roles.data = ["leader"]
    if not form.validate_on_submit():
        if request.method == "POST":
            return invalid("admin/user_new.html", form)
        return render_template("admin/user_new.html", form=form)
    try:
        user = accounts.create_user(form.email.data, form.name.data, form.roles.data, actor=actor())
    except accounts.AccountError as error:
        form.email.errors = [str(error)]
        return invalid("admin/user_new.html", form)
    token, invitation = accounts.create_invitation(user, actor=actor())
    return _show_invitation(user, token, invitation)


def _show_invitation(user: User, token: str, invitation):
    link = _invitation_link(token)
    mailed = notices.send_invitation(user, link, accounts.aware(invitation.expires_at), invited_by=actor())
    return render_template(
        "admin/invitation.html",
        mailed=mailed,
        user=user,
        link=link,
        qr_svg=qr.svg(link, f"QR-kode med invitasjonen til {user.name}"),
        expires_at=accounts.aware(invitation.expires_at),
    )


def _user_or_404(user_id: int) -> User:
    user = accounts.get_user(user_id)
    if user is None:
        abort(404)
    return user


@bp.get("/brukere/<dbid:user_id>")
def user(user_id: int):
    """Show a user: roles, status, and buttons to change them."""
    found = _user_or_404(user_id)
    form = RolesForm(data={"roles": found.roles})
    return render_template("admin/user.html", user=found, form=form, actions=EmptyForm())


@bp.post("/brukere/<dbid:user_id>/roller")
def user_roles(user_id: int):
    """Give a user other roles."""
    found = _user_or_404(user_id)
    form = RolesForm()
    if not form.validate_on_submit():
        return invalid("admin/user.html", form, user=found, actions=EmptyForm())
    try:
        accounts.set_roles(found, form.roles.data, actor=actor())
    except accounts.AccountError as error:
        form.roles.errors = [str(error)]
        return invalid("admin/user.html", form, user=found, actions=EmptyForm())
    flash("Rollene er lagret.", "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/brukere/<dbid:user_id>/deaktiver")
def user_disable(user_id: int):
    """Disable an account; its sessions end at once."""
    found = _user_or_404(user_id)
    if EmptyForm().validate_on_submit():
        try:
            accounts.disable_user(found, actor=actor())
        except accounts.AccountError as error:
            flash(str(error), "error")
        else:
            flash(f"{found.name} er deaktivert og logget ut.", "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/brukere/<dbid:user_id>/aktiver")
def user_enable(user_id: int):
    """Let a disabled account log in again."""
    found = _user_or_404(user_id)
    if EmptyForm().validate_on_submit():
        accounts.enable_user(found, actor=actor())
        flash(f"{found.name} kan logge inn igjen.", "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/brukere/<dbid:user_id>/invitasjon")
def user_invite_again(user_id: int):
    """Make a new invitation link for a user (the old one stops working)."""
    found = _user_or_404(user_id)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("admin.user", user_id=user_id))
    token, invitation = accounts.create_invitation(found, actor=actor())
    return _show_invitation(found, token, invitation)


@bp.get("/logg")
def log():
    """Show the audit log, newest first."""
    before = request.args.get("for", "")
    before_id = int(before) if before.isascii() and before.isdigit() and len(before) < 18 else None
    events = audit.recent(200, before_id)
    return render_template("admin/log.html", events=events, labels=audit.EVENTS)

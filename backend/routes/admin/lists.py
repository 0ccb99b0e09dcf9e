"""Admin: the plan's lists in the draft: checklists, service numbers and the annual wheel."""

from __future__ import annotations

from babel.dates import get_month_names
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from wtforms import SelectChoice

from backend.forms import (
    ActivityEditForm,
    ActivityForm,
    ChecklistForm,
    DeleteForm,
    EmptyForm,
    ServiceForm,
    WheelForm,
)
from backend.routes.admin import bp, draft_data, edit, fragment, invalid, move, remove_after_confirm
from backend.services import draft as drafts
from backend.services import phones, plan_edit
from backend.services.plan_edit import fingerprint, lists


def month_names() -> dict[int, str]:
    """Return the months by number in the UI's language («januar», …)."""
    return {
        number: name for number, name in get_month_names("wide", locale=str(get_locale() or "nb")).items()
    }


# --- Checklists -----------------------------------------------------------------------------------


@bp.get("/sjekklister")
def checklists():
    """List the checklists to edit, add or remove."""
    return render_template("admin/checklists.html", data=draft_data(), actions=EmptyForm())


def _checklist_fields(form: ChecklistForm) -> dict | None:
    signs = plan_edit.lines(form.signs.data)
    if not signs:
        form.signs.errors = [_("Skriv minst ett tegn.")]
        return None
    return {"title": form.title.data, "quote": form.quote.data, "signs": signs}


@bp.route("/sjekklister/ny", methods=["GET", "POST"])
def checklist_new():
    """Add a checklist (title, quote, the signs one per line)."""
    form = ChecklistForm()
    context = {"checklist": None}
    if not form.validate_on_submit():
        if request.method == "POST":
            return invalid("admin/checklist_form.html", form, **context)
        return render_template("admin/checklist_form.html", form=form, **context)
    fields = _checklist_fields(form)
    if fields is None:
        return invalid("admin/checklist_form.html", form, **context)
    return edit(
        form,
        "admin/checklist_form.html",
        lambda plan: lists.save_checklist(plan, None, fields),
        url_for("admin.checklists"),
        _("Sjekklisten er lagt til i utkastet."),
        **context,
    )


@bp.route("/sjekklister/<checklist_id>", methods=["GET", "POST"])
def checklist_edit(checklist_id: str):
    """Change a checklist: heading, quote and the signs, one per line."""
    try:
        current = lists.find_checklist(draft_data(), checklist_id)
    except drafts.DraftError:
        abort(404)
    form = ChecklistForm()
    if request.method == "GET":
        form.title.data = current["title"]
        form.quote.data = current["quote"]
        form.signs.data = "\n".join(current["signs"])
        form.base.data = fingerprint(current)
    context = {"checklist": current}
    if not form.validate_on_submit():
        if request.method == "POST":
            return invalid("admin/checklist_form.html", form, **context)
        return render_template("admin/checklist_form.html", form=form, **context)
    fields = _checklist_fields(form)
    if fields is None:
        return invalid("admin/checklist_form.html", form, **context)
    expected = form.base.data or None
    return edit(
        form,
        "admin/checklist_form.html",
        lambda plan: lists.save_checklist(plan, checklist_id, fields, expected=expected),
        url_for("admin.checklists"),
        _("Sjekklisten er lagret i utkastet."),
        **context,
    )


@bp.post("/sjekklister/<checklist_id>/flytt")
def checklist_move(checklist_id: str):
    """Move a checklist one place up or down (the public checklist page shows them in this order)."""
    return move(
        lambda plan, direction: lists.move_checklist(plan, checklist_id, direction),
        url_for("admin.checklists") + fragment(checklist_id),
    )


@bp.route("/sjekklister/<checklist_id>/slett", methods=["GET", "POST"])
def checklist_remove(checklist_id: str):
    """Ask before removing a checklist; the plan keeps at least one."""
    data = draft_data()
    try:
        current = lists.find_checklist(data, checklist_id)
    except drafts.DraftError:
        abort(404)
    form = DeleteForm()
    if request.method == "GET":
        form.base.data = fingerprint(current)
    expected = form.base.data or None
    last = len(lists.checklists(data)) == 1
    context = {
        "heading": _("Fjerne sjekklisten «%(title)s»?", title=current["title"]),
        "goes": [current["title"], *current["signs"]],
        "blockers": [_("Planen må ha minst én sjekkliste.")] if last else [],
        "back": url_for("admin.checklists"),
    }
    return remove_after_confirm(
        form,
        context,
        lambda plan: lists.remove_checklist(plan, checklist_id, expected=expected),
        url_for("admin.checklists"),
        _("Sjekklisten er fjernet fra utkastet."),
    )


# --- Service numbers ------------------------------------------------------------------------------


@bp.get("/numre")
def services():
    """List the service numbers (police, barnevernvakt, legevakt, …) to edit, add or remove."""
    return render_template("admin/services.html", data=draft_data())


def _service_fields(form: ServiceForm) -> dict:
    return {"label": form.label.data, "description": form.description.data, "phone": form.phone.data}


@bp.route("/numre/ny", methods=["GET", "POST"])
def service_new():
    """Add a service number with when to use it."""
    form = ServiceForm()
    context = {"service": None}
    if not form.validate_on_submit():
        if request.method == "POST":
            return invalid("admin/service_form.html", form, **context)
        return render_template("admin/service_form.html", form=form, **context)
    fields = _service_fields(form)
    return edit(
        form,
        "admin/service_form.html",
        lambda plan: lists.save_service(plan, None, fields),
        url_for("admin.services"),
        _("«%(label)s» er lagt til i utkastet.", label=fields["label"]),
        **context,
    )


@bp.route("/numre/<service_id>", methods=["GET", "POST"])
def service_edit(service_id: str):
    """Change a service number: its name, when to use it, the number."""
    try:
        current = lists.find_service(draft_data(), service_id)
    except drafts.DraftError:
        abort(404)
    form = ServiceForm(data=current if request.method == "GET" else None)
    if request.method == "GET":
        form.phone.data = phones.display(current["phone"])
        form.base.data = fingerprint(current)
    context = {"service": current}
    if not form.validate_on_submit():
        if request.method == "POST":
            return invalid("admin/service_form.html", form, **context)
        return render_template("admin/service_form.html", form=form, **context)
    fields = _service_fields(form)
    expected = form.base.data or None
    return edit(
        form,
        "admin/service_form.html",
        lambda plan: lists.save_service(plan, service_id, fields, expected=expected),
        url_for("admin.services") + fragment(service_id),
        _("«%(label)s» er lagret i utkastet.", label=fields["label"]),
        **context,
    )


@bp.route("/numre/<service_id>/slett", methods=["GET", "POST"])
def service_remove(service_id: str):
    """Ask before removing a service number; refuse while a procedure shows it."""
    data = draft_data()
    try:
        current = lists.find_service(data, service_id)
    except drafts.DraftError:
        abort(404)
    form = DeleteForm()
    if request.method == "GET":
        form.base.data = fingerprint(current)
    expected = form.base.data or None
    context = {
        "heading": _("Fjerne «%(label)s»?", label=current["label"]),
        "goes": [f"{current['label']}: {phones.display(current['phone'])}"],
        "blockers": [
            _("Nummeret vises med %(label)s. Fjern det der først.", label=label)
            for label in lists.service_uses(data, service_id)
        ],
        "back": url_for("admin.services"),
    }
    return remove_after_confirm(
        form,
        context,
        lambda plan: lists.remove_service(plan, service_id, expected=expected),
        url_for("admin.services"),
        _("Nummeret er fjernet fra utkastet."),
    )


# --- The annual wheel -----------------------------------------------------------------------------


def _activity_form(data: dict, form_class: type[ActivityForm] = ActivityForm) -> ActivityForm:
    form = form_class()
    names = month_names()
    form.month.choices = [SelectChoice(number, names[number]) for number in (*range(8, 13), *range(1, 8))]
    form.responsible.choices = [SelectChoice(r["id"], r["label"]) for r in data["roles"]]
    return form


@bp.route("/arshjul", methods=["GET", "POST"])
def annual_wheel():
    """Show the annual wheel by month and change its title and intro."""
    data = draft_data()
    wheel = data.get("annual_wheel")
    form = WheelForm()
    if request.method == "GET" and wheel:
        form.title.data = wheel["title"]
        form.intro.data = wheel.get("intro") or ""
        form.base.data = fingerprint({k: v for k, v in wheel.items() if k != "months"})
    context = {"data": data, "wheel": wheel, "months": month_names(), "activity_form": _activity_form(data)}
    if wheel is None or not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("admin/annual_wheel.html", form=form, **context), status
    fields = {"title": form.title.data, "intro": form.intro.data or None}
    expected = form.base.data or None
    return edit(
        form,
        "admin/annual_wheel.html",
        lambda plan: lists.save_wheel_text(plan, fields, expected=expected),
        url_for("admin.annual_wheel"),
        _("Årshjulet er lagret i utkastet."),
        **context,
    )


@bp.route("/arshjul/aktivitet/ny", methods=["GET", "POST"])
def activity_new():
    """Add an activity in a month with the role responsible (the first one makes the wheel)."""
    data = draft_data()
    form = _activity_form(data)
    context = {"wheel": data.get("annual_wheel"), "editing": False}
    if not form.validate_on_submit():
        if request.method == "POST":
            return invalid("admin/activity_form.html", form, **context)
        return render_template("admin/activity_form.html", form=form, **context)
    if context["wheel"] is None and not form.wheel_title.data:
        form.wheel_title.errors = [_("Skriv en overskrift for årshjulet.")]
        return invalid("admin/activity_form.html", form, **context)
    month = form.month.data
    activity = {"text": form.text.data, "responsible": form.responsible.data}
    title = form.wheel_title.data or ""
    return edit(
        form,
        "admin/activity_form.html",
        lambda plan: lists.add_activity(plan, month, activity, title=title),
        url_for("admin.annual_wheel") + fragment(f"maned-{month}"),
        _("Aktiviteten er lagt til i utkastet."),
        **context,
    )


@bp.route("/arshjul/<int:month>/<int:index>", methods=["GET", "POST"])
def activity_edit(month: int, index: int):
    """Change an activity: what is done, in which month, and the role responsible."""
    data = draft_data()
    form = _activity_form(data, ActivityEditForm)
    if request.method == "GET":
        try:
            _month, activity = lists.find_activity(data, month, index)
        except drafts.DraftError as error:  # a stale link (someone removed it): say so on the wheel's page
            flash(str(error), "error")
            return redirect(url_for("admin.annual_wheel"))
        form.month.data = month
        form.text.data = activity["text"]
        form.responsible.data = activity["responsible"]
        form.base.data = fingerprint(activity)
    context = {"wheel": data.get("annual_wheel"), "editing": True}
    if not form.validate_on_submit():
        if request.method == "POST":
            return invalid("admin/activity_form.html", form, **context)
        return render_template("admin/activity_form.html", form=form, **context)
    fields = {"month": form.month.data, "text": form.text.data, "responsible": form.responsible.data}
    expected = form.base.data or None
    return edit(
        form,
        "admin/activity_form.html",
        lambda plan: lists.save_activity(plan, month, index, fields, expected=expected),
        url_for("admin.annual_wheel") + fragment(f"maned-{fields['month']}"),
        _("Aktiviteten er lagret i utkastet."),
        **context,
    )


@bp.route("/arshjul/<int:month>/<int:index>/slett", methods=["GET", "POST"])
def activity_remove(month: int, index: int):
    """Ask before removing an activity; the wheel goes with its last activity, and the page says so."""
    data = draft_data()
    try:
        _month, activity = lists.find_activity(data, month, index)
    except drafts.DraftError as error:  # a stale link (someone removed it): say so on the wheel's page
        flash(str(error), "error")
        return redirect(url_for("admin.annual_wheel"))
    form = DeleteForm()
    if request.method == "GET":
        form.base.data = fingerprint(activity)
    expected = form.base.data or None
    goes = [f"{month_names()[month]}: {activity['text']}"]
    if lists.activity_count(data) == 1:
        goes.append(_("Årshjulet og siden det har, fordi dette er den siste aktiviteten"))
    context = {
        "heading": _("Fjerne aktiviteten?"),
        "goes": goes,
        "blockers": [],
        "back": url_for("admin.annual_wheel") + fragment(f"maned-{month}"),
    }
    return remove_after_confirm(
        form,
        context,
        lambda plan: lists.remove_activity(plan, month, index, expected=expected),
        url_for("admin.annual_wheel"),
        _("Aktiviteten er fjernet fra utkastet."),
    )


@bp.route("/arshjul/slett", methods=["GET", "POST"])
def annual_wheel_remove():
    """Ask before removing the whole annual wheel and its public page."""
    data = draft_data()
    wheel = data.get("annual_wheel")
    if wheel is None:
        flash(_("Planen har ikke noe årshjul."), "error")
        return redirect(url_for("admin.annual_wheel"))
    form = DeleteForm()
    if request.method == "GET":
        form.base.data = fingerprint(wheel)
    expected = form.base.data or None
    context = {
        "heading": _("Fjerne hele årshjulet?"),
        "goes": [
            wheel["title"],
            _("%(count)s aktiviteter og siden årshjulet har", count=lists.activity_count(data)),
        ],
        "blockers": [],
        "back": url_for("admin.annual_wheel"),
    }
    return remove_after_confirm(
        form,
        context,
        lambda plan: lists.remove_wheel(plan, expected=expected),
        url_for("admin.index"),
        _("Årshjulet er fjernet fra utkastet."),
    )

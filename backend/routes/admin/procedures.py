"""Admin: add a procedure (with the answer that leads to it) and remove one after a confirmation page.

Editing a procedure's texts and steps is in plan.py (the «Hva gjør vi?» pages).
"""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from wtforms import SelectChoice

from backend.forms import DeleteForm, NewProcedureForm
from backend.routes.admin import bp, draft_data, edit, invalid, remove_after_confirm
from backend.services import draft as drafts
from backend.services import plan_edit
from backend.services.plan_edit import procedures as procedure_edit


@bp.route("/alternativer/ny", methods=["GET", "POST"])
def procedure_new():
    """Add a procedure with the answer in the guided questions that leads to it (or under a parent)."""
    data = draft_data()
    form = NewProcedureForm()
    form.fill_choices(data, None)
    form.question.choices = [SelectChoice("", _("Ingen (det hører under et annet alternativ)"))] + [
        SelectChoice(q["id"], q["text"]) for q in data["guide"]["questions"]
    ]
    if not form.validate_on_submit():
        if request.method == "POST":
            return invalid("admin/procedure_new.html", form)
        return render_template("admin/procedure_new.html", form=form)
    fields = form.procedure_fields()
    question, answer_label = form.question.data or None, form.answer_label.data
    created: list[str] = []

    def change(plan: dict) -> None:
        created.append(
            procedure_edit.new_procedure(plan, fields, question=question, answer_label=answer_label)
        )

    response = edit(
        form,
        "admin/procedure_new.html",
        change,
        url_for("admin.alternatives"),
        _("«%(label)s» er lagt til i utkastet. Legg til stegene.", label=fields["label"]),
    )
    if created and not isinstance(response, tuple):
        response.location = url_for("admin.alternative", alternative_id=created[0])
    return response


@bp.route("/alternativer/<alternative_id>/slett", methods=["GET", "POST"])
def procedure_remove(alternative_id: str):
    """Ask before removing a procedure: say what goes with it, and what must change first."""
    data = draft_data()
    try:
        found = plan_edit.find_alternative(data, alternative_id)
    except drafts.DraftError:
        abort(404)
    removal = procedure_edit.removal(data, alternative_id)
    goes = [_("%(label)s: %(title)s", label=found["label"], title=found["title"])]
    goes += [_("Steg: %(text)s", text=text) for text in removal.steps]
    if removal.meeting:
        goes.append(_("Oppfølgingsmøtet og agendaen"))
    form = DeleteForm()
    if request.method == "GET":
        form.base.data = plan_edit.fingerprint(found)
    expected = form.base.data or None
    context = {
        "heading": _("Fjerne %(label)s?", label=found["label"]),
        "goes": goes,
        "blockers": removal.blockers,
        "back": url_for("admin.alternative", alternative_id=alternative_id),
    }
    return remove_after_confirm(
        form,
        context,
        lambda plan: procedure_edit.remove_procedure(plan, alternative_id, expected=expected),
        url_for("admin.alternatives"),
        _("%(label)s er fjernet fra utkastet.", label=found["label"]),
    )

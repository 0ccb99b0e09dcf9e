"""Admin: the guided questions («Finn riktig alternativ») as a decision tree in the draft.

A question's answers are rows in one form (words on the button, where it leads); the row buttons move,
remove and add rows without saving, so what was typed stays. Saving checks the whole tree with
check_guide and shows every problem in words beside the form; a broken tree is never saved.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from wtforms import SelectChoice

from backend.forms import DeleteForm, NewQuestionForm, QuestionForm, StartForm
from backend.routes.admin import actor, bp, draft_data, remove_after_confirm
from backend.services import draft as drafts
from backend.services.plan_edit import EditConflict, fingerprint
from backend.services.plan_edit import guide as guide_edit


def _targets(data: dict) -> list[SelectChoice]:
    """Where an answer can lead: another question or a procedure."""
    choices = [SelectChoice("", _("Velg hvor svaret leder"))]
    choices += [
        SelectChoice(f"{guide_edit.QUESTION}:{q['id']}", _("Spørsmål: %(text)s", text=q["text"]))
        for q in guide_edit.questions(data)
    ]
    choices += [
        SelectChoice(f"{guide_edit.PROCEDURE}:{p['id']}", f"{p['label']}: {p['title']}")
        for p in data["procedure_list"]["procedures"]
    ]
    return choices


def _fill(form: QuestionForm, data: dict) -> None:
    targets = _targets(data)
    for entry in form.answers:
        entry.form.target.choices = targets


def _rows(form: QuestionForm) -> list[dict]:
    return [{"label": e.form.label.data or "", "target": e.form.target.data or ""} for e in form.answers]


def _rearranged(form_class, form: QuestionForm, action: str, data: dict):
    """Apply a row button (add, move, remove an answer) to what was typed; return the form to show again."""
    rows = _rows(form)
    verb, _sep, number = action.partition("-")
    # ASCII digits only: "²".isdigit() is true but int() refuses it.
    index = int(number) if number.isascii() and number.isdigit() and len(number) <= 3 else -1
    if verb == "nytt":
        rows.append({"label": "", "target": ""})
    elif verb == "fjern" and 0 <= index < len(rows):
        del rows[index]
    elif verb in {"opp", "ned"} and 0 <= index < len(rows):
        other = index - 1 if verb == "opp" else index + 1
        if 0 <= other < len(rows):
            rows[index], rows[other] = rows[other], rows[index]
    values = {
        name: field.data for name, field in form._fields.items() if name not in {"answers", "csrf_token"}
    }
    again = form_class(formdata=None, data={**values, "answers": rows or [{"label": "", "target": ""}]})
    _fill(again, data)
    return again


def _answers(form: QuestionForm) -> list[dict] | None:
    """Read the answer rows into answers; mark a half-filled row at its field and return None."""
    answers, complete = [], True
    for entry in form.answers:
        label, target = entry.form.label.data or "", entry.form.target.data or ""
        if not label and not target:
            continue
        if not label:
            entry.form.label.errors = [_("Skriv svaret slik det skal stå på knappen.")]
            complete = False
        elif not target:
            entry.form.target.errors = [_("Velg hvor svaret leder.")]
            complete = False
        else:
            try:
                answers.append(guide_edit.make_answer(label, target))
            except drafts.DraftError as error:  # a target that is no question or procedure (a forged form)
                entry.form.target.errors = [str(error)]
                complete = False
    return answers if complete else None


def _save(form, template: str, change, done: str, message: str, **context):
    """Save a change of the tree; show check_guide's problems (or a conflict) beside the form instead."""
    try:
        drafts.update(change, actor=actor())
    except drafts.InvalidPlan as error:
        return render_template(template, form=form, problems=error.problems, **context), 422
    except EditConflict as error:
        form.form_errors.append(str(error))
        return render_template(template, form=form, **context), 409
    except drafts.DraftError as error:
        form.form_errors.append(str(error))
        return render_template(template, form=form, **context), 422
    flash(message, "success")
    return redirect(done)


@bp.route("/sporsmal", methods=["GET", "POST"])
def guide():
    """Show the decision tree (questions, answers, where each leads) and choose the first question."""
    data = draft_data()
    form = StartForm()
    form.start.choices = [SelectChoice(q["id"], q["text"]) for q in guide_edit.questions(data)]
    if request.method == "GET":
        form.start.data = data["guide"]["start"]
    targets = {choice.value: choice.label for choice in _targets(data)}
    context = {"data": data, "targets": targets, "target_of": guide_edit.target_of}
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("admin/guide.html", form=form, **context), status
    start = form.start.data
    return _save(
        form,
        "admin/guide.html",
        lambda plan: guide_edit.set_start(plan, start),
        url_for("admin.guide"),
        _("Første spørsmål er lagret i utkastet."),
        **context,
    )


@bp.route("/sporsmal/ny", methods=["GET", "POST"])
def question_new():
    """Add a question after an existing answer, which then leads to it."""
    data = draft_data()
    form = NewQuestionForm()
    form.via.choices = [SelectChoice(value, text) for value, text in guide_edit.answer_choices(data)]
    _fill(form, data)
    context = {"question": None}
    action = request.form.get("handling", "") if request.method == "POST" else ""
    if action:
        form = _rearranged(NewQuestionForm, form, action, data)
        form.via.choices = [SelectChoice(value, text) for value, text in guide_edit.answer_choices(data)]
        return render_template("admin/question_form.html", form=form, **context)
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("admin/question_form.html", form=form, **context), status
    answers = _answers(form)
    if answers is None:
        return render_template("admin/question_form.html", form=form, **context), 422
    fields = {"text": form.text.data, "help": form.help.data or None, "answers": answers}
    via = form.via.data
    return _save(
        form,
        "admin/question_form.html",
        lambda plan: guide_edit.add_question(plan, fields, via=via),
        url_for("admin.guide"),
        _("Spørsmålet er lagt til i utkastet."),
        **context,
    )


@bp.route("/sporsmal/<question_id>", methods=["GET", "POST"])
def question(question_id: str):
    """Change a question: its words, the help line, and its answers in order with where each leads."""
    data = draft_data()
    try:
        found = guide_edit.find_question(data, question_id)
    except drafts.DraftError:
        abort(404)
    if request.method == "GET":
        rows = [{"label": a["label"], "target": guide_edit.target_of(a)} for a in found["answers"]]
        form = QuestionForm(
            data={
                "text": found["text"],
                "help": found.get("help") or "",
                "answers": rows or [{"label": "", "target": ""}],
                "base": fingerprint(found),
            }
        )
    else:
        form = QuestionForm()
    _fill(form, data)
    context = {"question": found}
    action = request.form.get("handling", "") if request.method == "POST" else ""
    if action:
        form = _rearranged(QuestionForm, form, action, data)
        return render_template("admin/question_form.html", form=form, **context)
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("admin/question_form.html", form=form, **context), status
    answers = _answers(form)
    if answers is None:
        return render_template("admin/question_form.html", form=form, **context), 422
    fields = {"text": form.text.data, "help": form.help.data or None, "answers": answers}
    expected = form.base.data or None
    return _save(
        form,
        "admin/question_form.html",
        lambda plan: guide_edit.save_question(plan, question_id, fields, expected=expected),
        url_for("admin.guide") + f"#sporsmal-{question_id}",
        _("Spørsmålet er lagret i utkastet."),
        **context,
    )


@bp.route("/sporsmal/<question_id>/slett", methods=["GET", "POST"])
def question_remove(question_id: str):
    """Ask before removing a question; refuse while it is the first one or an answer leads to it."""
    data = draft_data()
    try:
        found = guide_edit.find_question(data, question_id)
    except drafts.DraftError:
        abort(404)
    form = DeleteForm()
    if request.method == "GET":
        form.base.data = fingerprint(found)
    expected = form.base.data or None
    context = {
        "heading": _("Fjerne spørsmålet «%(text)s»?", text=found["text"]),
        "goes": [found["text"]] + [_("Svaret «%(label)s»", label=a["label"]) for a in found["answers"]],
        "blockers": guide_edit.question_blockers(data, question_id),
        "back": url_for("admin.guide"),
    }
    return remove_after_confirm(
        form,
        context,
        lambda plan: guide_edit.remove_question(plan, question_id, expected=expected),
        url_for("admin.guide"),
        _("Spørsmålet er fjernet fra utkastet."),
    )

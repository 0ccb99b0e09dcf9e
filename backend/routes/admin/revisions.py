"""Admin: the draft, publishing it, past revisions and restoring one."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from backend.forms import (
    EmptyForm,
    PublishForm,
    RestoreForm,
)
from backend.routes.admin import actor, bp, invalid
from backend.services import diff
from backend.services import draft as drafts


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
        undo_form=EmptyForm(),
        latest=latest,
    )


@bp.post("/utkast/angre")
def undo():
    """Undo one change of the draft: that field (or item) goes back to how the live plan has it."""
    form = EmptyForm()
    key = request.form.get("endring", "")
    current = drafts.current()
    latest = drafts.revision(current.latest_revision_id)
    found = next((c for c in diff.compare(latest.data, current.data) if c.key == key), None)
    if not form.validate_on_submit() or found is None:
        flash("Fant ikke den endringen i utkastet; den kan være angret eller publisert allerede.", "error")
        return redirect(url_for("admin.draft"))
    try:
        drafts.undo(key, actor=actor(), label=found.where)
    except drafts.DraftError as error:
        flash(str(error), "error")
    else:
        flash(f"Endringen er angret: {found.where}.", "success")
    return redirect(url_for("admin.draft"))


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
        "undo_form": EmptyForm(),
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
        contacts=found.data["contacts"],
    )


def _restore_page(found, form: RestoreForm, status: int = 200):
    """The confirmation step of a restore: what would change on the public site, and the button."""
    latest = drafts.revision(drafts.current().latest_revision_id)
    return render_template(
        "admin/restore_confirm.html",
        revision=found,
        latest=latest,
        changes=diff.compare(latest.data, found.data),
        moved=diff.moved(latest.data, found.data),
        form=form,
    ), status


@bp.get("/revisjoner/<dbid:revision_id>/gjenopprett")
def restore_confirm(revision_id: int):
    """Show what a restore would change against the live plan, and ask to confirm it."""
    found = drafts.revision(revision_id)
    if found is None:
        abort(404)
    return _restore_page(found, RestoreForm())


@bp.post("/revisjoner/<dbid:revision_id>/gjenopprett")
def restore(revision_id: int):
    """Publish an old revision again as a new revision, once the admin confirmed on the step before."""
    form = RestoreForm()
    found = drafts.revision(revision_id)
    if found is None:
        abort(404)
    if request.form.get("bekreft") != "ja":  # only the confirmation page's button restores
        return redirect(url_for("admin.restore_confirm", revision_id=revision_id))
    if not form.validate_on_submit():
        return _restore_page(found, form, 422)
    try:
        new = drafts.restore(revision_id, actor=actor(), note=form.note.data or "")
    except drafts.DraftError as error:
        flash(str(error), "error")
        return redirect(url_for("admin.revision", revision_id=revision_id))
    flash(f"Revisjon {revision_id} er gjenopprettet som revisjon {new.id}.", "success")
    return redirect(url_for("admin.revision", revision_id=new.id))

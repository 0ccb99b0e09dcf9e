"""Admin: the draft, publishing it, past revisions and restoring one."""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from backend.content.loader import ContentError
from backend.forms import (
    EmptyForm,
    PublishForm,
    RestoreForm,
    UploadForm,
)
from backend.routes.admin import actor, bp, invalid
from backend.routes.common import FIXED_INFO_PAGES, info_pages
from backend.services import content_zip, diff
from backend.services import draft as drafts
from backend.services import plan as plan_service
from backend.services.accounts import now


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
        preview_pages=PREVIEW_PAGES,
        info_pages=info_pages(current.plan),
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
        flash(_("Fant ikke den endringen i utkastet; den kan være angret eller publisert allerede."), "error")
        return redirect(url_for("admin.draft"))
    try:
        drafts.undo(key, actor=actor(), label=found.where)
    except drafts.DraftError as error:
        flash(str(error), "error")
    else:
        flash(_("Endringen er angret: %(where)s.", where=found.where), "success")
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
        "preview_pages": PREVIEW_PAGES,
        "info_pages": info_pages(current.plan),
    }
    if not form.validate_on_submit():
        return invalid("admin/draft.html", form, **context)
    version = form.version.data or ""
    if not (version.isascii() and version.isdigit()) or len(version) > 12:
        form.form_errors.append(_("Last inn siden på nytt og prøv igjen."))
        return invalid("admin/draft.html", form, **context)
    try:
        revision = drafts.publish(form.note.data, actor=actor(), expected_version=int(version))
    except drafts.DraftError as error:
        form.form_errors.append(str(error))
        form.version.data = str(current.version)
        return render_template("admin/draft.html", form=form, **context), 409
    flash(_("Revisjon %(id)s er publisert. Nettsiden viser den nå.", id=revision.id), "success")
    return redirect(url_for("admin.revision", revision_id=revision.id))


@bp.post("/utkast/forkast")
def discard():
    """Throw the draft away and start again from the published plan."""
    form = EmptyForm()
    if form.validate_on_submit():
        drafts.discard(actor=actor())
        flash(_("Utkastet er forkastet."), "success")
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
    flash(
        _("Revisjon %(old)s er gjenopprettet som revisjon %(new)s.", old=revision_id, new=new.id), "success"
    )
    return redirect(url_for("admin.revision", revision_id=new.id))


# --- The content folder as a zip: download the live plan, upload a zip into the draft -------------


def _school_folder() -> Path:
    return Path(current_app.config["CONTENT_DIR"]) / current_app.config["SCHOOL"]


@bp.get("/innholdsfiler")
def files():
    """Download the plan as a zip of its content folder, or upload one into the draft."""
    return render_template("admin/files.html", form=UploadForm())


@bp.get("/innholdsfiler/plan.zip")
def download():
    """Send the live plan as a zip of the content folder, with its comments and numbers as printed."""
    latest = drafts.revision(drafts.current().latest_revision_id)
    name = current_app.config["SCHOOL"]
    body = content_zip.export_zip(latest, template=_school_folder(), folder_name=name)
    response = make_response(body)
    response.headers["Content-Type"] = "application/zip"
    stamp = now().strftime("%Y-%m-%d")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{name}-revisjon-{latest.id}-{stamp}.zip"'
    )
    return response


@bp.post("/innholdsfiler")
def upload():
    """Load an uploaded zip of the content folder into the draft, after the same checks as an import."""
    form = UploadForm()
    if not form.validate_on_submit():
        return invalid("admin/files.html", form)
    current = drafts.current()
    if current.changed and not form.replace.data:
        form.form_errors.append(
            _(
                "Utkastet har endringer som ikke er publisert. Kryss av for å erstatte dem med innholdet i "
                "zip-filen, eller publiser eller forkast utkastet først."
            )
        )
        return render_template("admin/files.html", form=form), 409
    upload = form.archive.data
    try:
        plan = content_zip.plan_from_zip(upload.read(content_zip.MAX_TOTAL_BYTES + 1))
    except ContentError as error:
        return render_template("admin/files.html", form=form, error=error), 422
    filename = Path(upload.filename or "zip-fil").name[:100]
    try:
        drafts.replace_with(plan, actor=actor(), detail=f"Zip-filen «{filename}» er lastet inn i utkastet.")
    except drafts.DraftError as error:
        form.form_errors.append(str(error))
        return render_template("admin/files.html", form=form), 422
    flash(_("Zip-filen er lastet inn i utkastet. Se over endringene før du publiserer."), "success")
    return redirect(url_for("admin.draft"))


# --- Preview: the draft as the public pages will show it ---------------------------------------------

PREVIEW_PAGES = {
    "forside": (_l("Forside"), "public/home.html"),
    "sjekkliste": (_l("Sjekkliste"), "public/checklist.html"),
    "hva-gjor-vi": (_l("Hva gjør vi?"), "public/procedures.html"),
    "kontakter": (_l("Kontakter"), "public/contacts.html"),
    "finn-hjelp": (_l("Finn hjelp"), "public/find_help.html"),
    "om-planen": (_l("Om planen"), "public/info.html"),
}


@bp.get("/utkast/forhandsvisning")
@bp.get("/utkast/forhandsvisning/<page>")
@bp.get("/utkast/forhandsvisning/<page>/<item>")
def preview(page: str = "forside", item: str | None = None):
    """Show a public page as it will look with the draft, before anything is published."""
    current = drafts.current()
    plan = current.plan
    shown = plan_service.CurrentPlan(current.latest_revision_id, now(), "", plan)
    context = {"plan": plan, "current": shown, "preview_pages": PREVIEW_PAGES, "preview_item": item}
    if page == "hva-gjor-vi" and item:
        found = plan.procedure(item)
        if found is None:
            abort(404)
        template, context["alternative"] = "public/alternative.html", found
    elif page == "om-planen" and item:
        pages = info_pages(plan)
        if item not in pages:
            abort(404)
        if item in FIXED_INFO_PAGES:
            template = f"public/info/{item}.html"
        else:
            template, context["section"] = "public/info/section.html", plan.section(item)
        context.update(title=pages[item], pages=pages)
    elif page == "finn-hjelp" and plan.student_section() is None:
        abort(404)  # this school has no student page
    elif page in PREVIEW_PAGES and item is None:
        template = PREVIEW_PAGES[page][1]
        context["pages"] = info_pages(plan)
    else:
        abort(404)
    return render_template(template, preview=page, **context)

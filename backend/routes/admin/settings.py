"""Admin: add and remove prose sections, and the plan's settings (names, language, archive system)."""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _

from backend.content.schema import REQUIRED_SECTIONS
from backend.forms import DeleteForm, NewSectionForm, SettingsForm
from backend.routes.admin import bp, draft_data, edit, invalid, remove_after_confirm
from backend.routes.common import FIXED_INFO_PAGES
from backend.services import draft as drafts
from backend.services.plan_edit import find_section, fingerprint, lists

# Addresses under «Om planen» that are pages of their own, so a section cannot take them.
RESERVED_SLUGS = {*FIXED_INFO_PAGES, "utskrift"}


@bp.route("/tekster/ny", methods=["GET", "POST"])
def section_new():
    """Add a prose section with its address (slug), title and Markdown text, after the others."""
    form = NewSectionForm()
    if not form.validate_on_submit():
        if request.method == "POST":
            return invalid("admin/section_new.html", form)
        return render_template("admin/section_new.html", form=form)
    fields = {"slug": form.slug.data, "title": form.title.data, "body": form.body.data}
    return edit(
        form,
        "admin/section_new.html",
        lambda plan: lists.add_section(plan, fields, reserved=RESERVED_SLUGS),
        url_for("admin.sections"),
        _("Teksten «%(title)s» er lagt til i utkastet.", title=fields["title"]),
    )


@bp.route("/tekster/<slug>/slett", methods=["GET", "POST"])
def section_remove(slug: str):
    """Ask before removing a prose section; the accessibility and privacy statements cannot go."""
    try:
        current = find_section(draft_data(), slug)
    except drafts.DraftError:
        abort(404)
    form = DeleteForm()
    if request.method == "GET":
        form.base.data = fingerprint(current)
    expected = form.base.data or None
    required = slug in REQUIRED_SECTIONS
    context = {
        "heading": _("Fjerne teksten «%(title)s»?", title=current["title"]),
        "goes": [_("Teksten «%(title)s» og siden den har under «Om planen»", title=current["title"])],
        "blockers": [_("Denne teksten er påkrevd og kan ikke fjernes, bare endres.")] if required else [],
        "back": url_for("admin.section", slug=slug),
    }
    return remove_after_confirm(
        form,
        context,
        lambda plan: lists.remove_section(plan, slug, expected=expected),
        url_for("admin.sections"),
        _("Teksten er fjernet fra utkastet."),
    )


@bp.route("/innstillinger", methods=["GET", "POST"])
def settings():
    """Change the school's and plan's names, the school's language (bokmål or nynorsk) and the archive."""
    data = draft_data()
    current = lists.settings_view(data)
    form = SettingsForm()
    if request.method == "GET":
        for key in ("school", "school_short", "title", "language"):
            form[key].data = current[key]
        form.archive_name.data = current["archive"]["name"]
        form.note_title.data = current["archive"]["note_title"]
        form.note_hint.data = current["archive"]["note_hint"]
        form.base.data = fingerprint(current)
    if not form.validate_on_submit():
        if request.method == "POST":
            return invalid("admin/settings_form.html", form)
        return render_template("admin/settings_form.html", form=form)
    meta = {key: form[key].data for key in ("school", "school_short", "title", "language")}
    archive = {
        "name": form.archive_name.data,
        "note_title": form.note_title.data,
        "note_hint": form.note_hint.data,
    }
    expected = form.base.data or None
    return edit(
        form,
        "admin/settings_form.html",
        lambda plan: lists.save_settings(plan, meta, archive, expected=expected),
        url_for("admin.index"),
        _("Innstillingene er lagret i utkastet."),
    )

"""The places an alert can name, kept by an admin under /admin/steder: add, rename, deactivate, reorder."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from backend.forms import EmptyForm, PlaceForm
from backend.models import Place, get_by_id
from backend.routes.admin import admin_context, fresh_admin_only
from backend.routes.common import no_store
from backend.services import alerts

bp = Blueprint("places", __name__, url_prefix="/admin/steder")


# The same guard, admin menu and no-store as the rest of /admin; the plan need not be imported yet.
bp.before_request(fresh_admin_only)
bp.context_processor(admin_context)
bp.after_request(no_store)


def _page(form: PlaceForm | None = None, status: int = 200, rename_errors: dict | None = None):
    return (
        render_template(
            "admin/places.html",
            places=alerts.all_places(),
            form=form or PlaceForm(formdata=None),
            rename_form=PlaceForm(formdata=None),
            button_form=EmptyForm(),
            rename_errors=rename_errors or {},
        ),
        status,
    )


@bp.get("")
def index():
    """List the places the alert form offers, in order, with the inactive ones below."""
    return _page()


@bp.post("/ny")
def add():
    """Add a place at the end of the list."""
    form = PlaceForm()
    if not form.validate_on_submit():
        return _page(form, 422)
    try:
        place = alerts.add_place(form.name.data)
    except alerts.PlaceError as error:
        form.name.errors = [str(error)]
        return _page(form, 422)
    flash(_("«%(name)s» er lagt til.", name=place.name), "success")
    return redirect(url_for("places.index"))


def _place_or_404(place_id: int) -> Place:
    place = get_by_id(Place, place_id)
    if place is None:
        abort(404)
    return place


@bp.post("/<dbid:place_id>")
def rename(place_id: int):
    """Give a place a new name."""
    _place_or_404(place_id)
    form = PlaceForm()
    if not form.validate_on_submit():
        return _page(status=422, rename_errors={place_id: form.name.errors})
    try:
        place = alerts.rename_place(place_id, form.name.data)
    except alerts.PlaceError as error:
        return _page(status=422, rename_errors={place_id: [str(error)]})
    flash(_("Stedet heter nå «%(name)s».", name=place.name), "success")
    return redirect(url_for("places.index"))


@bp.post("/<dbid:place_id>/flytt")
def move(place_id: int):
    """Move a place up or down in the alert form."""
    _place_or_404(place_id)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("places.index"))
    try:
        alerts.move_place(place_id, request.form.get("retning", ""))
    except alerts.PlaceError as error:
        flash(str(error), "error")
    return redirect(url_for("places.index"))


@bp.post("/<dbid:place_id>/deaktiver")
def deactivate(place_id: int):
    """Take a place out of the alert form; past alerts keep it."""
    _place_or_404(place_id)
    if EmptyForm().validate_on_submit():
        place = alerts.set_place_active(place_id, False)
        flash(_("«%(name)s» vises ikke lenger i varselskjemaet.", name=place.name), "success")
    return redirect(url_for("places.index"))


@bp.post("/<dbid:place_id>/aktiver")
def activate(place_id: int):
    """Put a place back into the alert form."""
    _place_or_404(place_id)
    if EmptyForm().validate_on_submit():
        place = alerts.set_place_active(place_id, True)
        flash(_("«%(name)s» er med i varselskjemaet igjen.", name=place.name), "success")
    return redirect(url_for("places.index"))

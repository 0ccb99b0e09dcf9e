"""The places an alert can name (rooms and areas, never people), kept by an admin."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from backend.database import write_transaction
from backend.extensions import db
from backend.models import Place

PLACE_NAME_MAX = 80


class PlaceError(ValueError):
    """A change to the places list that cannot be made; the message is Norwegian."""


def active_places() -> list[Place]:
    """Return the places an alert can name, in the admin's order."""
    return list(
        db.session.execute(
            select(Place).where(Place.active.is_(True)).order_by(Place.sort_order, Place.name)
        ).scalars()
    )


def all_places() -> list[Place]:
    """Return every place, active first, in the admin's order."""
    return list(
        db.session.execute(
            select(Place).order_by(Place.active.desc(), Place.sort_order, Place.name, Place.id)
        ).scalars()
    )


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise PlaceError(_("Skriv navnet på stedet."))
    if len(name) > PLACE_NAME_MAX:
        raise PlaceError(_("Høyst %(count)s tegn.", count=PLACE_NAME_MAX))
    return name


def _name_taken(name: str, except_id: int | None = None) -> bool:
    # Compared in Python: SQLite's lower() folds only ASCII, so «Í» and «í» would both get in.
    # The list is a school's rooms and areas: a few dozen rows.
    rows = db.session.execute(select(Place.id, Place.name)).all()
    wanted = name.casefold()
    return any(row.name.casefold() == wanted and row.id != except_id for row in rows)


def add_place(name: str) -> Place:
    """Add a place at the end of the list."""
    with write_transaction():
        name = _clean_name(name)
        if _name_taken(name):
            raise PlaceError(_("«%(name)s» finnes allerede i listen.", name=name))
        last = db.session.execute(select(func.max(Place.sort_order))).scalar_one_or_none() or 0
        place = Place(name=name, sort_order=last + 1, active=True)
        db.session.add(place)
    return place


def _place(place_id: int) -> Place:
    place = db.session.get(Place, place_id)
    if place is None:
        raise PlaceError(_("Fant ikke stedet."))
    return place


def rename_place(place_id: int, name: str) -> Place:
    """Give a place a new name; past alerts show the new name too."""
    with write_transaction():
        place = _place(place_id)
        name = _clean_name(name)
        if _name_taken(name, except_id=place.id):
            raise PlaceError(_("«%(name)s» finnes allerede i listen.", name=name))
        place.name = name
    return place


def set_place_active(place_id: int, active: bool) -> Place:
    """Take a place out of the alert form (or back in); alerts that named it keep it."""
    with write_transaction():
        place = _place(place_id)
        place.active = active
    return place


def move_place(place_id: int, direction: str) -> None:
    """Move a place one step up or down among the active places."""
    if direction not in ("opp", "ned"):
        raise PlaceError(_("Ukjent retning."))
    with write_transaction():
        places = list(
            db.session.execute(
                select(Place).where(Place.active.is_(True)).order_by(Place.sort_order, Place.name, Place.id)
            ).scalars()
        )
        index = next((i for i, p in enumerate(places) if p.id == place_id), None)
        if index is None:
            raise PlaceError(_("Fant ikke stedet."))
        other = index - 1 if direction == "opp" else index + 1
        if 0 <= other < len(places):
            places[index], places[other] = places[other], places[index]
        for number, place in enumerate(places, start=1):
            place.sort_order = number

"""Edits of the plan's lists: checklists, service numbers, the annual wheel's activities, prose sections.

Each list item is found by its id (a month's activity by month and place), carries a fingerprint from the
form, and a removal that would leave the plan without something it needs is refused in words.
"""

from __future__ import annotations

from flask_babel import gettext as _

from backend.content.schema import REQUIRED_SECTIONS, SLUG_RE
from backend.services.draft import DraftError
from backend.services.plan_edit import EditConflict, check_fingerprint, move_item, slugify

# The school year starts in August: a new month goes in before the first month that comes after it.
SCHOOL_YEAR_START = 8


# --- Checklists -----------------------------------------------------------------------------------


def checklists(data: dict) -> list[dict]:
    """Return the checklists of plan data in content order."""
    return data["checklist_list"]["checklists"]


def find_checklist(data: dict, checklist_id: str) -> dict:
    """Return a checklist by id; raise DraftError if it does not exist."""
    for checklist in checklists(data):
        if checklist["id"] == checklist_id:
            return checklist
    raise DraftError(_("Fant ikke sjekklisten. Den kan være fjernet av en annen administrator."))


def save_checklist(data: dict, checklist_id: str | None, fields: dict, *, expected: str | None = None) -> str:
    """Add a checklist at the end (checklist_id None) or change one; return its id."""
    if checklist_id is None:
        taken = {c["id"] for c in checklists(data)}
        checklist = {"id": slugify(fields["title"], taken, "sjekkliste"), **fields}
        checklists(data).append(checklist)
        return checklist["id"]
    checklist = find_checklist(data, checklist_id)
    check_fingerprint(checklist, expected)
    checklist.update(fields)
    return checklist_id


def move_checklist(data: dict, checklist_id: str, direction: str) -> None:
    """Move a checklist one place up or down (the order the public checklist page shows them in)."""
    checklist = find_checklist(data, checklist_id)
    move_item(checklists(data), checklists(data).index(checklist), direction)


def remove_checklist(data: dict, checklist_id: str, *, expected: str | None = None) -> None:
    """Remove a checklist; the plan keeps at least one."""
    checklist = find_checklist(data, checklist_id)
    check_fingerprint(checklist, expected)
    if len(checklists(data)) == 1:
        raise DraftError(_("Planen må ha minst én sjekkliste."))
    checklists(data).remove(checklist)


# --- Service numbers ------------------------------------------------------------------------------


def services(data: dict) -> list[dict]:
    """Return the service numbers (police, barnevernvakt, ...) of plan data in content order."""
    return data["contacts"]["services"]


def find_service(data: dict, service_id: str) -> dict:
    """Return a service number by id; raise DraftError if it does not exist."""
    for service in services(data):
        if service["id"] == service_id:
            return service
    raise DraftError(_("Fant ikke nummeret. Det kan være fjernet av en annen administrator."))


def service_uses(data: dict, service_id: str) -> list[str]:
    """Return the procedures that show a service number, by label."""
    return [p["label"] for p in data["procedure_list"]["procedures"] if service_id in p.get("services", [])]


def save_service(data: dict, service_id: str | None, fields: dict, *, expected: str | None = None) -> str:
    """Add a service number at the end (service_id None) or change one; return its id."""
    if service_id is None:
        taken = {s["id"] for s in services(data)}
        service = {"id": slugify(fields["label"], taken, "nummer"), **fields}
        services(data).append(service)
        return service["id"]
    service = find_service(data, service_id)
    check_fingerprint(service, expected)
    service.update(fields)
    return service_id


def remove_service(data: dict, service_id: str, *, expected: str | None = None) -> None:
    """Remove a service number no procedure shows any more."""
    service = find_service(data, service_id)
    check_fingerprint(service, expected)
    uses = service_uses(data, service_id)
    if uses:
        raise DraftError(
            _(
                "«%(label)s» vises fortsatt med %(procedures)s. Fjern nummeret der først.",
                label=service["label"],
                procedures=", ".join(uses),
            )
        )
    services(data).remove(service)


# --- The annual wheel -----------------------------------------------------------------------------


def _school_year_place(month: int) -> int:
    return (month - SCHOOL_YEAR_START) % 12


def save_wheel_text(data: dict, fields: dict, *, expected: str | None = None) -> None:
    """Change the annual wheel's title and intro (the wheel must exist)."""
    wheel = data.get("annual_wheel")
    if wheel is None:
        raise DraftError(_("Planen har ikke noe årshjul ennå. Legg til en aktivitet først."))
    check_fingerprint({k: v for k, v in wheel.items() if k != "months"}, expected)
    wheel.update(fields)


def add_activity(data: dict, month: int, activity: dict, *, title: str = "") -> int:
    """Add an activity to a month (a new month goes in school-year order; a new wheel gets `title`).

    Return the activity's place in its month.
    """
    if not 1 <= month <= 12:
        raise DraftError(_("Velg en måned."))
    wheel = data.get("annual_wheel")
    if wheel is None:
        if not title:
            raise DraftError(_("Skriv en overskrift for årshjulet."))
        wheel = data["annual_wheel"] = {"title": title, "intro": None, "months": []}
    months = wheel["months"]
    found = next((m for m in months if m["month"] == month), None)
    if found is None:
        found = {"month": month, "activities": []}
        place = next(
            (i for i, m in enumerate(months) if _school_year_place(m["month"]) > _school_year_place(month)),
            len(months),
        )
        months.insert(place, found)
    found["activities"].append(activity)
    return len(found["activities"]) - 1


def find_activity(data: dict, month: int, index: int) -> tuple[dict, dict]:
    """Return (month, activity) by month number and place; raise DraftError if it is not there."""
    wheel = data.get("annual_wheel") or {"months": []}
    found = next((m for m in wheel["months"] if m["month"] == month), None)
    if found is None or not 0 <= index < len(found["activities"]):
        raise DraftError(_("Fant ikke aktiviteten. Den kan være fjernet av en annen administrator."))
    return found, found["activities"][index]


def save_activity(
    data: dict, month: int, index: int, fields: dict, *, expected: str | None = None
) -> tuple[int, int]:
    """Change an activity's text, responsible role and month; return its (month, place) afterwards.

    In the same month it keeps its place; moved to another month it goes last there (a month left
    empty goes). An activity that is gone or moved since the form showed it is a conflict, not a new one.
    """
    new_month = fields["month"]
    if not 1 <= new_month <= 12:
        raise DraftError(_("Velg en måned."))
    try:
        found, activity = find_activity(data, month, index)
    except DraftError as error:
        if expected is None:
            raise
        raise EditConflict(str(error)) from error
    check_fingerprint(activity, expected)
    activity.update({"text": fields["text"], "responsible": fields["responsible"]})
    if new_month == month:
        return month, index
    del found["activities"][index]
    if not found["activities"]:
        data["annual_wheel"]["months"].remove(found)
    return new_month, add_activity(data, new_month, activity)


def remove_activity(data: dict, month: int, index: int, *, expected: str | None = None) -> bool:
    """Remove an activity; an empty month goes, and the wheel goes with its last activity. True if it went."""
    found, activity = find_activity(data, month, index)
    check_fingerprint(activity, expected)
    del found["activities"][index]
    wheel = data["annual_wheel"]
    if not found["activities"]:
        wheel["months"].remove(found)
    if not wheel["months"]:
        data["annual_wheel"] = None
        return True
    return False


def remove_wheel(data: dict, *, expected: str | None = None) -> None:
    """Remove the whole annual wheel (its public page goes with it)."""
    wheel = data.get("annual_wheel")
    if wheel is None:
        raise DraftError(_("Planen har ikke noe årshjul."))
    check_fingerprint(wheel, expected)
    data["annual_wheel"] = None


def activity_count(data: dict) -> int:
    """Return how many activities the annual wheel has (0 without a wheel)."""
    wheel = data.get("annual_wheel") or {"months": []}
    return sum(len(m["activities"]) for m in wheel["months"])


# --- Sections -------------------------------------------------------------------------------------


def add_section(data: dict, fields: dict, *, reserved: set[str] = frozenset()) -> str:
    """Add a prose section at the end, under a slug the admin chose; return the slug."""
    slug = fields["slug"]
    if not SLUG_RE.match(slug):
        raise DraftError(
            _("Adressen kan bare ha små bokstaver a–z, tall og bindestrek, for eksempel «rutiner».")
        )
    if slug in reserved or any(s["slug"] == slug for s in data["sections"]):
        raise DraftError(_("Adressen «%(slug)s» er allerede i bruk. Velg en annen.", slug=slug))
    data["sections"].append({"body_en": None, **fields})
    return slug


def remove_section(data: dict, slug: str, *, expected: str | None = None) -> None:
    """Remove a prose section; the accessibility and privacy statements are required and stay."""
    if slug in REQUIRED_SECTIONS:
        raise DraftError(_("Denne teksten er påkrevd og kan ikke fjernes, bare endres."))
    found = next((s for s in data["sections"] if s["slug"] == slug), None)
    if found is None:
        raise DraftError(_("Fant ikke teksten."))
    check_fingerprint(found, expected)
    data["sections"].remove(found)


# --- Settings -------------------------------------------------------------------------------------


def save_settings(data: dict, meta: dict, archive: dict, *, expected: str | None = None) -> None:
    """Change the plan's names, its language and the archive system's wording."""
    check_fingerprint(settings_view(data), expected)
    data["meta"].update(meta)
    data["meta"]["archive"].update(archive)


def settings_view(data: dict) -> dict:
    """Return the part of the plan the settings page edits (its fingerprint guards the form)."""
    meta = data["meta"]
    keys = ("school", "school_short", "title", "language")
    return {**{k: meta[k] for k in keys}, "archive": meta["archive"]}

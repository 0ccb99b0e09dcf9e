"""Edits of the plan's roles (roles.yaml in the draft): add, rename, call chain, reorder, remove when unused.

A role is named by id in steps, meetings, contacts and the annual wheel; it can only go when nothing
names it any more, and the refusal says where it is still used so the admin knows what to change.
"""

from __future__ import annotations

from flask_babel import gettext as _

from backend.services.draft import DraftError
from backend.services.plan_edit import check_fingerprint, iter_contacts, move_item, slugify


def short(text: str, length: int = 60) -> str:
    """Return a text cut to about `length` characters, for naming a step or activity in a sentence."""
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def find_role(data: dict, role_id: str) -> dict:
    """Return a role by id; raise DraftError if it does not exist."""
    for role in data["roles"]:
        if role["id"] == role_id:
            return role
    raise DraftError(_("Fant ikke rollen. Den kan være fjernet av en annen administrator."))


def role_uses(data: dict, role_id: str) -> list[str]:
    """Return where a role is named, one phrase each (steps, meetings, contacts, the annual wheel)."""
    uses: list[str] = []
    for procedure in data["procedure_list"]["procedures"]:
        for step in procedure["steps"]:
            if step["role"] == role_id:
                uses.append(
                    _(
                        "%(procedure)s, steget «%(step)s»",
                        procedure=procedure["label"],
                        step=short(step["text"]),
                    )
                )
        meeting = procedure.get("meeting") or {}
        if meeting.get("called_by") == role_id:
            uses.append(_("%(procedure)s: hvem som kaller inn til møtet", procedure=procedure["label"]))
        if meeting.get("minutes_by") == role_id:
            uses.append(_("%(procedure)s: hvem som skriver referat fra møtet", procedure=procedure["label"]))
    for contact in iter_contacts(data):
        if role_id in contact.get("roles", []):
            uses.append(_("kontakten %(name)s", name=contact["name"]))
    wheel = data.get("annual_wheel") or {}
    for month in wheel.get("months", []):
        for activity in month["activities"]:
            if activity["responsible"] == role_id:
                uses.append(_("årshjulet, aktiviteten «%(text)s»", text=short(activity["text"])))
    return uses


def _label_free(data: dict, label: str, role_id: str | None) -> None:
    wanted = label.casefold()
    if any(r["label"].casefold() == wanted and r["id"] != role_id for r in data["roles"]):
        raise DraftError(_("Det finnes allerede en rolle som heter «%(label)s».", label=label))


def save_role(data: dict, role_id: str | None, fields: dict, *, expected: str | None = None) -> str:
    """Add a role at the end (role_id None) or change its label and call chain; return its id."""
    _label_free(data, fields["label"], role_id)
    if role_id is None:
        taken = {r["id"] for r in data["roles"]}
        role = {"id": slugify(fields["label"], taken, "rolle"), **fields}
        data["roles"].append(role)
        return role["id"]
    role = find_role(data, role_id)
    check_fingerprint(role, expected)
    role.update(fields)
    return role_id


def remove_role(data: dict, role_id: str, *, expected: str | None = None) -> None:
    """Remove a role nothing names any more; otherwise say where it is still used."""
    role = find_role(data, role_id)
    check_fingerprint(role, expected)
    uses = role_uses(data, role_id)
    if uses:
        raise DraftError(
            _(
                "«%(role)s» brukes fortsatt: %(uses)s. Velg en annen rolle der først.",
                role=role["label"],
                uses="; ".join(uses),
            )
        )
    if len(data["roles"]) == 1:
        raise DraftError(_("Planen må ha minst én rolle."))
    data["roles"].remove(role)


def move_role(data: dict, role_id: str, direction: str) -> None:
    """Move a role one place up or down (the order in which roles are listed and offered)."""
    role = find_role(data, role_id)
    move_item(data["roles"], data["roles"].index(role), direction)

"""Edits of the plan's data (a dict shaped like Plan.model_dump(mode="json")), used on the draft.

Each function changes the dict in place and raises DraftError with a Norwegian message when the edit
cannot be done. Items carry a fingerprint of how they looked when the form was opened; an edit of an
item someone else changed meanwhile is refused instead of overwriting their change.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from flask_babel import gettext as _

from backend.services.draft import DraftError

TRANSLITERATE = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "Æ": "ae", "Ø": "o", "Å": "a"})


class EditConflict(DraftError):
    """The item changed since the form was opened."""


def fingerprint(item: Any) -> str:
    """Return a short hash of an item's content, carried by the edit form."""
    text = json.dumps(item, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def check_fingerprint(item: Any, expected: str | None) -> None:
    """Refuse an edit of an item that changed since the form showed it."""
    if expected is not None and fingerprint(item) != expected:
        raise EditConflict(
            _(
                "Noen andre har endret dette mens du redigerte. Vi har ikke lagret noe; "
                "last inn siden på nytt og gjør endringen igjen."
            )
        )


def slugify(text: str, taken: set[str], fallback: str = "punkt") -> str:
    """Return a slug for a new id (æ→ae, ø→o, å→a), unique among the taken ones."""
    text = unicodedata.normalize("NFKD", text.translate(TRANSLITERATE))
    base = re.sub(r"[^a-z0-9]+", "-", text.encode("ascii", "ignore").decode().lower()).strip("-")[:48]
    base = base.strip("-") or fallback
    slug, number = base, 2
    while slug in taken:
        slug = f"{base}-{number}"
        number += 1
    return slug


def move_item(items: list, index: int, direction: str) -> None:
    """Swap the item at `index` with its neighbour above («opp») or below («ned»); at an end, do nothing."""
    target = index - 1 if direction == "opp" else index + 1
    if direction not in {"opp", "ned"}:
        raise DraftError(_("Ukjent retning."))
    if 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]


# --- Contacts -------------------------------------------------------------------------------------


def iter_contacts(data: dict) -> Iterator[dict]:
    """Yield every contact of the plan data, in the order of the contact list."""
    for group in data["contacts"]["groups"]:
        yield from group["contacts"]


def find_contact(data: dict, contact_id: str) -> tuple[dict, int, dict]:
    """Return (group, index, contact) for a contact id; raise DraftError if it does not exist."""
    for group in data["contacts"]["groups"]:
        for index, contact in enumerate(group["contacts"]):
            if contact["id"] == contact_id:
                return group, index, contact
    raise DraftError(_("Fant ikke kontakten. Den kan være fjernet av en annen administrator."))


def find_group(data: dict, group_id: str) -> dict:
    """Return a contact group by id."""
    for group in data["contacts"]["groups"]:
        if group["id"] == group_id:
            return group
    raise DraftError(_("Fant ikke gruppen."))


def _group_for(data: dict, group_id: str, new_group_title: str) -> dict:
    if group_id == "ny":
        title = new_group_title.strip()
        if not title:
            raise DraftError(_("Skriv navnet på den nye gruppen."))
        taken = {g["id"] for g in data["contacts"]["groups"]}
        group = {"id": slugify(title, taken, "gruppe"), "title": title, "contacts": []}
        data["contacts"]["groups"].append(group)
        return group
    return find_group(data, group_id)


def save_contact(
    data: dict,
    contact_id: str | None,
    fields: dict[str, Any],
    *,
    group_id: str,
    new_group_title: str = "",
    expected: str | None = None,
) -> str:
    """Add a contact (contact_id None) or change one; return its id. Moving group puts it last there."""
    group = _group_for(data, group_id, new_group_title)
    if contact_id is None:
        taken = {c["id"] for g in data["contacts"]["groups"] for c in g["contacts"]}
        contact = {"id": slugify(fields["name"], taken, "kontakt"), **fields}
        group["contacts"].append(contact)
        return contact["id"]
    old_group, index, contact = find_contact(data, contact_id)
    check_fingerprint(contact, expected)
    contact.update(fields)
    if old_group is not group:
        del old_group["contacts"][index]
        group["contacts"].append(contact)
        _drop_empty_groups(data)
    return contact_id


def _drop_empty_groups(data: dict) -> None:
    data["contacts"]["groups"] = [g for g in data["contacts"]["groups"] if g["contacts"]]


def remove_contact(data: dict, contact_id: str, *, expected: str | None = None) -> None:
    """Remove a contact; a group left empty goes too."""
    group, index, contact = find_contact(data, contact_id)
    check_fingerprint(contact, expected)
    if data.get("statements", {}).get("feedback_contact") == contact_id:
        raise DraftError(
            _(
                "%(name)s tar imot tilbakemeldinger på erklæringene. "
                "Velg en annen under «Erklæringer» først, så kan du fjerne kontakten.",
                name=contact["name"],
            )
        )
    del group["contacts"][index]
    _drop_empty_groups(data)
    if not data["contacts"]["groups"]:
        raise DraftError(_("Kontaktlisten kan ikke være tom."))


def move_contact(data: dict, contact_id: str, direction: str) -> None:
    """Move a contact one place up or down within its group."""
    group, index, _contact = find_contact(data, contact_id)
    move_item(group["contacts"], index, direction)


def move_group(data: dict, group_id: str, direction: str) -> None:
    """Move a contact group one place up or down."""
    groups = data["contacts"]["groups"]
    group = find_group(data, group_id)
    move_item(groups, groups.index(group), direction)


def rename_group(data: dict, group_id: str, title: str) -> None:
    """Change the heading of a contact group."""
    find_group(data, group_id)["title"] = title


# --- Alternatives and steps -----------------------------------------------------------------------


def find_alternative(data: dict, alternative_id: str) -> dict:
    """Return a procedure by id."""
    for alternative in data["procedure_list"]["procedures"]:
        if alternative["id"] == alternative_id:
            return alternative
    raise DraftError(_("Fant ikke alternativet."))


def find_step(alternative: dict, step_id: str) -> tuple[int, dict]:
    """Return (index, step) of a step by id."""
    for index, step in enumerate(alternative["steps"]):
        if step["id"] == step_id:
            return index, step
    raise DraftError(_("Fant ikke steget. Det kan være fjernet av en annen administrator."))


def save_step(
    data: dict, alternative_id: str, step_id: str | None, fields: dict, *, expected: str | None = None
) -> str:
    """Add a step at the end (step_id None) or change one; return its id."""
    alternative = find_alternative(data, alternative_id)
    if step_id is None:
        taken = {s["id"] for s in alternative["steps"]}
        step = {"id": slugify(fields["text"][:40], taken, "steg"), **fields}
        alternative["steps"].append(step)
        return step["id"]
    _index, step = find_step(alternative, step_id)
    check_fingerprint(step, expected)
    step.update(fields)
    return step_id


def remove_step(data: dict, alternative_id: str, step_id: str, *, expected: str | None = None) -> None:
    """Remove a step."""
    alternative = find_alternative(data, alternative_id)
    index, step = find_step(alternative, step_id)
    check_fingerprint(step, expected)
    del alternative["steps"][index]


def move_step(data: dict, alternative_id: str, step_id: str, direction: str) -> None:
    """Move a step one place up or down."""
    alternative = find_alternative(data, alternative_id)
    index, _step = find_step(alternative, step_id)
    move_item(alternative["steps"], index, direction)


def save_alternative_text(data: dict, alternative_id: str, fields: dict, *, expected: str | None) -> None:
    """Change an alternative's lead texts and its meeting (text, agenda)."""
    alternative = find_alternative(data, alternative_id)
    check_fingerprint({k: v for k, v in alternative.items() if k != "steps"}, expected)
    meeting_fields = fields.pop("meeting", None)
    alternative.update(fields)
    if meeting_fields is not None:
        if alternative.get("meeting") is None:
            raise DraftError(_("Dette alternativet har ikke noe oppfølgingsmøte."))
        alternative["meeting"].update(meeting_fields)


def alternative_fingerprint(alternative: dict) -> str:
    """Return the fingerprint of an alternative's own texts (not its steps)."""
    return fingerprint({k: v for k, v in alternative.items() if k != "steps"})


# --- Sections -------------------------------------------------------------------------------------


def find_section(data: dict, slug: str) -> dict:
    """Return a prose section by slug."""
    for section in data["sections"]:
        if section["slug"] == slug:
            return section
    raise DraftError(_("Fant ikke teksten."))


def lines(text: str) -> list[str]:
    """Split a textarea into its non-empty lines."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def parse_links(text: str) -> list[dict[str, str]]:
    """Read links written one a line as «Tittel | https://adresse»; raise DraftError naming the line."""
    found = []
    for number, line in enumerate(lines(text), start=1):
        title, sep, url = line.rpartition("|")
        title, url = title.strip(), url.strip()
        if not sep or not title:
            raise DraftError(_("Linje %(number)s: skriv «Tittel | https://adresse».", number=number))
        if not re.fullmatch(r"https://[^\s]+", url):
            raise DraftError(
                _("Linje %(number)s: adressen må begynne med https:// og ha ingen mellomrom.", number=number)
            )
        found.append({"title": title, "url": url})
    return found


def format_links(links: list[dict[str, str]]) -> str:
    """Write links as the textarea shows them."""
    return "\n".join(f"{link['title']} | {link['url']}" for link in links)


def format_laws(laws: list[dict]) -> str:
    """Write the laws as the links page edits them: «## Name» and its links, one a line."""
    parts = []
    for law in laws:
        parts.append(f"## {law['name']}\n{format_links(law['links'])}")
    return "\n\n".join(parts)


def parse_laws(text: str) -> list[dict]:
    """Read the laws back from the links page; raise DraftError naming what is missing."""
    laws: list[dict] = []
    buffer: list[str] = []
    name = None
    for raw in (text or "").splitlines():
        line = raw.strip()
        if line.startswith("## "):
            if name is not None:
                laws.append({"name": name, "links": parse_links("\n".join(buffer))})
            name, buffer = line[3:].strip(), []
        elif line:
            if name is None:
                raise DraftError(_("Start med en linje «## Navn på loven» før lenkene."))
            buffer.append(line)
    if name is not None:
        laws.append({"name": name, "links": parse_links("\n".join(buffer))})
    for law in laws:
        if not law["name"]:
            raise DraftError(_("Hver lov må ha et navn etter «## »."))
        if not law["links"]:
            raise DraftError(_("«%(name)s» må ha minst én lenke.", name=law["name"]))
    if not laws:
        raise DraftError(_("Skriv minst én lov."))
    return laws

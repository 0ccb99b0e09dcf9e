"""A readable comparison of two versions of the plan: what was added, removed or changed, in words."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from backend.services import phones

# Lazy: each is read in the language of the page that shows the change.
FIELD_LABELS: dict[str, Any] = {
    "meta": _l("Om planen"),
    "checklist_list": _l("Sjekkliste"),
    "procedure_list": _l("Hva gjør vi?"),
    "roles": _l("Roller"),
    "call_chain": _l("Ringes i akutte saker"),
    "services": _l("Numre"),
    "lists": _l("Lister"),
    "items": _l("Punkter"),
    "annual_wheel": _l("Årshjul"),
    "months": _l("Måneder"),
    "month": _l("Måned"),
    "activities": _l("Aktiviteter"),
    "language": _l("Språk"),
    "archive": _l("Arkivsystem"),
    "note_title": _l("Notatets tittel"),
    "note_hint": _l("Notatets hjelpetekst"),
    "body_en": _l("Tekst på engelsk"),
    "contacts": _l("Kontakter"),
    "links": _l("Lenker"),
    "prevention": _l("Forebygging"),
    "sections": _l("Tekster"),
    "evaluation": _l("Evaluering"),
    "groups": _l("Grupper"),
    "laws": _l("Lovverk"),
    "useful": _l("Nyttige lenker"),
    "signs": _l("Tegn"),
    "steps": _l("Steg"),
    "meeting": _l("Møtet"),
    "agenda": _l("Agenda"),
    "attendees": _l("Deltakere"),
    "goals": _l("Mål"),
    "scope": _l("Omfang"),
    "name": _l("Navn"),
    "role": _l("Rolle"),
    "phone": _l("Telefon"),
    "title": _l("Tittel"),
    "label": _l("Navn"),
    "text": _l("Tekst"),
    "body": _l("Tekst"),
    "quote": _l("Sitat"),
    "intro": _l("Innledning"),
    "after_steps": _l("Etter stegene"),
    "heading": _l("Overskrift"),
    "audience": _l("Gjelder"),
    "url": _l("Adresse"),
    "version": _l("Versjon"),
    "version_date": _l("Versjonsdato"),
    "next_revision": _l("Neste revisjon"),
    "next_revision_date": _l("Dato for neste revisjon"),
    "responsible": _l("Ansvarlig"),
    "school_year": _l("Skoleår"),
    "drug_responsible": _l("Spesielt ansvar for rusrelaterte saker"),
    "description": _l("Beskrivelse"),
    "agenda_intro": _l("Innledning til agendaen"),
    "called_by": _l("Kalles inn av"),
    "minutes_by": _l("Referat skrives av"),
    "short": _l("Kort navn"),
    "urgent": _l("Akutt"),
    "derived_from": _l("Følger av"),
    "statements": _l("Erklæringer"),
    "owner": _l("Skoleeier"),
    "feedback_contact": _l("Tar imot tilbakemeldinger"),
    "email": _l("E-post"),
    "accessibility_reviewed": _l("Tilgjengelighetserklæringen gjennomgått"),
    "privacy_reviewed": _l("Personvernerklæringen gjennomgått"),
    # The guided questions and the fields the model's editors change.
    "guide": _l("Spørsmålene"),
    "questions": _l("Spørsmål"),
    "answers": _l("Svar"),
    "start": _l("Første spørsmål"),
    "help": _l("Forklaring"),
    "next": _l("Neste spørsmål"),
    "procedure": _l("Alternativ"),
    "parent": _l("Hører under"),
    "school": _l("Skole"),
    "school_short": _l("Kort navn"),
    "page_title": _l("Sidetittel"),
    "slug": _l("Adresse"),
    "id": _l("Id"),
}

AUDIENCES = {"all": _l("alle"), "under_18": _l("under 18 år"), "over_18": _l("18 år eller eldre")}


# A word, a run of spaces or one punctuation mark: the units a word diff marks.
TOKENS = re.compile(r"\s+|\w+|[^\w\s]")
NUMBER = re.compile(r"\+?[\d ]+")
# Unchanged words kept on each side of a change in a long text; the rest is shown as «…».
CONTEXT_WORDS = 12


@dataclass(frozen=True)
class Piece:
    """A run of text in a word diff: "same", "del" (only before) or "ins" (only after)."""

    kind: str
    text: str


def _shorten(text: str, *, keep_head: bool, keep_tail: bool, context: int) -> str:
    """Shorten an unchanged run of a long text to the words next to the changes around it."""
    tokens = TOKENS.findall(text)
    words = [index for index, token in enumerate(tokens) if not token.isspace()]
    if len(words) <= 2 * context + 1 or not (keep_head or keep_tail):
        return text
    start = words[context] if keep_head else 0
    end = words[-context] if keep_tail else len(tokens)
    head, tail = "".join(tokens[:start]).rstrip(), "".join(tokens[end:]).lstrip()
    return f"{head} … {tail}".strip()


def word_diff(before: str, after: str, context: int = CONTEXT_WORDS) -> list[Piece]:
    """Compare two texts word by word, as a suggestion view marks them.

    Spaces alone between two changes join them into one («<del>Kristin Støten</del><ins>Linda …</ins>»,
    not word against word); a text with no word in common is one removal and one insertion; long
    unchanged runs are shortened to «…» around the changes.
    """
    old, new = TOKENS.findall(before), TOKENS.findall(after)
    blocks: list[list[str]] = []  # [kind, old text, new text], kind "same" or "diff"
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        kind = "same" if op == "equal" else "diff"
        blocks.append([kind, "".join(old[i1:i2]), "".join(new[j1:j2])])
    if not any(kind == "same" and text.strip() for kind, text, _ in blocks):
        return [piece for piece in (Piece("del", before), Piece("ins", after)) if piece.text]
    merged: list[list[str]] = []
    for index, block in enumerate(blocks):
        between = 0 < index < len(blocks) - 1 and blocks[index + 1][0] == "diff"
        spaces = block[0] == "same" and between and not block[1].strip()
        if merged and merged[-1][0] == "diff" and (block[0] == "diff" or spaces):
            merged[-1][1] += block[1]
            merged[-1][2] += block[2]
        else:
            merged.append(block)
    pieces: list[Piece] = []
    for index, (kind, old_text, new_text) in enumerate(merged):
        if kind == "same":
            text = _shorten(old_text, keep_head=index > 0, keep_tail=index < len(merged) - 1, context=context)
            pieces.append(Piece("same", text))
            continue
        if old_text:
            pieces.append(Piece("del", old_text))
        if new_text:
            pieces.append(Piece("ins", new_text))
    return pieces


@dataclass(frozen=True)
class Change:
    """One difference: where in the plan, and the text before and after (None when absent).

    `path` is the stable key of the field (see flatten), used to undo one change in the draft and to
    say who made it.
    """

    where: str
    before: str | None
    after: str | None
    path: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        return "changed"

    @property
    def key(self) -> str:
        """The path as one string, as the draft stores who changed it."""
        return path_key(self.path)

    @property
    def words(self) -> list[Piece]:
        """The word diff of a changed text (empty for an added or removed one)."""
        if self.before is None or self.after is None:
            return []
        if NUMBER.fullmatch(self.before) and NUMBER.fullmatch(self.after):
            # A phone number is read as one thing: «970 83 705» → «912 34 567», not three groups.
            return [Piece("del", self.before), Piece("ins", self.after)]
        return word_diff(self.before, self.after)


def path_key(path: tuple[str, ...]) -> str:
    """Join a flatten() path into the string the draft keeps per changed field."""
    return "/".join(path)


def iter_contacts(data: dict) -> Iterator[dict]:
    """Yield every contact of plan data (as plan_edit does; diff must not import the draft's modules)."""
    for group in data["contacts"]["groups"]:
        yield from group["contacts"]


def _item_name(item: dict[str, Any]) -> str | None:
    for key in ("name", "label", "title"):
        if isinstance(item.get(key), str):
            return item[key]
    return None


def _key(item: Any, index: int) -> str:
    if isinstance(item, dict):
        for key in ("id", "slug", "url", "name"):
            if isinstance(item.get(key), str):
                return f"{key}={item[key]}"
    return f"#{index}"


def _contact_names(*versions: dict[str, Any] | None) -> dict[str, str]:
    """Map contact ids to names over the given versions (the first wins), so a reference reads as a person.

    Role ids map to their labels under the key «role:<id>», so a step's role reads as the school wrote it.
    """
    names: dict[str, str] = {}
    for data in versions:
        for contact in iter_contacts(data) if data else ():
            names.setdefault(contact["id"], contact["name"])
        for role in (data or {}).get("roles") or ():
            if isinstance(role, dict) and "id" in role:
                names.setdefault(f"role:{role['id']}", role.get("label", role["id"]))
    return names


def _show(field: str, value: Any, names: dict[str, str] | None = None, path: tuple = ()) -> str:
    if field == "feedback_contact" and names and value in names:
        return names[value]
    if field == "phone" and isinstance(value, str):
        return phones.display(value)
    if isinstance(value, bool):
        return gettext("ja") if value else gettext("nei")
    role_field = field in {"called_by", "minutes_by", "responsible"} or (
        field == "role" and "procedure_list" in path
    )
    if role_field and names and f"role:{value}" in names:
        return names[f"role:{value}"]
    if field == "audience":
        return str(AUDIENCES.get(value, value))
    return "" if value is None else str(value)


def flatten(data: Any, path: tuple[str, ...] = (), label: tuple[str, ...] = ()) -> dict:
    """Map every leaf of plan data to (human label, field, value), keyed by a stable path.

    The label is a tuple of (lazily translated) parts; compare() joins it into words for the reader.
    """
    out: dict[tuple[str, ...], tuple[tuple, str, Any]] = {}
    if isinstance(data, dict):
        for field, value in data.items():
            # Containers inside a part ("groups", a group's "contacts") add nothing a reader needs.
            quiet = field == "groups" or (path and field in {"contacts", "procedures", "checklists", "lists"})
            shown = label if quiet else (*label, FIELD_LABELS.get(field, field))
            out.update(flatten(value, (*path, field), shown))
    elif isinstance(data, list) and all(not isinstance(v, dict | list) for v in data):
        # A list of plain texts (signs, agenda): compare item by item, in order.
        field = path[-1] if path else ""
        for index, value in enumerate(data):
            out[(*path, f"#{index}")] = ((*label, _l("punkt %(number)s", number=index + 1)), field, value)
    elif isinstance(data, list):
        # A school's only checklist reads «Sjekkliste › Tittel», as before there could be several.
        only = len(data) == 1 and path[-1:] == ("checklists",)
        for index, item in enumerate(data):
            name = _item_name(item) if isinstance(item, dict) and not only else None
            shown = label if only else (*label, name or _l("nr. %(number)s", number=index + 1))
            out.update(flatten(item, (*path, _key(item, index)), shown))
    else:
        field = path[-1] if path else ""
        out[path] = (label, field, data)
    return out


def _where(label: tuple) -> str:
    """Join a flatten() label into the words that say where a change is («Kontakter › Navn › Telefon»)."""
    return " › ".join(str(part) for part in label)


def compare(old: dict[str, Any] | None, new: dict[str, Any]) -> list[Change]:
    """Return the changes from old to new plan data, in the new plan's order, removals last."""
    before = flatten(old or {})
    after = flatten(new)
    names = _contact_names(new, old)
    changes: list[Change] = []
    for path, (where, field, value) in after.items():
        if path not in before:
            changes.append(Change(_where(where), None, _show(field, value, names, path), path))
            continue
        _, _, old_value = before[path]
        if old_value != value:
            shown = _show(field, old_value, names, path), _show(field, value, names, path)
            changes.append(Change(_where(where), *shown, path))
    for path, (where, field, value) in before.items():
        if path not in after:
            changes.append(Change(_where(where), _show(field, value, names, path), None, path))
    return changes


def changed_paths(old: dict[str, Any], new: dict[str, Any]) -> set[str]:
    """Return the path keys of every field that differs between two versions of plan data."""
    before, after = flatten(old), flatten(new)
    return {
        path_key(path)
        for path in before.keys() | after.keys()
        if path not in before or path not in after or before[path][2] != after[path][2]
    }


def as_text(changes: list[Change], moved_lists: list[str] = ()) -> list[str]:
    """The readable diff as plain lines for the command line; changed words as [-old-]{+new+}."""
    lines = [f"{gettext('Flyttet')}: {line}" for line in moved_lists]
    for change in changes:
        if change.kind == "added":
            lines.append(f"{gettext('Lagt til')}: {change.where}: {change.after}")
        elif change.kind == "removed":
            lines.append(f"{gettext('Fjernet')}: {change.where}: {change.before}")
        else:
            marked = "".join(
                piece.text
                if piece.kind == "same"
                else (f"[-{piece.text}-]" if piece.kind == "del" else f"{{+{piece.text}+}}")
                for piece in change.words
            )
            lines.append(f"{gettext('Endret')}: {change.where}: {marked}")
    return lines


def moved(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """Return the lists whose order changed (contacts, steps, roles, checklists), as readable names."""
    found = []
    if not old:
        return found
    for name, getter in (
        (gettext("Kontakter"), lambda d: [c["id"] for g in d["contacts"]["groups"] for c in g["contacts"]]),
        (
            gettext("Steg i fremgangsmåtene"),
            lambda d: [(a["id"], s["id"]) for a in d["procedure_list"]["procedures"] for s in a["steps"]],
        ),
        (gettext("Roller"), lambda d: [r["id"] for r in d["roles"]]),
        (gettext("Sjekklister"), lambda d: [c["id"] for c in d["checklist_list"]["checklists"]]),
    ):
        try:
            a, b = getter(old), getter(new)
        except (KeyError, TypeError):
            continue
        common = [x for x in a if x in b]
        if common != [x for x in b if x in a]:
            found.append(gettext("%(name)s: rekkefølgen er endret", name=name))
    return found

"""Content errors a school can act on: Norwegian text naming the file, the line and the field.

A school edits its content in a text editor (or uploads it as a zip), so an error must say where to look
and what to change in words it knows: «kontakt nr. 1 i gruppen «Ledelse»: telefonnummer mangler», never
pydantic's «Field required» at «groups.0.contacts.0.phone», and never a traceback for a file saved in
the wrong encoding. Everything here is plain data so the CLI and the admin show the same problems.
"""

from __future__ import annotations

import types
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

SAVE_AS_UTF8 = "Lagre filen som UTF-8 (i Notisblokk: «Lagre som» → Koding: UTF-8) og prøv igjen."


@dataclass(frozen=True)
class ContentProblem:
    """One thing wrong in one content file: where it is, which field, and what is wrong."""

    file: str  # as the school knows it: "contacts.yaml", "sections/innledning.md"
    line: int | None  # 1-based, when the file's text can tell
    field: str | None  # the field by its meaning: "kontakt nr. 1 i gruppen «Ledelse»: telefonnummer"
    problem: str  # what is wrong: "mangler", or a whole sentence when there is no field

    @property
    def message(self) -> str:
        """The problem as one line without its place: the field and what is wrong with it."""
        return f"{self.field} {self.problem}" if self.field else self.problem

    @property
    def where(self) -> str:
        """The file, and the line when known: «contacts.yaml, linje 14»."""
        return f"{self.file}, linje {self.line}" if self.line else self.file

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class ContentError(Exception):
    """A content file is missing or malformed; each problem names the file, the line and the field."""

    def __init__(self, path: Path | str, problems: Iterable[ContentProblem | str]):
        self.path = str(path)
        name = Path(path).name
        self.problems = [
            p if isinstance(p, ContentProblem) else ContentProblem(name, None, None, p) for p in problems
        ]
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """One line per problem, each starting with the file's full path (and line)."""
        return [f"{self.path}{f', linje {p.line}' if p.line else ''}: {p.message}" for p in self.problems]


def decode(path: Path | str, data: bytes, name: str) -> str:
    """Return a content file's text; a file not saved as UTF-8 is an error saying so and how to fix it."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ContentError(
            path,
            [
                ContentProblem(
                    name, 1, None, f"filen er lagret som UTF-16 («Unicode»), ikke som UTF-8. {SAVE_AS_UTF8}"
                )
            ],
        )
    try:
        return data.decode("utf-8-sig")  # a byte order mark (Notepad's «UTF-8 med BOM») is fine
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        bad = data[error.start : error.end + 2]
        try:
            shown = bad.decode("cp1252")[: error.end - error.start]
        except UnicodeDecodeError:
            shown = ""
        if shown.isprintable() and shown.strip():
            what = (
                f"filen er ikke lagret som UTF-8, men trolig som Windows-1252 («ANSI»): tegnet «{shown}» "
                "kan ikke leses."
            )
        else:
            what = "filen er ikke lagret som UTF-8, og noen tegn kan ikke leses."
        raise ContentError(path, [ContentProblem(name, line, None, f"{what} {SAVE_AS_UTF8}")]) from None


# What a YAML parser's complaint most likely means, for someone editing by hand.
_YAML_HINTS = (
    ("found character '\\t'", "tabulator brukt til innrykk; bruk mellomrom"),
    ("mapping values are not allowed", "et kolon (:) der det ikke passer; sett teksten i anførselstegn"),
    ("could not find expected ':'", "et kolon (:) mangler etter et feltnavn, eller innrykket er feil"),
    ("while parsing a flow", "en [ eller { er ikke lukket; sett teksten i anførselstegn"),
    ("while scanning a quoted scalar", "et anførselstegn er ikke lukket"),
    ("expected <block end>", "innrykket stemmer ikke med linjene over"),
    ("while parsing a block", "innrykket stemmer ikke med linjene over"),
    ("found undefined alias", "teksten begynner med * ; sett den i anførselstegn"),
    ("special characters are not allowed", "filen inneholder et kontrolltegn som ikke er tillatt"),
)


def yaml_problem(path: Path | str, name: str, text: str, error: yaml.YAMLError) -> ContentError:
    """Return the error for a file that is not valid YAML, with its line and a likely cause in Norwegian."""
    mark = getattr(error, "problem_mark", None)
    if mark is not None:
        line = mark.line + 1
    elif isinstance(getattr(error, "position", None), int):
        line = text.count("\n", 0, error.position) + 1
    else:
        line = None
    described = str(error)
    hint = next((hint for key, hint in _YAML_HINTS if key in described), "innrykk, kolon eller anførselstegn")
    return ContentError(path, [ContentProblem(name, line, None, f"ugyldig YAML: {hint}.")])


# Each key the content files use, in words a school knows (with the key when the words alone would
# not find it in the file).
FIELD_LABELS: dict[str, str] = {
    "school": "skolens navn",
    "school_short": "skolens korte navn (school_short)",
    "title": "tittel",
    "school_year": "skoleår",
    "scope": "virkeområdet (scope)",
    "goals": "målene",
    "evaluation": "evalueringen",
    "version": "versjon",
    "version_date": "versjonsdato (version_date)",
    "next_revision": "neste revisjon (next_revision)",
    "next_revision_date": "dato for neste revisjon (next_revision_date)",
    "responsible": "ansvarlig (responsible)",
    "explanation": "forklaring",
    "quote": "sitatet",
    "signs": "tegnene (signs)",
    "id": "id",
    "text": "tekst",
    "language": "språket (language: nb eller nn)",
    "archive": "arkivsystemet (archive)",
    "note_title": "notatets tittel (note_title)",
    "note_hint": "notatets hjelpetekst (note_hint)",
    "roles": "rollene (roles)",
    "call_chain": "ringes i akutte saker (call_chain)",
    "audience": "hvem det gjelder (audience)",
    "heading": "overskrift (heading)",
    "derived_from": "kilde (derived_from)",
    "contacted": "hvem som kontaktes (contacted)",
    "label": "navn (label)",
    "short": "kort tekst (short)",
    "urgent": "akutt (urgent)",
    "services": "numrene (services)",
    "procedures": "fremgangsmåtene (procedures)",
    "checklists": "sjekklistene (checklists)",
    "lists": "listene (lists)",
    "items": "punktene (items)",
    "months": "månedene (months)",
    "month": "måned (month, 1–12)",
    "activities": "aktivitetene (activities)",
    "body_en": "den engelske teksten",
    "parent": "hører til (parent)",
    "intro": "innledning (intro)",
    "steps": "stegene",
    "after_steps": "tekst etter stegene (after_steps)",
    "meeting": "oppfølgingsmøtet",
    "called_by": "hvem som kaller inn (called_by)",
    "attendees": "deltakerne (attendees)",
    "agenda_intro": "innledning til dagsordenen (agenda_intro)",
    "agenda": "dagsordenen (agenda)",
    "minutes_by": "hvem som skriver referat (minutes_by)",
    "name": "navn",
    "role": "rolle",
    "phone": "telefonnummer",
    "drug_responsible": "rusansvarlig (drug_responsible)",
    "groups": "gruppene",
    "contacts": "kontaktene",
    "description": "beskrivelse",
    "url": "adresse (url)",
    "laws": "lovene (laws)",
    "links": "lenkene",
    "useful": "nyttige lenker (useful)",
    "owner": "skoleeier (owner)",
    "feedback_contact": "den som tar imot tilbakemeldinger (feedback_contact)",
    "email": "e-post",
    "accessibility_reviewed": "dato for siste gjennomgang av tilgjengelighetserklæringen",
    "privacy_reviewed": "dato for siste gjennomgang av personvernerklæringen",
    "slug": "filnavnet",
    "body": "teksten under overskriften",
    "sections": "tekstdelene",
    "start": "første spørsmål (start)",
    "questions": "spørsmålene",
    "help": "forklaring (help)",
    "answers": "svarene",
    "next": "neste spørsmål (next)",
    "procedure": "alternativet (procedure)",
}

# A field that holds a group of fields: how to name what is inside it.
_PART_NAMES = {"evaluation": "evalueringen", "meeting": "oppfølgingsmøtet", "archive": "arkivsystemet"}


def _item_name(key: str, number: int, item: Any) -> str:
    """Name item `number` (1-based) of the list under `key`, by its title or name when it has one."""
    got = item if isinstance(item, dict) else {}

    def text(field: str) -> str | None:
        value = got.get(field)
        return value.strip() if isinstance(value, str) and value.strip() else None

    if key == "groups":
        return f"gruppen «{text('title')}»" if text("title") else f"gruppe nr. {number}"
    if key == "contacts":
        return f"kontakt nr. {number} ({text('name')})" if text("name") else f"kontakt nr. {number}"
    if key == "procedures":
        return f"«{text('label')}»" if text("label") else f"fremgangsmåte nr. {number}"
    if key == "checklists":
        return f"sjekklisten «{text('title')}»" if text("title") else f"sjekkliste nr. {number}"
    if key == "lists":
        return f"listen «{text('title')}»" if text("title") else f"liste nr. {number}"
    if key == "services":
        return f"nummeret «{text('label')}»" if text("label") else f"nummer nr. {number}"
    if key == "roles":
        return f"rollen «{text('id')}»" if text("id") else f"rolle nr. {number}"
    if key == "months":
        month = got.get("month")
        return f"måned {month}" if isinstance(month, int) else f"måned nr. {number}"
    if key == "laws":
        return f"loven «{text('name')}»" if text("name") else f"lov nr. {number}"
    if key == "sections":
        return f"tekstdelen «{text('title')}»" if text("title") else f"tekstdel nr. {number}"
    if key == "questions":
        return f"spørsmålet «{text('id')}»" if text("id") else f"spørsmål nr. {number}"
    if key == "answers":
        return f"svaret «{text('label')}»" if text("label") else f"svar nr. {number}"
    names = {
        "steps": "steg {n}",
        "attendees": "deltaker nr. {n} i møtet",
        "agenda": "punkt nr. {n} på dagsordenen",
        "goals": "mål nr. {n}",
        "scope": "punkt nr. {n} i virkeområdet (scope)",
        "signs": "tegn nr. {n}",
        "links": "lenke nr. {n}",
        "useful": "nyttig lenke nr. {n}",
        "items": "punkt nr. {n}",
        "activities": "aktivitet nr. {n}",
    }
    return names.get(key, "punkt nr. {n}").format(n=number)


def _unwrap(annotation: Any) -> Any:
    """Return the type inside `X | None`."""
    if get_origin(annotation) in (Union, types.UnionType):
        inner = [a for a in get_args(annotation) if a is not type(None)]
        if len(inner) == 1:
            return _unwrap(inner[0])
    return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


@dataclass
class _Place:
    """Where a pydantic error location points, in a school's words and in the file."""

    field: str | None
    annotation: Any  # the type expected there, when known
    node: yaml.Node | None  # the deepest YAML node found on the way
    extra_key_node: yaml.Node | None = None


def _child_node(node: yaml.Node | None, part: str | int) -> tuple[yaml.Node | None, yaml.Node | None]:
    """Return (key node, value node) of `part` under a YAML node, or (None, None)."""
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == part:
                return key, value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return None, node.value[part]
    return None, None


def _locate(model: type[BaseModel], data: Any, root: yaml.Node | None, loc: tuple[str | int, ...]) -> _Place:
    """Follow an error location through the model, the data and the YAML nodes."""
    context: list[str] = []  # innermost last: ["gruppen «Ledelse»", "kontakt nr. 1"]
    leaf: str | None = None
    annotation: Any = model
    node = root
    key_node = None
    last_key: str | None = None
    for part in loc:
        key_node, child = _child_node(node, part)
        if child is not None:
            node = child
        annotation = _unwrap(annotation)
        if isinstance(part, int) and get_origin(annotation) is list:
            item = data[part] if isinstance(data, list) and 0 <= part < len(data) else None
            name = _item_name(last_key or "", part + 1, item)
            element = _unwrap(get_args(annotation)[0]) if get_args(annotation) else None
            if _is_model(element):
                context.append(name)
                leaf = None
            else:
                leaf = name
            annotation, data = element, item
        elif isinstance(part, str):
            field = annotation.model_fields.get(part) if _is_model(annotation) else None
            child_annotation = _unwrap(field.annotation) if field else None
            if leaf is not None:  # a group of fields named by the previous key, such as meeting
                context.append(_PART_NAMES.get(last_key or "", leaf))
            leaf = FIELD_LABELS.get(part, f"feltet «{part}»") if field else f"feltet «{part}»"
            last_key = part
            annotation = child_annotation
            data = data.get(part) if isinstance(data, dict) else None
        else:  # a location the model does not explain: name it plainly
            leaf = f"punkt nr. {part + 1}" if isinstance(part, int) else f"feltet «{part}»"
    where = " i ".join(reversed(context))
    field_text = f"{where}: {leaf}" if leaf and where else (leaf or where or None)
    return _Place(field_text, annotation, node, key_node)


def _allowed_keys(annotation: Any) -> str:
    if not _is_model(annotation):
        return ""
    return ", ".join(annotation.model_fields)


def _literal_choices(annotation: Any) -> list[str]:
    annotation = _unwrap(annotation)
    return [str(a) for a in get_args(annotation)] if get_origin(annotation) is Literal else []


def _predicate(item: dict[str, Any], place: _Place, container: Any) -> str:
    """What is wrong, in words that follow the field's name («mangler», «må være en dato ...»)."""
    kind = item["type"]
    value = item.get("input")
    if kind == "missing":
        return "mangler"
    if kind == "extra_forbidden":
        allowed = _allowed_keys(container)
        return "er ukjent (skrivefeil?)" + (f"; feltene her kan være: {allowed}" if allowed else "")
    if kind == "string_too_short":
        return "er tom"
    if kind == "too_short":
        return "må ha minst ett punkt"
    if kind in ("string_type", "str_type"):
        return "må være tekst" + ("; sett verdien i anførselstegn" if isinstance(value, (int, float)) else "")
    if kind == "literal_error":
        choices = _literal_choices(place.annotation)
        listed = ", ".join(choices) if choices else str(item.get("ctx", {}).get("expected", ""))
        return f"må være en av: {listed} (er «{value}»)"
    if kind.startswith("date") or kind.startswith("datetime"):
        return f"må være en dato skrevet ÅÅÅÅ-MM-DD, for eksempel 2026-06-01 (er «{value}»)"
    if kind.startswith("bool"):
        return "må være true eller false"
    if kind in ("list_type", "tuple_type"):
        return "må være en liste (hvert punkt på en linje som begynner med «- »)"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        if not item["loc"]:
            return (
                "filen er tom"
                if value is None
                else "filen må bestå av felt (ett «navn: verdi» på hver linje)"
            )
        return "må være en gruppe med felt (ett «navn: verdi» på hver linje)"
    if kind == "string_pattern_mismatch":
        pattern = str(item.get("ctx", {}).get("pattern", ""))
        if pattern.startswith("^https://"):
            return f"må være en hel adresse som begynner med https:// (er «{value}»)"
        if "@" in pattern:
            return f"er ikke en gyldig e-postadresse (er «{value}»)"
        return f"har feil form (er «{value}»)"
    if kind in ("value_error", "assertion_error"):
        message = str(item.get("ctx", {}).get("error") or item["msg"]).removeprefix("Value error, ")
        return message
    return "har en verdi som ikke kan brukes"


def describe(
    error: ValidationError,
    model: type[BaseModel],
    data: Any,
    *,
    name: str,
    text: str | None = None,
) -> list[ContentProblem]:
    """Turn a pydantic error about one file into problems a school can act on (file, line, field)."""
    root = None
    if text is not None:
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError:
            root = None
    problems = []
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        place = _locate(model, data, root, loc)
        container = _locate(model, data, None, loc[:-1]).annotation if loc else model
        node = place.extra_key_node if item["type"] == "extra_forbidden" else place.node
        # A missing top-level field has no line of its own; a missing field in an item has the item's.
        top_level_missing = item["type"] == "missing" and len(loc) == 1
        line = node.start_mark.line + 1 if node is not None and loc and not top_level_missing else None
        predicate = _predicate(item, place, _unwrap(container))
        field = place.field
        is_check = item["type"] in ("value_error", "assertion_error")
        if is_check and field is not None and not _ends_with_field(model, loc):
            # A check of a whole group (unique ids, say) says a whole sentence about it.
            predicate, field = f"{field}: {predicate}", None
        problems.append(ContentProblem(name, line, field, predicate))
    return problems


def _ends_with_field(model: type[BaseModel], loc: tuple[str | int, ...]) -> bool:
    """Whether an error location ends at a single value (a field or list item), not a group of fields."""
    annotation = _locate(model, None, None, loc).annotation
    return not _is_model(_unwrap(annotation))

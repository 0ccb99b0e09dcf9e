"""Content errors a school can act on: Norwegian text naming the file, the line and the field.

A school edits its content in a text editor (or uploads it as a zip), so an error must say where to look
and what to change in words it knows: «kontakt nr. 1 i gruppen «Ledelse»: telefonnummer mangler», never
pydantic's «Field required» at «groups.0.contacts.0.phone», and never a traceback for a file saved in
the wrong encoding. Everything here is plain data so the CLI and the admin show the same problems.

Every word goes through gettext (msgids are bokmål), so a problem is written in the language in force
where it is found: the admin's page language in a request, the school's own (plan.yaml `language`)
on the command line, which wraps the check in `force_locale`. Outside an app, the bokmål msgid.
"""

from __future__ import annotations

import types
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import yaml
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, ValidationError


def save_as_utf8() -> str:
    """How to save a file as UTF-8, for someone using Notepad."""
    return _("Lagre filen som UTF-8 (i Notisblokk: «Lagre som» → Koding: UTF-8) og prøv igjen.")


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
        return _("%(file)s, linje %(line)s", file=self.file, line=self.line) if self.line else self.file

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class ContentError(Exception):
    """A content file is missing or malformed; each problem names the file, the line and the field."""

    def __init__(self, path: Path | str, problems: Iterable[ContentProblem | str]):
        self.path = str(path)
        name = Path(path).name
        self.problems = [
            p if isinstance(p, ContentProblem) else ContentProblem(name, None, None, str(p)) for p in problems
        ]
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """One line per problem, each starting with the file's full path (and line)."""
        lines = []
        for problem in self.problems:
            where = (
                _("%(file)s, linje %(line)s", file=self.path, line=problem.line)
                if problem.line
                else self.path
            )
            lines.append(f"{where}: {problem.message}")
        return lines


def decode(path: Path | str, data: bytes, name: str) -> str:
    """Return a content file's text; a file not saved as UTF-8 is an error saying so and how to fix it."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ContentError(
            path,
            [
                ContentProblem(
                    name,
                    1,
                    None,
                    _("filen er lagret som UTF-16 («Unicode»), ikke som UTF-8.") + " " + save_as_utf8(),
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
            what = _(
                "filen er ikke lagret som UTF-8, men trolig som Windows-1252 («ANSI»): tegnet «%(char)s» "
                "kan ikke leses.",
                char=shown,
            )
        else:
            what = _("filen er ikke lagret som UTF-8, og noen tegn kan ikke leses.")
        raise ContentError(path, [ContentProblem(name, line, None, f"{what} {save_as_utf8()}")]) from None


# What a YAML parser's complaint most likely means, for someone editing by hand.
_YAML_HINTS = (
    ("found character '\\t'", _l("tabulator brukt til innrykk; bruk mellomrom")),
    ("mapping values are not allowed", _l("et kolon (:) der det ikke passer; sett teksten i anførselstegn")),
    ("could not find expected ':'", _l("et kolon (:) mangler etter et feltnavn, eller innrykket er feil")),
    ("while parsing a flow", _l("en [ eller { er ikke lukket; sett teksten i anførselstegn")),
    ("while scanning a quoted scalar", _l("et anførselstegn er ikke lukket")),
    ("expected <block end>", _l("innrykket stemmer ikke med linjene over")),
    ("while parsing a block", _l("innrykket stemmer ikke med linjene over")),
    ("found undefined alias", _l("teksten begynner med * ; sett den i anførselstegn")),
    ("special characters are not allowed", _l("filen inneholder et kontrolltegn som ikke er tillatt")),
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
    hint = next(
        (hint for key, hint in _YAML_HINTS if key in described), _l("innrykk, kolon eller anførselstegn")
    )
    return ContentError(path, [ContentProblem(name, line, None, _("ugyldig YAML: %(hint)s.", hint=hint))])


# Each key the content files use, in words a school knows (with the key when the words alone would
# not find it in the file).
FIELD_LABELS: dict[str, Any] = {
    "school": _l("skolens navn"),
    "school_short": _l("skolens korte navn (school_short)"),
    "title": _l("tittel"),
    "school_year": _l("skoleår"),
    "scope": _l("virkeområdet (scope)"),
    "goals": _l("målene"),
    "evaluation": _l("evalueringen"),
    "version": _l("versjon"),
    "version_date": _l("versjonsdato (version_date)"),
    "next_revision": _l("neste revisjon (next_revision)"),
    "next_revision_date": _l("dato for neste revisjon (next_revision_date)"),
    "responsible": _l("ansvarlig (responsible)"),
    "explanation": _l("forklaring"),
    "quote": _l("sitatet"),
    "signs": _l("tegnene (signs)"),
    "id": _l("id"),
    "text": _l("tekst"),
    "language": _l("språket (language: nb eller nn)"),
    "archive": _l("arkivsystemet (archive)"),
    "note_title": _l("notatets tittel (note_title)"),
    "note_hint": _l("notatets hjelpetekst (note_hint)"),
    "roles": _l("rollene (roles)"),
    "call_chain": _l("ringes i akutte saker (call_chain)"),
    "audience": _l("hvem det gjelder (audience)"),
    "heading": _l("overskrift (heading)"),
    "derived_from": _l("kilde (derived_from)"),
    "contacted": _l("hvem som kontaktes (contacted)"),
    "label": _l("navn (label)"),
    "short": _l("kort tekst (short)"),
    "urgent": _l("akutt (urgent)"),
    "services": _l("numrene (services)"),
    "procedures": _l("fremgangsmåtene (procedures)"),
    "checklists": _l("sjekklistene (checklists)"),
    "lists": _l("listene (lists)"),
    "items": _l("punktene (items)"),
    "months": _l("månedene (months)"),
    "month": _l("måned (month, 1–12)"),
    "activities": _l("aktivitetene (activities)"),
    "body_en": _l("den engelske teksten"),
    "parent": _l("hører til (parent)"),
    "intro": _l("innledning (intro)"),
    "steps": _l("stegene"),
    "after_steps": _l("tekst etter stegene (after_steps)"),
    "meeting": _l("oppfølgingsmøtet"),
    "called_by": _l("hvem som kaller inn (called_by)"),
    "attendees": _l("deltakerne (attendees)"),
    "agenda_intro": _l("innledning til dagsordenen (agenda_intro)"),
    "agenda": _l("dagsordenen (agenda)"),
    "minutes_by": _l("hvem som skriver referat (minutes_by)"),
    "name": _l("navn"),
    "role": _l("rolle"),
    "phone": _l("telefonnummer"),
    "drug_responsible": _l("rusansvarlig (drug_responsible)"),
    "groups": _l("gruppene"),
    "contacts": _l("kontaktene"),
    "description": _l("beskrivelse"),
    "url": _l("adresse (url)"),
    "laws": _l("lovene (laws)"),
    "links": _l("lenkene"),
    "useful": _l("nyttige lenker (useful)"),
    "owner": _l("skoleeier (owner)"),
    "feedback_contact": _l("den som tar imot tilbakemeldinger (feedback_contact)"),
    "email": _l("e-post"),
    "accessibility_reviewed": _l("dato for siste gjennomgang av tilgjengelighetserklæringen"),
    "privacy_reviewed": _l("dato for siste gjennomgang av personvernerklæringen"),
    "slug": _l("filnavnet"),
    "body": _l("teksten under overskriften"),
    "sections": _l("tekstdelene"),
    "start": _l("første spørsmål (start)"),
    "questions": _l("spørsmålene"),
    "help": _l("forklaring (help)"),
    "answers": _l("svarene"),
    "next": _l("neste spørsmål (next)"),
    "procedure": _l("alternativet (procedure)"),
}

# A field that holds a group of fields: how to name what is inside it.
_PART_NAMES = {
    "evaluation": _l("evalueringen"),
    "meeting": _l("oppfølgingsmøtet"),
    "archive": _l("arkivsystemet"),
}


def _item_name(key: str, number: int, item: Any) -> str:
    """Name item `number` (1-based) of the list under `key`, by its title or name when it has one."""
    got = item if isinstance(item, dict) else {}

    def text(field: str) -> str | None:
        value = got.get(field)
        return value.strip() if isinstance(value, str) and value.strip() else None

    n = number
    named = {
        "groups": ("title", _l("gruppen «%(name)s»"), _l("gruppe nr. %(n)s")),
        "procedures": ("label", _l("«%(name)s»"), _l("fremgangsmåte nr. %(n)s")),
        "checklists": ("title", _l("sjekklisten «%(name)s»"), _l("sjekkliste nr. %(n)s")),
        "lists": ("title", _l("listen «%(name)s»"), _l("liste nr. %(n)s")),
        "services": ("label", _l("nummeret «%(name)s»"), _l("nummer nr. %(n)s")),
        "roles": ("id", _l("rollen «%(name)s»"), _l("rolle nr. %(n)s")),
        "laws": ("name", _l("loven «%(name)s»"), _l("lov nr. %(n)s")),
        "sections": ("title", _l("tekstdelen «%(name)s»"), _l("tekstdel nr. %(n)s")),
        "questions": ("id", _l("spørsmålet «%(name)s»"), _l("spørsmål nr. %(n)s")),
        "answers": ("label", _l("svaret «%(name)s»"), _l("svar nr. %(n)s")),
    }
    if key == "contacts":
        name = text("name")
        return _("kontakt nr. %(n)s (%(name)s)", n=n, name=name) if name else _("kontakt nr. %(n)s", n=n)
    if key == "months":
        month = got.get("month")
        return _("måned %(n)s", n=month) if isinstance(month, int) else _("måned nr. %(n)s", n=n)
    if key in named:
        field, with_name, numbered = named[key]
        name = text(field)
        return str(with_name) % {"name": name} if name else str(numbered) % {"n": n}
    numbered_only = {
        "steps": _l("steg %(n)s"),
        "attendees": _l("deltaker nr. %(n)s i møtet"),
        "agenda": _l("punkt nr. %(n)s på dagsordenen"),
        "goals": _l("mål nr. %(n)s"),
        "scope": _l("punkt nr. %(n)s i virkeområdet (scope)"),
        "signs": _l("tegn nr. %(n)s"),
        "links": _l("lenke nr. %(n)s"),
        "useful": _l("nyttig lenke nr. %(n)s"),
        "items": _l("punkt nr. %(n)s"),
        "activities": _l("aktivitet nr. %(n)s"),
    }
    return str(numbered_only.get(key, _l("punkt nr. %(n)s"))) % {"n": n}


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
                context.append(str(_PART_NAMES.get(last_key or "", leaf)))
            unknown = _("feltet «%(key)s»", key=part)
            leaf = str(FIELD_LABELS.get(part, unknown)) if field else unknown
            last_key = part
            annotation = child_annotation
            data = data.get(part) if isinstance(data, dict) else None
        else:  # a location the model does not explain: name it plainly
            leaf = (
                _("punkt nr. %(n)s", n=part + 1) if isinstance(part, int) else _("feltet «%(key)s»", key=part)
            )
    # «kontakt nr. 1 i gruppen «Ledelse»»: the innermost first, each inside the next
    where = _(" i ").join(reversed(context))
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
        return _("mangler")
    if kind == "extra_forbidden":
        allowed = _allowed_keys(container)
        unknown = _("er ukjent (skrivefeil?)")
        return unknown + (_("; feltene her kan være: %(keys)s", keys=allowed) if allowed else "")
    if kind == "string_too_short":
        return _("er tom")
    if kind == "too_short":
        return _("må ha minst ett punkt")
    if kind in ("string_type", "str_type"):
        quote = _("; sett verdien i anførselstegn") if isinstance(value, (int, float)) else ""
        return _("må være tekst") + quote
    if kind == "literal_error":
        choices = _literal_choices(place.annotation)
        listed = ", ".join(choices) if choices else str(item.get("ctx", {}).get("expected", ""))
        return _("må være en av: %(choices)s (er «%(value)s»)", choices=listed, value=value)
    if kind.startswith("date") or kind.startswith("datetime"):
        return _("må være en dato skrevet ÅÅÅÅ-MM-DD, for eksempel 2026-06-01 (er «%(value)s»)", value=value)
    if kind.startswith("bool"):
        return _("må være true eller false")
    if kind in ("list_type", "tuple_type"):
        return _("må være en liste (hvert punkt på en linje som begynner med «- »)")
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        if not item["loc"]:
            return (
                _("filen er tom")
                if value is None
                else _("filen må bestå av felt (ett «navn: verdi» på hver linje)")
            )
        return _("må være en gruppe med felt (ett «navn: verdi» på hver linje)")
    if kind == "string_pattern_mismatch":
        pattern = str(item.get("ctx", {}).get("pattern", ""))
        if pattern.startswith("^https://"):
            return _("må være en hel adresse som begynner med https:// (er «%(value)s»)", value=value)
        if "@" in pattern:
            return _("er ikke en gyldig e-postadresse (er «%(value)s»)", value=value)
        return _("har feil form (er «%(value)s»)", value=value)
    if kind in ("value_error", "assertion_error"):
        message = str(item.get("ctx", {}).get("error") or item["msg"]).removeprefix("Value error, ")
        return message
    return _("har en verdi som ikke kan brukes")


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

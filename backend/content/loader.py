"""Read a school's content folder into a validated Plan, and write one back.

Layout of a content folder (one per school, content/<school>/):

    plan.yaml           Meta: school, school year, language, archive system, scope, goals, evaluation
    roles.yaml          Roles: who does steps, calls meetings, is in the call chain
    checklists.yaml     Checklists
    procedures.yaml     Procedures («Hva gjør vi?»), urgent or not
    contacts.yaml       Contacts and service numbers
    links.yaml          Links
    prevention.yaml     Prevention: lists of preventive measures
    annual_wheel.yaml   AnnualWheel (optional): activities by month
    statements.yaml     Statements: who answers for the accessibility and privacy statements
    guide.yaml          Guide: the guided questions that lead to a procedure
    sections.yaml       The prose sections in order: slug and title
    sections/<slug>.md  Section body in Markdown (and <slug>.en.md, optional, in English)
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from backend.content.errors import ContentError, ContentProblem, decode, describe, yaml_problem
from backend.content.guide_schema import Guide
from backend.content.schema import (
    AnnualWheel,
    Checklists,
    Contacts,
    Links,
    Meta,
    Plan,
    Prevention,
    Procedures,
    Roles,
    Section,
    SectionList,
    Statements,
    reference_problems,
)

# The Plan's field, its file and model. A file whose model wraps one list under the same key
# (roles.yaml: `roles: [...]`) gives the Plan that list.
YAML_FILES: dict[str, tuple[str, type[BaseModel]]] = {
    "meta": ("plan.yaml", Meta),
    "roles": ("roles.yaml", Roles),
    "checklist_list": ("checklists.yaml", Checklists),
    "procedure_list": ("procedures.yaml", Procedures),
    "contacts": ("contacts.yaml", Contacts),
    "links": ("links.yaml", Links),
    "prevention": ("prevention.yaml", Prevention),
    "annual_wheel": ("annual_wheel.yaml", AnnualWheel),
    "statements": ("statements.yaml", Statements),
    "guide": ("guide.yaml", Guide),
}
UNWRAPPED = {"roles"}  # Plan fields that hold the file's single list
OPTIONAL_FILES = {"annual_wheel"}  # a school without the file has no such part
SECTIONS_FILE = "sections.yaml"


# A content file is a few kilobytes (the longest, alternatives.yaml, is about 12 kB); anything much
# larger is a mistake or an attack on the import, and is refused before it is parsed.
MAX_FILE_BYTES = 256 * 1024
# Lazy: each is written in the language in force where it is raised (errors.py says which).
SYMLINK_REFUSED = _l(
    "er en symbolsk lenke; innholdet må ligge som vanlige filer i mappen, så importen aldri leser "
    "noe utenfor den"
)
TOO_LARGE = _l("filen er større enn %(kb)s kB, som er grensen for en innholdsfil", kb=MAX_FILE_BYTES // 1024)

__all__ = ["ContentError", "ContentProblem", "declared_language", "load_plan", "plan_from_data", "write_plan"]


def _refuse(path: Path, name: str, problem: Any) -> ContentError:
    """A problem with a whole file (not one field of it)."""
    return ContentError(path, [ContentProblem(name, None, None, str(problem))])


def _read_text(path: Path, name: str) -> str:
    """Read a content file that is a regular file inside the folder: no symlink, at most MAX_FILE_BYTES.

    O_NOFOLLOW refuses a symlink at the moment of opening (no window between a check and the read),
    so a link to /etc/passwd or to another school's folder is never read. A missing, unreadable or
    non-UTF-8 file is a ContentError too.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError as error:
        raise _refuse(path, name, _("filen mangler")) from error
    except OSError as error:
        if path.is_symlink():
            raise _refuse(path, name, SYMLINK_REFUSED) from error
        raise _refuse(path, name, _("filen kan ikke leses")) from error
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise _refuse(path, name, _("dette er ikke en vanlig fil"))
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise _refuse(path, name, TOO_LARGE)
    return decode(path, data, name)


def read_content_file(path: Path) -> str:
    """Read a file of a content folder with the same care as the loader: regular, small, UTF-8."""
    return _read_text(path, path.name)


def _read_yaml(path: Path, model: type[BaseModel]) -> BaseModel:
    """Read one YAML file and validate it; every problem names the file, the line and the field."""
    text = _read_text(path, path.name)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise yaml_problem(path, path.name, text, error) from None
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ContentError(path, describe(error, model, data, name=path.name, text=text)) from None


def declared_language(folder: Path | str) -> str | None:
    """Return the language plan.yaml says the school writes (`nb`, `nn`), or None when it cannot tell.

    Read before the folder is checked, so the check's problems can be written in that language; a
    broken or missing plan.yaml is the check's to report, so nothing here raises.
    """
    try:
        data = yaml.safe_load(_read_text(Path(folder) / "plan.yaml", "plan.yaml"))
    except (ContentError, yaml.YAMLError):
        return None
    language = data.get("language") if isinstance(data, dict) else None
    return language if language in ("nb", "nn") else None


def _read_section(folder: Path, entry: Any) -> Section:
    """Read one prose section: its title from sections.yaml, Markdown from sections/<slug>.md (and .en.md)."""
    name = f"sections/{entry.slug}.md"
    path = folder / "sections" / f"{entry.slug}.md"
    text = _read_text(path, name).strip()
    first = text.partition("\n")[0]
    if first.startswith("# ") and first[2:].strip() == entry.title:
        problem = ContentProblem(
            name, 1, _("overskriften"), _("står nå i sections.yaml; ta bort første linje («# Tittel») her")
        )
        raise ContentError(path, [problem])
    english = None
    en_path = folder / "sections" / f"{entry.slug}.en.md"
    if en_path.exists() or en_path.is_symlink():
        english = _read_text(en_path, f"sections/{entry.slug}.en.md").strip() or None
    data = {
        "slug": entry.slug,
        "title": entry.title,
        "page_title": entry.page_title,
        "procedure": entry.procedure,
        "body": text,
        "body_en": english,
    }
    try:
        return Section.model_validate(data)
    except ValidationError as error:
        raise ContentError(path, describe(error, Section, data, name=name)) from None


def _line_of(text: str, loc: tuple[str | int, ...]) -> int | None:
    """Return the line (1-based) of a path in a YAML text, or None when it cannot be found."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    for part in loc:
        found = None
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            found = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            found = node.value[part]
        if found is None:
            break
        node = found
    return node.start_mark.line + 1 if node is not None else None


def _check_references(folder: Path, parts: dict[str, Any]) -> None:
    """What one file names in another must exist: roles, numbers, the call chain, the feedback contact."""
    found = reference_problems(
        roles=parts["roles"],
        contacts=parts["contacts"],
        procedures=parts["procedure_list"],
        statements=parts["statements"],
        annual_wheel=parts.get("annual_wheel"),
        sections=parts.get("sections", ()),
    )
    if not found:
        return
    problems = []
    for reference in found:
        text = _read_text(folder / reference.file, reference.file)
        line = _line_of(text, reference.loc)
        problems.append(ContentProblem(reference.file, line, reference.field, reference.problem))
    raise ContentError(folder / found[0].file, problems)


def _check_unlisted_sections(section_dir: Path, slugs: list[str]) -> None:
    """A Markdown file that sections.yaml does not list would never be shown: say so instead."""
    known = {f"{slug}.md" for slug in slugs} | {f"{slug}.en.md" for slug in slugs}
    unlisted = sorted(p.name for p in section_dir.glob("*.md") if p.name not in known)
    if unlisted:
        problems = [
            ContentProblem(
                f"sections/{name}",
                None,
                None,
                _("står ikke i sections.yaml; legg den til der (slug og tittel), eller slett filen"),
            )
            for name in unlisted
        ]
        raise ContentError(section_dir / unlisted[0], problems)


def load_plan(folder: Path | str) -> Plan:
    """Read and validate every file of a content folder; raise ContentError on the first bad file."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ContentError(folder, [ContentProblem(folder.name, None, None, _("mappen finnes ikke"))])
    parts: dict[str, Any] = {}
    for key, (filename, model) in YAML_FILES.items():
        path = folder / filename
        if key in OPTIONAL_FILES and not (path.exists() or path.is_symlink()):
            parts[key] = None
            continue
        parsed = _read_yaml(path, model)
        parts[key] = getattr(parsed, key) if key in UNWRAPPED else parsed
    section_dir = folder / "sections"
    if section_dir.is_symlink():
        raise _refuse(section_dir, "sections", SYMLINK_REFUSED)
    listed = _read_yaml(folder / SECTIONS_FILE, SectionList)
    _check_references(folder, {**parts, "sections": listed.sections})
    _check_unlisted_sections(section_dir, [entry.slug for entry in listed.sections])
    sections = [_read_section(folder, entry) for entry in listed.sections]
    try:
        return Plan(**parts, sections=sections)
    except ValidationError as error:
        raise ContentError(folder, describe(error, Plan, None, name=folder.name)) from None


def plan_from_data(data: dict[str, Any]) -> Plan:
    """Build a Plan from the JSON a revision stores."""
    return Plan.model_validate(data)


def write_plan(
    plan: Plan,
    folder: Path | str,
    *,
    template: Path | str | None = None,
    phone_format: Callable[[str], str] | None = None,
) -> None:
    """Write a Plan in the content folder format, so that load_plan gives it back unchanged.

    With `template` (the school's own folder), each YAML file is written over that file's text: its
    guidance comments, key order and quoting stay, only the values that differ are replaced, and keys
    the file left out because they hold the default stay out. `phone_format` writes phone numbers as
    printed («970 83 705») instead of as stored (+4797083705).
    """
    folder = Path(folder)
    (folder / "sections").mkdir(parents=True, exist_ok=True)
    full = plan.model_dump(mode="json")
    minimal = plan.model_dump(mode="json", exclude_defaults=True)
    if phone_format is not None:
        full, minimal = _format_phones(full, phone_format), _format_phones(minimal, phone_format)
    for key, (filename, _model) in YAML_FILES.items():
        value, least = full.get(key), minimal.get(key)
        if value is None:  # an optional file the plan does not have
            (folder / filename).unlink(missing_ok=True)
            continue
        if key in UNWRAPPED:
            value, least = {key: value}, {key: least} if least is not None else None
        _write_yaml(folder / filename, value, least, template, filename)
    # None (no page title) is left out of the file, as a school would write it.
    listed = plan.model_dump(
        mode="json",
        include={"sections": {"__all__": {"slug", "title", "page_title", "procedure"}}},
        exclude_none=True,
    )
    _write_yaml(folder / SECTIONS_FILE, listed, listed, template, SECTIONS_FILE)
    for section in plan.sections:
        (folder / "sections" / f"{section.slug}.md").write_text(f"{section.body}\n", encoding="utf-8")
        english = folder / "sections" / f"{section.slug}.en.md"
        if section.body_en:
            english.write_text(f"{section.body_en}\n", encoding="utf-8")
        else:
            english.unlink(missing_ok=True)


def _write_yaml(path: Path, full: Any, minimal: Any, template: Path | str | None, filename: str) -> None:
    """Write one YAML file, over the template's text when there is one."""
    text = None
    if template is not None:
        text = _write_over_template(Path(template) / filename, full, minimal)
    if text is None:
        text = yaml.safe_dump(full, allow_unicode=True, sort_keys=False, width=100)
    path.write_text(text, encoding="utf-8")


def _format_phones(data: Any, phone_format: Callable[[str], str]) -> Any:
    if isinstance(data, dict):
        return {
            key: phone_format(value)
            if key == "phone" and isinstance(value, str)
            else _format_phones(value, phone_format)
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [_format_phones(item, phone_format) for item in data]
    return data


def _round_trip() -> YAML:
    handler = YAML(typ="rt")
    handler.width = 4096  # never fold a line the school wrote on one line
    handler.preserve_quotes = True
    handler.indent(mapping=2, sequence=4, offset=2)
    return handler


def _write_over_template(path: Path, full: Any, minimal: Any) -> str | None:
    """Return the template file's YAML with the plan's values in it, or None without a usable template."""
    try:
        text = _read_text(path, path.name)
        handler = _round_trip()
        document = handler.load(text)
    except (ContentError, YAMLError):  # no template, or one that does not parse: the plain layout
        return None
    if not isinstance(document, dict) or not isinstance(full, dict):
        return None
    _merge_into(document, full, minimal)
    out = io.StringIO()
    handler.dump(document, out)
    return out.getvalue()


def _quoted(value: Any) -> Any:
    """Quote a new text that the loader (PyYAML, YAML 1.1) would read as something else: «no», «2025-08-01».

    The round-trip writer speaks YAML 1.2, where «no» is a text; written plain, it would come back as
    False. Texts are quoted only when needed, so the file reads as the school wrote it.
    """
    if isinstance(value, dict):
        return {key: _quoted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_quoted(item) for item in value]
    if isinstance(value, str) and "\n" not in value:
        tag = yaml.resolver.Resolver().resolve(yaml.ScalarNode, value, (True, False))
        if tag != "tag:yaml.org,2002:str":
            return DoubleQuotedScalarString(value)
    return value


def _same(old: Any, new: Any) -> bool:
    """Tell whether a value in the template already says what the plan says (a date read as a date)."""
    if isinstance(old, bool) or isinstance(new, bool):
        return old is new
    return old == new or (old is not None and not isinstance(old, dict | list) and str(old) == str(new))


def _merge_into(node: Any, full: Any, minimal: Any) -> Any:
    """Update a round-trip YAML node in place to hold `full`; return the node (or the new value)."""
    if isinstance(node, dict) and isinstance(full, dict):
        minimal = minimal if isinstance(minimal, dict) else {}
        for key in [key for key in node if key not in full]:
            del node[key]
        for key, value in full.items():
            if key in node:
                node[key] = _merge_into(node[key], value, minimal.get(key))
            elif key in minimal:  # a value the template did not have, and not the default
                node[key] = _quoted(value)
        return node
    if isinstance(node, list) and isinstance(full, list):
        minimal = minimal if isinstance(minimal, list) else [None] * len(full)
        by_id = {item.get("id"): item for item in node if isinstance(item, dict) and item.get("id")}
        merged = []
        for index, value in enumerate(full):
            old = by_id.get(value.get("id")) if isinstance(value, dict) and value.get("id") else None
            if old is None and index < len(node) and not (isinstance(value, dict) and value.get("id")):
                old = node[index]
            part = minimal[index] if index < len(minimal) else None
            merged.append(_quoted(value) if old is None else _merge_into(old, value, part))
        # Item by item, not node[:] = merged: a comment hangs on an item's index and would go with it.
        for index, value in enumerate(merged):
            if index < len(node):
                if node[index] is not value:
                    node[index] = value
            else:
                node.append(value)
        del node[len(merged) :]
        return node
    return node if _same(node, full) else _quoted(full)

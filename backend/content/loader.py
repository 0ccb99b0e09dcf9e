"""Read a school's content folder into a validated Plan, and write one back.

Layout of a content folder (one per school, for example content/halden-vgs/):

    plan.yaml           Meta: school, school year, scope, goals, evaluation
    checklist.yaml      Checklist
    alternatives.yaml   Alternatives
    contacts.yaml       Contacts
    links.yaml          Links
    prevention.yaml     Prevention
    statements.yaml     Statements: who answers for the accessibility and privacy statements
    guide.yaml          Guide: the guided questions that lead to a procedure
    sections/<slug>.md  Section: the first line "# Title", Markdown below it
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from backend.content.errors import ContentError, ContentProblem, decode, describe, yaml_problem
from backend.content.guide_schema import Guide
from backend.content.schema import (
    SECTION_SLUGS,
    Alternatives,
    Checklist,
    Contacts,
    Links,
    Meta,
    Plan,
    Prevention,
    Section,
    Statements,
)

YAML_FILES: dict[str, tuple[str, type[BaseModel]]] = {
    "meta": ("plan.yaml", Meta),
    "checklist": ("checklist.yaml", Checklist),
    "alternatives": ("alternatives.yaml", Alternatives),
    "contacts": ("contacts.yaml", Contacts),
    "links": ("links.yaml", Links),
    "prevention": ("prevention.yaml", Prevention),
    "statements": ("statements.yaml", Statements),
    "guide": ("guide.yaml", Guide),
}


# A content file is a few kilobytes (the longest, alternatives.yaml, is about 12 kB); anything much
# larger is a mistake or an attack on the import, and is refused before it is parsed.
MAX_FILE_BYTES = 256 * 1024
SYMLINK_REFUSED = (
    "er en symbolsk lenke; innholdet må ligge som vanlige filer i mappen, så importen aldri leser "
    "noe utenfor den"
)
TOO_LARGE = f"filen er større enn {MAX_FILE_BYTES // 1024} kB, som er grensen for en innholdsfil"

__all__ = ["ContentError", "ContentProblem", "load_plan", "plan_from_data", "write_plan"]


def _refuse(path: Path, name: str, problem: str) -> ContentError:
    """A problem with a whole file (not one field of it)."""
    return ContentError(path, [ContentProblem(name, None, None, problem)])


def _read_text(path: Path, name: str) -> str:
    """Read a content file that is a regular file inside the folder: no symlink, at most MAX_FILE_BYTES.

    O_NOFOLLOW refuses a symlink at the moment of opening (no window between a check and the read),
    so a link to /etc/passwd or to another school's folder is never read. A missing, unreadable or
    non-UTF-8 file is a ContentError too.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError as error:
        raise _refuse(path, name, "filen mangler") from error
    except OSError as error:
        if path.is_symlink():
            raise _refuse(path, name, SYMLINK_REFUSED) from error
        raise _refuse(path, name, "filen kan ikke leses") from error
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise _refuse(path, name, "dette er ikke en vanlig fil")
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


def _read_section(path: Path) -> Section:
    """Read one prose section: a «# Title» line, then Markdown."""
    name = f"sections/{path.name}"
    text = _read_text(path, name)
    first, _, body = text.partition("\n")
    if not first.startswith("# "):
        problem = ContentProblem(name, 1, "overskriften", "mangler: første linje må være «# Tittel»")
        raise ContentError(path, [problem])
    data = {"slug": path.stem, "title": first[2:].strip(), "body": body.strip()}
    try:
        return Section.model_validate(data)
    except ValidationError as error:
        raise ContentError(path, describe(error, Section, data, name=name)) from None


def _check_feedback_contact(folder: Path, parts: dict[str, Any]) -> None:
    """The person who takes feedback on the statements must be in contacts.yaml."""
    wanted = parts["statements"].feedback_contact
    if any(c.id == wanted for g in parts["contacts"].groups for c in g.contacts):
        return
    path = folder / "statements.yaml"
    text = _read_text(path, path.name)
    line = next(
        (n for n, row in enumerate(text.splitlines(), 1) if row.startswith("feedback_contact:")), None
    )
    field = "den som tar imot tilbakemeldinger (feedback_contact)"
    problem = f"«{wanted}» er ingen kontakt i contacts.yaml (bruk id-en til en person der)"
    raise ContentError(path, [ContentProblem(path.name, line, field, problem)])


def load_plan(folder: Path | str) -> Plan:
    """Read and validate every file of a content folder; raise ContentError on the first bad file."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ContentError(folder, [ContentProblem(folder.name, None, None, "mappen finnes ikke")])
    parts: dict[str, Any] = {}
    for key, (filename, model) in YAML_FILES.items():
        parts[key] = _read_yaml(folder / filename, model)
    _check_feedback_contact(folder, parts)
    sections = []
    section_dir = folder / "sections"
    if section_dir.is_symlink():
        raise _refuse(section_dir, "sections", SYMLINK_REFUSED)
    slugs = list(SECTION_SLUGS) + sorted(
        p.stem for p in section_dir.glob("*.md") if p.stem not in SECTION_SLUGS
    )
    for slug in slugs:
        sections.append(_read_section(section_dir / f"{slug}.md"))
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
        text = None
        if template is not None:
            text = _write_over_template(Path(template) / filename, full[key], minimal.get(key))
        if text is None:
            text = yaml.safe_dump(full[key], allow_unicode=True, sort_keys=False, width=100)
        (folder / filename).write_text(text, encoding="utf-8")
    for section in plan.sections:
        body = f"# {section.title}\n\n{section.body}\n"
        (folder / "sections" / f"{section.slug}.md").write_text(body, encoding="utf-8")


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

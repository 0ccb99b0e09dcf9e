"""Read a school's content folder into a validated Plan, and write one back.

Layout of a content folder (one per school, for example content/halden-vgs/):

    plan.yaml           Meta: school, school year, scope, goals, evaluation
    checklist.yaml      Checklist
    alternatives.yaml   Alternatives
    contacts.yaml       Contacts
    links.yaml          Links
    prevention.yaml     Prevention
    statements.yaml     Statements: who answers for the accessibility and privacy statements
    sections/<slug>.md  Section: the first line "# Title", Markdown below it
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from backend.content.errors import ContentError, ContentProblem, decode, describe, yaml_problem
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


def write_plan(plan: Plan, folder: Path | str) -> None:
    """Write a Plan in the content folder format, so that load_plan gives it back unchanged."""
    folder = Path(folder)
    (folder / "sections").mkdir(parents=True, exist_ok=True)
    data = plan.model_dump(mode="json")
    for key, (filename, _model) in YAML_FILES.items():
        text = yaml.safe_dump(data[key], allow_unicode=True, sort_keys=False, width=100)
        (folder / filename).write_text(text, encoding="utf-8")
    for section in plan.sections:
        body = f"# {section.title}\n\n{section.body}\n"
        (folder / "sections" / f"{section.slug}.md").write_text(body, encoding="utf-8")

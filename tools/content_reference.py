"""Write docs/content-reference.md: every field of a school's content folder, read from the schema.

The reference is generated, never written by hand: the files and their order come from the loader
(backend/content/loader.py), the fields, types, defaults and limits from the pydantic models of
backend/content/schema.py, and the meaning of each field from its Field(description=...) or, where
there is none, from the comment beside or above it in the schema's source.

    .venv/bin/python tools/content_reference.py          # rewrite docs/content-reference.md
    .venv/bin/python tools/content_reference.py --check  # exit 1 when the committed file is stale

tests/test_content_reference.py fails while the committed file differs from what this writes.
"""

from __future__ import annotations

import ast
import inspect
import io
import sys
import tokenize
import types
import typing
from datetime import date
from pathlib import Path

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `backend` importable
    sys.path.insert(0, str(ROOT))

from backend.content import guide_schema, loader, schema  # noqa: E402

OUTPUT = ROOT / "docs" / "content-reference.md"
# The modules whose models make up a content folder (the guided questions have their own).
SCHEMA_SOURCES = (Path(schema.__file__), Path(guide_schema.__file__))

# What a field validator of the schema checks, in the reader's words (by the validator's function).
VALIDATOR_RULES = {
    "_check_slug": "small letters a–z, digits and hyphens (`rutine-3`)",
    "normalise_phone": (
        "as printed (`970 83 705`); stored as `+4797083705`. Short numbers stay as they are: "
        "`02800`, `113`, `116 117`"
    ),
}


def _comments(source: Path) -> tuple[dict[int, str], list[str]]:
    """Return {line: comment text} and the source lines of a schema module."""
    text = source.read_text(encoding="utf-8")
    found = {}
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.COMMENT:
            found[token.start[0]] = token.string.lstrip("#").strip()
    return found, text.splitlines()


def _note(node: ast.stmt, comments: dict[int, str], lines: list[str]) -> str:
    """The comment lines right above a statement and the comment beside its last line, joined."""
    above = []
    line = node.lineno - 1
    while line >= 1 and lines[line - 1].strip().startswith("#"):
        above.insert(0, comments.get(line, ""))
        line -= 1
    beside = comments.get(node.end_lineno or node.lineno, "")
    return " ".join(part for part in [*above, beside] if part)


def _field_sources() -> tuple[dict[tuple[str, str], tuple[str, str]], dict[str, str]]:
    """Return {(class, field): (annotation as written, comment)} and {type alias: comment}."""
    fields = {}
    aliases = {}
    for source in SCHEMA_SOURCES:
        comments, lines = _comments(source)
        text = "\n".join(lines)
        for node in ast.parse(text).body:
            single = isinstance(node, ast.Assign) and len(node.targets) == 1
            if single and isinstance(node.targets[0], ast.Name):
                aliases[node.targets[0].id] = _note(node, comments, lines)  # Audience = Literal[...]
            if not isinstance(node, ast.ClassDef):
                continue
            for item in node.body:
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    written = ast.get_source_segment(text, item.annotation) or ""
                    # setdefault: the content schema first (guide_schema has a Procedure protocol too)
                    fields.setdefault((node.name, item.target.id), (written, _note(item, comments, lines)))
    return fields, aliases


def _first_sentence(text: str) -> str:
    """The first sentence of a docstring, without its closing full stop."""
    return text.split("\n\n")[0].replace("\n", " ").split(". ")[0].rstrip(".")


def _markdown(text: str) -> str:
    """Text for a Markdown page: < and > outside `code` are shown, not read as HTML tags."""
    parts = text.split("`")
    for index in range(0, len(parts), 2):  # the even parts are outside backticks
        parts[index] = parts[index].replace("<", "&lt;").replace(">", "&gt;")
    return "`".join(parts)


def _sentence(text: str) -> str:
    """A table cell's meaning: capitalised, without a closing full stop, a | kept inside the cell."""
    text = text.strip().rstrip(".")
    return _markdown(text[:1].upper() + text[1:]).replace("|", "\\|")


def _anchor(model: type[BaseModel]) -> str:
    return model.__name__.lower()


class Reference:
    """Collects the models to describe, each once, in the order a reader meets them."""

    def __init__(self) -> None:
        self.sources, self.aliases = _field_sources()
        self.done: set[type[BaseModel]] = set()

    def fallback_meaning(self, annotation, written: str) -> str:
        """For a field without its own words: the comment on its type alias, or its model's docstring."""
        alias = written.split("[")[-1].split("]")[0].split(" ")[0]
        if self.aliases.get(alias):
            return self.aliases[alias]
        for candidate in (annotation, *typing.get_args(annotation)):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                return _first_sentence(inspect.getdoc(candidate) or "")
        return ""

    def type_words(self, annotation, written: str, queue: list[type[BaseModel]]) -> str:
        """Describe a field's type for a reader: text, id, list of X, one of ..., a link to a model."""
        origin = typing.get_origin(annotation)
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            return " or ".join(self.type_words(a, written, queue) for a in args)
        if origin is list:
            (inner,) = typing.get_args(annotation)
            inner_written = written.removeprefix("list[").removesuffix("]")
            return f"list of {self.type_words(inner, inner_written, queue)}"
        if origin is typing.Literal:
            return "one of " + ", ".join(f"`{value}`" for value in typing.get_args(annotation))
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation not in queue and annotation not in self.done:
                queue.append(annotation)
            return f"[{annotation.__name__}](#{_anchor(annotation)})"
        if annotation is str:
            return "id" if written.startswith("Slug") else "text"
        if annotation is bool:
            return "`true` or `false`"
        if annotation is int:
            return "whole number"
        if annotation is date:
            return "date (`YYYY-MM-DD`)"
        return f"`{getattr(annotation, '__name__', annotation)}`"

    @staticmethod
    def limits(model: type[BaseModel], name: str, field: FieldInfo) -> list[str]:
        """The rules a value must follow: not empty, a range, a pattern, a validator's rule."""
        rules = []
        is_list = typing.get_origin(field.annotation) is list
        for item in field.metadata:
            if isinstance(item, annotated_types.MinLen) and item.min_length:
                rules.append("at least one" if is_list else "not empty")
            elif isinstance(item, annotated_types.Ge):
                rules.append(f"at least {item.ge}")
            elif isinstance(item, annotated_types.Le):
                rules.append(f"at most {item.le}")
            elif getattr(item, "pattern", None):
                rules.append(f"matches `{item.pattern}`")
        for decorator in model.__pydantic_decorators__.field_validators.values():
            if name in decorator.info.fields:
                function = decorator.func.__name__
                doc = (inspect.getdoc(decorator.func) or "").split("\n")[0]
                rules.append(VALIDATOR_RULES.get(function, doc or function))
        return rules

    @staticmethod
    def presence(field: FieldInfo) -> str:
        if field.is_required():
            return "required"
        default = field.get_default(call_default_factory=True)
        if default in (None, [], ""):
            return "optional"
        shown = str(default).lower() if isinstance(default, bool) else default
        return f"optional, default `{shown}`"

    def model_section(self, model: type[BaseModel], heading: str) -> list[str]:
        """One model: its docstring, then a table of its fields; the models it uses follow it."""
        self.done.add(model)
        queue: list[type[BaseModel]] = []
        out = [heading, "", _markdown(inspect.getdoc(model) or ""), ""]
        out += ["| Field | Type | Required | Meaning |", "|---|---|---|---|"]
        for name, field in model.model_fields.items():
            written, note = self.sources.get((model.__name__, name), ("", ""))
            meaning = field.description or note or self.fallback_meaning(field.annotation, written)
            rules = self.limits(model, name, field)
            if rules:
                joined = "; ".join(rules)
                meaning = f"{meaning.rstrip('.')} ({joined})" if meaning else joined
            kind = self.type_words(field.annotation, written, queue)
            out.append(f"| `{name}` | {kind} | {self.presence(field)} | {_sentence(meaning)} |")
        out.append("")
        for nested in queue:
            if nested not in self.done:
                out += self.model_section(nested, f"### {nested.__name__}")
        return out


def render() -> str:
    """Return the whole reference as Markdown."""
    reference = Reference()
    files = [(name, model, key in loader.OPTIONAL_FILES) for key, (name, model) in loader.YAML_FILES.items()]
    files.append((loader.SECTIONS_FILE, schema.SectionList, False))
    out = [
        "# Content reference",
        "",
        "<!-- Generated by tools/content_reference.py from backend/content/schema.py; do not edit. -->",
        "",
        "Every file of a school's content folder (`content/<school>/`) and every field in it, generated",
        "from the schema the app validates the files with. A field marked *required* must be there;",
        "an unknown field is an error, so a typing mistake never goes unnoticed. Text is UTF-8.",
        "See the README, «Ein annan skule / Another school», for how to write a folder, and",
        "`content/halden-vgs/` (bokmål) and `content/eksempel-vgs/` (nynorsk) for two complete ones.",
        "",
        "| File | Required | Model |",
        "|---|---|---|",
    ]
    for name, model, optional in files:
        out.append(
            f"| `{name}` | {'optional' if optional else 'required'} | [{model.__name__}](#{_anchor(model)}) |"
        )
    out.append(
        f"| `sections/<slug>.md` | one for each section in `{loader.SECTIONS_FILE}` | "
        f"[{schema.Section.__name__}](#{_anchor(schema.Section)}) |"
    )
    out += [
        "",
        "Across files (`reference_problems` in the schema): "
        + (inspect.getdoc(schema.reference_problems) or "").rstrip(".")
        + ". Every problem is reported in Norwegian with the file, the line and the field.",
        "",
    ]
    for name, model, _optional in files:
        out += reference.model_section(model, f"## {model.__name__} (`{name}`)")
    out += reference.model_section(schema.Section, f"## {schema.Section.__name__} (`sections/<slug>.md`)")
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str]) -> int:
    """Write the reference, or with --check say whether the committed one is up to date."""
    text = render()
    if "--check" in argv:
        if OUTPUT.read_text(encoding="utf-8") != text:
            print(f"{OUTPUT.relative_to(ROOT)} is out of date: run tools/content_reference.py")
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"Wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

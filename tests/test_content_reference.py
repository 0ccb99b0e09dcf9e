"""docs/content-reference.md is generated from the schema and kept up to date."""

from __future__ import annotations

import importlib.util

from backend.content import loader
from tests.conftest import ROOT


def _tool():
    spec = importlib.util.spec_from_file_location(
        "content_reference", ROOT / "tools" / "content_reference.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_reference_is_what_the_schema_generates():
    """Change the schema, run tools/content_reference.py, commit docs/content-reference.md with it."""
    tool = _tool()
    committed = tool.OUTPUT.read_text(encoding="utf-8")
    assert committed == tool.render(), (
        "docs/content-reference.md is out of date: run tools/content_reference.py"
    )


def test_the_reference_names_every_file_and_every_field():
    """Each content file, and each field of every model it uses, has its row."""
    text = _tool().render()
    for _key, (name, model) in loader.YAML_FILES.items():
        assert f"`{name}`" in text
        assert f"## {model.__name__} (`{name}`)" in text
        for field in model.model_fields:
            assert f"| `{field}` |" in text, (name, field)
    assert "`sections/<slug>.md`" in text
    assert "| `phone` | text | required | As printed (`970 83 705`)" in text
    assert "| `language` | one of `nb`, `nn` | required |" in text


def test_every_field_says_what_it_means():
    """A field added to the schema without a description or comment shows up here, not as a blank cell."""
    rows = [line for line in _tool().render().splitlines() if line.startswith("| `")]
    blank = [row for row in rows if row.rstrip().endswith("|  |")]
    assert not blank, "Describe these fields in backend/content/schema.py:\n" + "\n".join(blank)

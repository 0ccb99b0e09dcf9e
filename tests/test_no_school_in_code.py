"""No code names one school: its procedure ids, its archive system and its name are content."""

from __future__ import annotations

import re

from tests.conftest import ROOT

# What only Halden's content may say: its procedure ids, its archive system, its name.
SCHOOL_WORDS = re.compile(r"alternativ-\d|\bElements\b|(?i:halden)")
CODE = ("*.py", "*.html", "*.js", "*.css", "*.txt", "*.vcf", "*.json", "*.webmanifest")
# Not code: the migrations keep old shapes frozen (the issue-14 data migration writes Halden's old
# defaults out as content), and the list of common passwords holds the school's name on purpose.
NOT_CODE = ("backend/migrations/", "backend/data/", "frontend/static/js/vendor/")
# The one place a deployment default names a folder: which school `make run` serves without SCHOOL.
ALLOWED_LINES = {("backend/config.py", 'DEFAULT_SCHOOL = "halden-vgs"')}


def school_words_in_code() -> list[str]:
    found = []
    for folder in ("backend", "frontend"):
        for pattern in CODE:
            for path in sorted((ROOT / folder).rglob(pattern)):
                name = path.relative_to(ROOT).as_posix()
                if name.startswith(NOT_CODE):
                    continue
                for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                    if SCHOOL_WORDS.search(line) and (name, line.strip()) not in ALLOWED_LINES:
                        found.append(f"{name}:{number}: {line.strip()}")
    return found


def test_no_code_names_a_halden_id_the_archive_system_or_the_school():
    """Procedure ids, «Elements» and Halden come from content/<school>/, never from backend/ or frontend/."""
    assert school_words_in_code() == []


def test_the_check_finds_a_school_word(tmp_path, monkeypatch):
    """The check is not blind: a template that names alternative 4 is found."""
    fake_root = tmp_path
    (fake_root / "frontend" / "templates").mkdir(parents=True)
    (fake_root / "backend").mkdir()
    (fake_root / "frontend" / "templates" / "x.html").write_text(
        '{% if alternative.id == "alternativ-4" %}Notat til Elements{% endif %}\n', encoding="utf-8"
    )
    monkeypatch.setattr(f"{__name__}.ROOT", fake_root)
    assert school_words_in_code() == [
        'frontend/templates/x.html:1: {% if alternative.id == "alternativ-4" %}Notat til Elements{% endif %}'
    ]

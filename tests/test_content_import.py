"""`flask content import` reads only regular, reasonably small files inside the school's folder."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import func, select

from backend.content.loader import MAX_FILE_BYTES
from backend.extensions import db
from backend.models import PlanRevision
from tests.conftest import CONTENT

MARKER = "HEMMELIG-UTENFOR-MAPPEN-4417"


def revisions(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count(PlanRevision.id))).scalar_one()


@pytest.fixture
def folder(tmp_path):
    """A copy of Halden's content, and a file outside it that must never be read."""
    copy = tmp_path / "skole"
    shutil.copytree(CONTENT, copy)
    outside = tmp_path / "utenfor"
    (outside / "sections").mkdir(parents=True)
    for section in (copy / "sections").iterdir():
        (outside / "sections" / section.name).write_text(f"# {MARKER}\n\n{MARKER}\n", encoding="utf-8")
    (outside / "plan.yaml").write_text((copy / "plan.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return copy, outside


def _import(app, folder):
    return app.test_cli_runner().invoke(args=["content", "import", "--folder", str(folder)])


def _link(path, target):
    path.unlink() if path.is_file() or path.is_symlink() else shutil.rmtree(path)
    path.symlink_to(target)


@pytest.mark.parametrize("which", ["sections/innledning.md", "plan.yaml", "sections"])
def test_a_symlink_in_the_content_folder_is_refused_naming_the_file(app, folder, which):
    """A symlinked file or folder is an error naming it, in Norwegian; nothing is imported or read."""
    copy, outside = folder
    _link(copy / which, outside / which)
    before = revisions(app)
    result = _import(app, copy)
    assert result.exit_code != 0
    assert str(copy / which) in result.output and "symbolsk lenke" in result.output, result.output
    assert MARKER not in result.output
    assert revisions(app) == before
    with app.app_context():
        assert MARKER not in str(db.session.execute(select(PlanRevision.data)).scalars().all())


def test_a_file_over_the_size_cap_is_refused_naming_the_file(app, folder):
    """A content file over MAX_FILE_BYTES is refused before it is parsed, with its name and the cap."""
    copy, _outside = folder
    big = copy / "sections" / "innledning.md"
    big.write_text("# Innledning\n\n" + "Tekst. " * (MAX_FILE_BYTES // 6), encoding="utf-8")
    result = _import(app, copy)
    assert result.exit_code != 0
    assert str(big) in result.output and f"{MAX_FILE_BYTES // 1024} kB" in result.output, result.output
    check = app.test_cli_runner().invoke(args=["content", "check", "--folder", str(copy)])
    assert check.exit_code != 0 and "256 kB" in check.output


def test_a_regular_folder_still_imports(app, folder):
    """The unchanged copy imports (as the same revision): the checks refuse nothing real."""
    copy, _outside = folder
    result = _import(app, copy)
    assert result.exit_code == 0, result.output

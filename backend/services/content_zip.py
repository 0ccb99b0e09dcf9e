"""The plan as a zip of its content folder: download it from the admin, edit it, upload it as a draft.

The zip is written over the school's own files (content/<school>/), so the guidance comments and the
phone numbers as printed stay where the school keeps them. An uploaded zip is read with the same
care as a folder on the server: a size cap for the zip and for each file, only the content folder's
own file names, no path outside the folder, no symbolic link; then the files are validated exactly
as `flask content import` validates a folder.
"""

from __future__ import annotations

import io
import re
import stat
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from flask_babel import gettext as _

from backend.content.loader import (
    MAX_FILE_BYTES,
    SECTIONS_FILE,
    SYMLINK_REFUSED,
    TOO_LARGE,
    YAML_FILES,
    ContentError,
    load_plan,
    plan_from_data,
    write_plan,
)
from backend.content.schema import Plan
from backend.models import PlanRevision
from backend.services import content_import, phones

# The whole content folder is about 60 kB; a zip of it about 20 kB. The request limit
# (MAX_CONTENT_LENGTH, 256 kB) caps the upload; these cap what it may unpack to.
MAX_MEMBERS = 40
MAX_TOTAL_BYTES = 2 * 1024 * 1024
SECTION_NAME = re.compile(r"sections/[a-z0-9][a-z0-9-]{0,60}(?:\.en)?\.md")
ALLOWED = {filename for filename, _model in YAML_FILES.values()} | {SECTIONS_FILE, content_import.MARKER}
# Files a zip program adds on its own; they are skipped, not refused.
NOISE = re.compile(r"(^|/)(__MACOSX/|\.DS_Store$|Thumbs\.db$|desktop\.ini$)")


def zip_name() -> str:
    """The upload as the school knows it, in the page's language: where a problem with it stands."""
    return _("zip-filen")


def export_zip(revision: PlanRevision, *, template: Path | None, folder_name: str) -> bytes:
    """Return a revision as a zip of its content folder, written over the school's files when there.

    The zip also holds content_import.MARKER, so the folder can be imported on the server after
    editing without being taken for an older folder.
    """
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / folder_name
        usable = template if template is not None and template.is_dir() else None
        write_plan(plan_from_data(revision.data), root, template=usable, phone_format=phones.display)
        (root / content_import.MARKER).write_text(content_import.marker_text(revision), encoding="utf-8")
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    archive.write(path, f"{folder_name}/{path.relative_to(root).as_posix()}")
    return buffer.getvalue()


def _problem(message: str) -> ContentError:
    return ContentError(zip_name(), [message])


def _members(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """Check every entry of the zip; return the content files by their path inside the folder."""
    infos = [info for info in archive.infolist() if not NOISE.search(info.filename)]
    if len(infos) > MAX_MEMBERS:
        raise _problem(
            _("zip-filen har flere enn %(count)s filer; last opp bare innholdsmappen", count=MAX_MEMBERS)
        )
    files: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        name = info.filename
        parts = PurePosixPath(name).parts
        if "\\" in name or name.startswith("/") or ".." in parts or (parts and ":" in parts[0]):
            raise ContentError(
                name, [_("stien peker ut av mappen; zip-filen må bare inneholde innholdsmappen")]
            )
        if stat.S_ISLNK(info.external_attr >> 16):
            raise ContentError(name, [SYMLINK_REFUSED])
        if info.is_dir():
            continue
        if info.file_size > MAX_FILE_BYTES:
            raise ContentError(name, [TOO_LARGE])
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise _problem(
                _("innholdet i zip-filen er større enn %(size)s MB", size=MAX_TOTAL_BYTES // (1024 * 1024))
            )
        files[name] = info
    # The files may sit in one folder (as the download has them) or at the top of the zip.
    tops = {PurePosixPath(name).parts[0] for name in files}
    if len(tops) == 1 and not any(name.count("/") == 0 for name in files):
        prefix = f"{next(iter(tops))}/"
        files = {name.removeprefix(prefix): info for name, info in files.items()}
    for name in files:
        if name not in ALLOWED and not SECTION_NAME.fullmatch(name):
            raise ContentError(name, [_("ukjent fil; innholdsmappen har bare YAML-filene og sections/*.md")])
    return files


def plan_from_zip(data: bytes) -> Plan:
    """Read and validate an uploaded zip of a content folder; raise ContentError naming file and field."""
    if not data:
        raise _problem(_("ingen fil er lastet opp"))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as error:
        raise _problem(_("filen er ikke en zip-fil")) from error
    with archive, tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "innhold"
        (root / "sections").mkdir(parents=True)
        for name, info in _members(archive).items():
            try:
                with archive.open(info) as member:
                    content = member.read(MAX_FILE_BYTES + 1)  # the header's size may lie
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError) as error:
                raise ContentError(name, [_("filen kan ikke pakkes ut (skadet eller kryptert)")]) from error
            if len(content) > MAX_FILE_BYTES:
                raise ContentError(name, [TOO_LARGE])
            (root / name).write_bytes(content)
        try:
            return load_plan(root)
        except ContentError as error:
            shown = Path(error.path)
            relative = shown.relative_to(root).as_posix() if shown.is_relative_to(root) else zip_name()
            raise ContentError(relative, error.problems) from error

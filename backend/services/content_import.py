"""Importing a content folder without overwriting newer work: check, show the change, then import.

A folder in the repository is usually older than what the school did in the admin since. An import
is refused when the live revision or the open draft came from the admin after the last import, and
goes on only when the person running it says the folder should replace that work (`--replace`).
Every import is in the audit log with who ran it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _

from backend.content.loader import ContentError, read_content_file
from backend.content.schema import Plan
from backend.database import write_transaction
from backend.extensions import db
from backend.models import PlanDraft, PlanRevision, User, as_utc
from backend.services import audit, diff
from backend.services import draft as drafts
from backend.services import plan as plan_service


@dataclass
class ImportCheck:
    """What an import of a plan would do: its changes against the live plan, and newer admin work."""

    plan: Plan
    latest: PlanRevision | None
    changes: list[diff.Change]
    moved: list[str]
    newer_work: list[str] = field(default_factory=list)  # Norwegian sentences, empty when none
    draft_changes: list[diff.Change] = field(default_factory=list)  # unpublished work --replace drops

    @property
    def unchanged(self) -> bool:
        return self.latest is not None and self.latest.content_hash == plan_service.content_hash(self.plan)


def who(actor: str | None) -> str:
    """Show an actor as a person: the account's name for an e-mail, else the text as stored."""
    if not actor:
        return _("ukjent")
    name = db.session.execute(db.select(User.name).where(User.email == actor)).scalar_one_or_none()
    return name or actor


# A downloaded or exported folder says which revision it was made from, so importing it after editing
# is not taken for an old folder overwriting newer work.
MARKER = "revisjon.txt"
MARKER_LINE = re.compile(r"^revisjon: (\d{1,10})$", re.MULTILINE)


def marker_text(revision: PlanRevision) -> str:
    """The marker file written beside the content files of a download or an export."""
    when = f"{as_utc(revision.created_at):%Y-%m-%d %H:%M} UTC"
    return (
        f"# Lastet ned fra Rusplan: revisjon {revision.id}, publisert {when}.\n"
        "# La filen ligge i mappen. Da ser «flask content import» at mappen bygger på denne revisjonen,\n"
        "# og stopper bare hvis planen er endret i administrasjonen etter den.\n"
        f"revisjon: {revision.id}\n"
    )


def based_on(folder: Path | str) -> int | None:
    """Return the revision a folder was downloaded or exported from, or None when it does not say."""
    path = Path(folder) / MARKER
    if not path.exists() and not path.is_symlink():
        return None
    try:
        found = MARKER_LINE.search(read_content_file(path))
    except ContentError:
        return None
    return int(found.group(1)) if found else None


def check(plan: Plan, *, base: int | None = None) -> ImportCheck:
    """Compare a plan from a folder with the live plan, and find admin work the import would overwrite.

    That is a live revision from the admin after the last import (unless `base`, the revision the
    folder was downloaded from, is the live one), or changes in the draft made after the last import.
    """
    latest = plan_service.latest_revision()
    if latest is None:
        return ImportCheck(plan, None, [], [])
    data = plan.model_dump(mode="json")
    result = ImportCheck(plan, latest, diff.compare(latest.data, data), diff.moved(latest.data, data))
    last = plan_service.last_import()
    if latest.source != "import" and latest.id != base:
        message = (
            _(
                "Planen som vises nå (revisjon %(id)s) ble publisert i administrasjonen av %(person)s "
                "etter siste import."
            )
            if last is not None
            else _("Planen som vises nå (revisjon %(id)s) ble publisert i administrasjonen av %(person)s.")
        )
        result.newer_work.append(message % {"id": latest.id, "person": who(latest.author)})
    row = db.session.get(PlanDraft, drafts.DRAFT_ID)
    if row is not None and row.data != latest.data:
        newer = last is None or as_utc(row.updated_at) > as_utc(last.created_at)
        if newer:
            result.draft_changes = diff.compare(latest.data, row.data)
            result.newer_work.append(
                _(
                    "Utkastet har endringer fra administrasjonen som ikke er publisert (sist av %(person)s).",
                    person=who(row.updated_by),
                )
            )
    return result


def import_plan(
    plan: Plan, *, folder: Path | str, actor: str, via: str, replace: bool, base: int | None = None
) -> tuple[PlanRevision, str | None]:
    """Import a checked plan as a new live revision; the caller made sure there is something to import.

    Refuses (ImportRefused) when there is newer admin work and `replace` is not set. Returns the new
    revision and what happened to the open draft (None when there was none).
    """
    with write_transaction():
        found = check(plan, base=base)
        if found.newer_work and not replace:
            raise ImportRefused(found)
        name = Path(folder).name
        revision = plan_service.publish(plan, author=actor, note=f"Importert fra {name}", source="import")
        replaced = " Erstattet nyere endringer fra administrasjonen." if found.newer_work else ""
        audit.record(
            "import",
            actor=actor,
            subject=f"revisjon {revision.id}",
            detail=f"Importert fra {name} ({via}).{replaced}",
        )
        draft_note = drafts.rebase_after_import(
            revision, actor=actor, replace=replace and bool(found.newer_work)
        )
    return revision, draft_note


class ImportRefused(drafts.DraftError):
    """The import would overwrite newer work in the admin; `check` says what and what would change."""

    def __init__(self, found: ImportCheck):
        self.check = found
        super().__init__(" ".join(found.newer_work))

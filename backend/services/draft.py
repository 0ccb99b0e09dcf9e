"""The shared draft: admins edit it, "Publiser" turns it into a new revision, a restore publishes an old one.

There is one draft for the whole school. Every change is a read-modify-write of its JSON inside a
BEGIN IMMEDIATE transaction, so two admins editing at once both keep their edits. Each change raises
the draft's version; publishing names the version the admin reviewed and is refused if the draft moved
on since. If a revision was published from elsewhere (an import) after the draft was started, the draft
is merged part by part onto it, and a part changed on both sides is a conflict instead of a silent loss.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from pydantic import ValidationError
from sqlalchemy import select

from backend.content.loader import plan_from_data
from backend.content.schema import Plan
from backend.database import write_transaction
from backend.extensions import db
from backend.models import PlanDraft, PlanRevision, get_by_id
from backend.services import audit, diff
from backend.services import plan as plan_service
from backend.services.accounts import now

log = logging.getLogger(__name__)

DRAFT_ID = 1
# Every top-level part of the plan, taken from the schema so a new part is never dropped in a merge.
PARTS = tuple(Plan.model_fields)


class DraftError(ValueError):
    """A draft operation that cannot be done; the message is Norwegian and safe to show."""


class InvalidPlan(DraftError):
    """The change would make the plan invalid; nothing was saved."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(_("Endringen ble ikke lagret: %(problems)s", problems="; ".join(problems)))


@dataclass(frozen=True)
class Draft:
    """What the admin pages show: the draft's data, its version, and how it relates to the live plan."""

    data: dict[str, Any]
    version: int
    base_revision_id: int
    latest_revision_id: int
    changed: bool  # differs from the newest revision
    updated_by: str | None
    change_authors: dict[str, str] | None = None  # path key of a changed field -> who changed it

    @property
    def plan(self) -> Plan:
        return plan_from_data(self.data)


def _latest() -> PlanRevision:
    revision = plan_service.latest_revision()
    if revision is None:
        raise DraftError(_("Planen er ikke importert ennå."))
    return revision


def _row() -> PlanDraft | None:
    return db.session.get(PlanDraft, DRAFT_ID)


def describe(error: ValidationError) -> list[str]:
    """Turn a pydantic error into short Norwegian lines."""
    lines = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"{where}: {message}" if where else message)
    return lines


def validate(data: dict[str, Any]) -> Plan:
    """Validate plan data with the content schema; raise InvalidPlan with readable problems."""
    try:
        return Plan.model_validate(data)
    except ValidationError as error:
        raise InvalidPlan(describe(error)) from error


def current() -> Draft:
    """Return the draft, or the newest revision as a draft without changes when there is none."""
    latest = _latest()
    row = _row()
    if row is None:
        return Draft(latest.data, 0, latest.id, latest.id, False, None)
    changed = plan_service.content_hash(plan_from_data(row.data)) != latest.content_hash
    return Draft(
        row.data, row.version, row.base_revision_id, latest.id, changed, row.updated_by, row.change_authors
    )


def _load_for_write() -> PlanDraft:
    row = _row()
    if row is None:
        latest = _latest()
        row = PlanDraft(id=DRAFT_ID, base_revision_id=latest.id, version=0, data=copy.deepcopy(latest.data))
        db.session.add(row)
    return row


def update(change: Callable[[dict[str, Any]], None], *, actor: str, log: dict | None = None) -> int:
    """Apply a change to a copy of the draft, validate the whole plan and save it; return the new version.

    `change` edits the dict in place and may raise DraftError; on any error nothing is saved. `log`,
    when given, is an audit event (audit.record's arguments) stored in the same transaction.
    """
    with write_transaction():
        row = _load_for_write()
        data = copy.deepcopy(row.data)
        change(data)
        plan = validate(data)
        new_data = plan.model_dump(mode="json")
        authors = dict(row.change_authors or {})
        authors.update(dict.fromkeys(diff.changed_paths(row.data, new_data), actor))
        row.data = new_data
        row.change_authors = authors
        row.version = (row.version or 0) + 1
        row.updated_at = now()
        row.updated_by = actor
        if log is not None:
            audit.record(**log)
        return row.version


def _step(container: Any, part: str) -> Any:
    """Follow one part of a flatten() path: a dict key, `#index` or `key=value` of a list item."""
    if isinstance(container, dict):
        return container[part]
    if part.startswith("#"):
        return container[int(part[1:])]
    key, _, value = part.partition("=")
    return next(item for item in container if isinstance(item, dict) and item.get(key) == value)


def _find(data: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        data = _step(data, part)
    return data


def revert_change(data: dict[str, Any], live: dict[str, Any], path: tuple[str, ...]) -> None:
    """Undo one change of the draft in place: the field (or the added/removed item) goes back to live.

    The smallest thing that exists on both sides is put back: a field changed in place gets the live
    value; an item added in the draft is removed; an item removed in the draft comes back where it was.
    A list of plain texts (signs, agenda) goes back as a whole.
    """
    if not path:
        raise DraftError(_("Fant ikke endringen; last inn siden på nytt."))
    if path[-1].startswith("#"):
        path = path[:-1]  # a plain list of texts: put the whole list back
    try:
        parent_path, last = path[:-1], path[-1]
        in_live = _exists(live, path)
        in_draft = _exists(data, path)
        if in_live and in_draft:
            parent = _find(data, parent_path)
            value = copy.deepcopy(_find(live, path))
            if isinstance(parent, dict):
                parent[last] = value
            else:
                parent[parent.index(_step(parent, last))] = value
            return
        if in_draft:  # added in the draft: remove the item (or field) that is new
            while len(path) > 1 and not _exists(live, path[:-1]):
                path = path[:-1]
            parent = _find(data, path[:-1])
            if isinstance(parent, dict):
                parent.pop(path[-1])
            else:
                parent.remove(_step(parent, path[-1]))
            return
        if in_live:  # removed in the draft: bring back the item, at its old place
            while len(path) > 1 and not _exists(data, path[:-1]):
                path = path[:-1]
            live_parent = _find(live, path[:-1])
            parent = _find(data, path[:-1])
            value = copy.deepcopy(_step(live_parent, path[-1]))
            if isinstance(parent, dict):
                parent[path[-1]] = value
            else:
                parent.insert(min(live_parent.index(value), len(parent)), value)
            return
    except (KeyError, IndexError, ValueError, StopIteration, TypeError) as error:
        raise DraftError(_("Endringen kunne ikke angres; last inn siden på nytt.")) from error
    raise DraftError(_("Endringen finnes ikke lenger i utkastet; last inn siden på nytt."))


def _exists(data: Any, path: tuple[str, ...]) -> bool:
    try:
        _find(data, path)
    except (KeyError, IndexError, ValueError, StopIteration, TypeError):
        return False
    return True


def undo(key: str, *, actor: str, label: str = "") -> None:
    """Undo one change of the draft (by its path key, as the draft page lists it)."""
    latest = _latest()
    path = tuple(key.split("/")) if key else ()

    def change(data: dict[str, Any]) -> None:
        revert_change(data, latest.data, path)

    update(change, actor=actor, log={"event": "draft_change_undone", "actor": actor, "detail": label})


def replace_with(plan: Plan, *, actor: str, detail: str) -> int:
    """Make a whole plan the draft (an uploaded zip); recorded in the log as an import."""
    data = plan.model_dump(mode="json")

    def change(current: dict[str, Any]) -> None:
        current.clear()
        current.update(copy.deepcopy(data))

    log = {"event": "import", "actor": actor, "subject": "utkastet", "detail": detail}
    return update(change, actor=actor, log=log)


def rebase_after_import(revision: PlanRevision, *, actor: str, replace: bool) -> str | None:
    """Put the open draft on top of a revision just imported, so it lists only changes someone made.

    With `replace` (the folder wins) the draft is thrown away. Otherwise its changes are merged part by
    part onto the new revision; a part changed on both sides throws the draft away too. Returns what
    happened to the draft, in Norwegian, or None when there was none. The caller commits.
    """
    row = _row()
    if row is None:
        return None
    if not replace:
        base = db.session.get(PlanRevision, row.base_revision_id)
        try:
            merged = _merge(base.data, revision.data, row.data)
        except DraftError:
            merged = None
        if merged is not None:
            row.data = merged
            row.base_revision_id = revision.id
            still_changed = diff.changed_paths(revision.data, merged)
            row.change_authors = {
                key: who for key, who in (row.change_authors or {}).items() if key in still_changed
            }
            return _("Utkastet er lagt oppå den importerte revisjonen.")
    db.session.delete(row)
    audit.record("draft_discarded", actor=actor, detail=f"erstattet av import (utkast versjon {row.version})")
    return _("Utkastet er forkastet; det importerte innholdet erstatter det.")


def _merge(base: dict, latest: dict, draft: dict) -> dict:
    """Three-way merge by part of the plan; raise DraftError when a part changed on both sides."""
    merged = {}
    clashes = []
    for part in PARTS:
        if draft[part] == base[part]:
            merged[part] = latest[part]
        elif latest[part] == base[part] or latest[part] == draft[part]:
            merged[part] = draft[part]
        else:
            clashes.append(part)
    if clashes:
        raise DraftError(
            _(
                "Planen ble publisert fra et annet sted mens du redigerte, og de samme delene er endret "
                "begge steder (%(parts)s). Forkast utkastet og gjør endringene på nytt.",
                parts=", ".join(clashes),
            )
        )
    return merged


def publish(note: str, *, actor: str, expected_version: int) -> PlanRevision:
    """Publish the draft as a new revision if it is still the version the admin reviewed."""
    note = (note or "").strip()
    if not note:
        raise DraftError(_("Skriv kort hva som er endret."))
    with write_transaction():
        row = _row()
        if row is None or row.version != expected_version:
            raise DraftError(
                _(
                    "Utkastet er endret siden du så på det (kanskje av en annen administrator). "
                    "Se over endringene på nytt før du publiserer."
                )
            )
        latest = _latest()
        data = row.data
        if row.base_revision_id != latest.id:
            base = db.session.get(PlanRevision, row.base_revision_id)
            data = _merge(base.data, latest.data, row.data)
        plan = validate(data)
        if plan_service.content_hash(plan) == latest.content_hash:
            raise DraftError(_("Utkastet er likt planen som er publisert; det er ingenting å publisere."))
        revision = plan_service.publish(plan, author=actor, note=note)
        db.session.delete(row)
        audit.record("publish", actor=actor, subject=f"revisjon {revision.id}", detail=note)
    notify_subscribers(revision)
    return revision


def notify_subscribers(revision: PlanRevision, *, wake: bool = True) -> int | None:
    """After the commit, queue "Handlingsplanen er oppdatert" for those who opted in; never fail a publish.

    Only rows are stored here (one INSERT ... SELECT); the background sender posts them. Returns how
    many devices get the notice, or None when it could not be queued.
    """
    from backend.services.alerts import alerts as push

    try:
        return push.notify_plan_update(revision, wake=wake)
    except Exception:  # the plan is published; a notice that could not be queued is not worth an error
        db.session.rollback()
        log.exception("Could not queue plan-update notices for revision %s", revision.id)
        return None


def discard(*, actor: str) -> None:
    """Throw the draft away; the next edit starts from the newest revision."""
    with write_transaction():
        row = _row()
        if row is not None:
            db.session.delete(row)
            audit.record("draft_discarded", actor=actor, detail=f"utkast versjon {row.version}")


def restore(revision_id: int, *, actor: str, note: str = "") -> PlanRevision:
    """Publish an old revision's content again as a new revision; the draft is thrown away."""
    with write_transaction():
        old = get_by_id(PlanRevision, revision_id)
        if old is None:
            raise DraftError(_("Fant ikke den revisjonen."))
        latest = _latest()
        if old.content_hash == latest.content_hash:
            raise DraftError(_("Denne revisjonen har samme innhold som planen som er publisert nå."))
        plan = validate(old.data)
        text = f"Gjenopprettet revisjon {old.id}" + (f": {note.strip()}" if note and note.strip() else "")
        revision = plan_service.publish(plan, author=actor, note=text)
        row = _row()
        if row is not None:
            db.session.delete(row)
        audit.record("restore", actor=actor, subject=f"revisjon {revision.id}", detail=text)
    notify_subscribers(revision)
    return revision


def revisions(limit: int = 100) -> list[PlanRevision]:
    """Return the newest revisions first (without needing their data)."""
    return list(
        db.session.execute(select(PlanRevision).order_by(PlanRevision.id.desc()).limit(limit)).scalars()
    )


def revision(revision_id: int) -> PlanRevision | None:
    """Return one revision, or None (also for ids no database can hold)."""
    return get_by_id(PlanRevision, revision_id)


def previous(revision: PlanRevision) -> PlanRevision | None:
    """Return the revision just before this one."""
    return db.session.execute(
        select(PlanRevision).where(PlanRevision.id < revision.id).order_by(PlanRevision.id.desc()).limit(1)
    ).scalar_one_or_none()

"""Plan revisions: import content as a revision, find the current one, cache what it renders."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flask import current_app
from pydantic import ValidationError
from sqlalchemy import select

from backend.config import school_file_name
from backend.content.errors import describe as describe_content
from backend.content.loader import load_plan, plan_from_data
from backend.content.schema import Plan
from backend.extensions import db
from backend.models import PlanRevision
from backend.services.db_errors import DATABASE_UNAVAILABLE, describe

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CurrentPlan:
    """The plan of the current revision, with what identifies that revision."""

    revision_id: int
    created_at: datetime
    content_hash: str
    plan: Plan


@dataclass(frozen=True)
class RejectedRevision:
    """The newest stored revision, which fails validation: its id, why, and what is shown instead."""

    revision_id: int
    content_hash: str
    data: dict = field(repr=False, compare=False)  # the stored plan, to say why in the reader's language
    served_revision_id: int | None = None  # the last good revision the public pages show instead

    @property
    def problems(self) -> tuple[str, ...]:
        """What is wrong, one line each, in the language in force where it is asked (the admin's page).

        Checked again on asking rather than kept as text: the cache is shared by every request, and
        the first to notice the revision may well have been a public page read in another language.
        """
        try:
            plan_from_data(self.data)
        except ValidationError as error:
            name = f"revisjon {self.revision_id}"
            return tuple(p.message for p in describe_content(error, Plan, None, name=name))
        return ()


def content_hash(plan: Plan) -> str:
    """Return a stable hash of a plan's content, so re-importing the same files is a no-op."""
    text = json.dumps(plan.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def publish(plan: Plan, *, author: str | None, note: str, source: str = "admin") -> PlanRevision:
    """Store a plan as a new revision and make it current; the caller commits.

    `source` is "import" for a content folder, "admin" for a publish or restore in the admin.
    """
    revision = PlanRevision(
        author=author,
        note=note,
        content_hash=content_hash(plan),
        data=plan.model_dump(mode="json"),
        source=source,
    )
    db.session.add(revision)
    db.session.flush()
    revision_cache.expire()
    return revision


def latest_revision() -> PlanRevision | None:
    """Return the newest revision, or None when nothing has been imported."""
    return db.session.execute(
        select(PlanRevision).order_by(PlanRevision.id.desc()).limit(1)
    ).scalar_one_or_none()


def last_import() -> PlanRevision | None:
    """Return the newest revision that came from a content folder, or None."""
    return db.session.execute(
        select(PlanRevision).where(PlanRevision.source == "import").order_by(PlanRevision.id.desc()).limit(1)
    ).scalar_one_or_none()


def import_folder(folder: Path | str, *, author: str | None = None) -> tuple[PlanRevision, bool]:
    """Import a content folder without any check (first import, tests); see services/content_import.py."""
    plan = load_plan(folder)
    current = latest_revision()
    if current is not None and current.content_hash == content_hash(plan):
        return current, False
    revision = publish(plan, author=author, note=f"Importert fra {Path(folder).name}", source="import")
    db.session.commit()
    return revision, True


class RevisionCache:
    """Parsed plans and rendered pages, kept per revision so a page view does not rebuild the plan.

    The key includes the revision id, so publishing a revision makes every old entry unreachable;
    entries of older revisions are dropped when a newer revision is first seen.

    When the database fails (locked, full, unreachable), the last known plan is served instead: from
    memory, or from the snapshot on disk when this process never saw the database answer. For
    DB_RETRY_AFTER seconds after a failure the database is not asked again, so an outage does not make
    every page wait for a timeout. When the database answers, it is asked at most once per
    REVISION_CHECK_INTERVAL seconds (a page view is then served from memory alone; a revision published
    by another process shows within that interval, one published by this process at once).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current: CurrentPlan | None = None
        self._pages: dict[tuple, bytes] = {}
        self._retry_at = 0.0
        self._checked_at = float("-inf")
        self.rejected: RejectedRevision | None = None

    def clear(self) -> None:
        """Forget everything (tests, and after a restore)."""
        with self._lock:
            self.rejected = None
            self._current = None
            self._pages.clear()
            self._retry_at = 0.0
            self._checked_at = float("-inf")

    def expire(self) -> None:
        """Ask the database on the next call (this process just published a revision)."""
        self._checked_at = float("-inf")

    def memory_version(self, interval: float) -> tuple[int, str] | None:
        """Return (revision id, content hash) when current() would answer from memory now, else None."""
        known = self._current
        now = time.monotonic()
        if known is None or not (now < self._retry_at or now - self._checked_at < interval):
            return None
        return known.revision_id, known.content_hash

    def last_known(self) -> CurrentPlan | None:
        """Return the last plan this process saw, or the snapshot on disk; never asks the database."""
        return self._current or self._remember(read_snapshot(snapshot_path()))

    def current(self, *, fallback: bool = True) -> CurrentPlan | None:
        """Return the current plan, parsing it only when the newest revision changed.

        With fallback, a database failure gives the last known plan (or re-raises when there is none).
        """
        now = time.monotonic()
        if self._current is not None and (
            (fallback and now < self._retry_at)
            or now - self._checked_at < float(current_app.config["REVISION_CHECK_INTERVAL"])
        ):
            return self._current
        try:
            fresh = self._read_current()
        except DATABASE_UNAVAILABLE as error:
            _rollback_quietly()
            known = self.last_known() if fallback else None
            if known is None:
                raise
            self._retry_at = time.monotonic() + float(current_app.config["DB_RETRY_AFTER"])
            log.warning(
                "Database unavailable (%s): serving revision %s from memory",
                describe(error),
                known.revision_id,
            )
            return known
        self._retry_at = 0.0
        self._checked_at = now
        return fresh

    def _read_current(self) -> CurrentPlan | None:
        row = db.session.execute(
            select(PlanRevision.id, PlanRevision.created_at, PlanRevision.content_hash)
            .order_by(PlanRevision.id.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        cached = self._current
        # The hash too: a restored backup may reuse a revision id for other content.
        if cached is not None and (cached.revision_id, cached.content_hash) == (row.id, row.content_hash):
            self.rejected = None
            return cached
        rejected = self.rejected
        if rejected and (rejected.revision_id, rejected.content_hash) == (row.id, row.content_hash):
            return cached
        revision = db.session.get(PlanRevision, row.id)
        try:
            plan = plan_from_data(revision.data)
        except ValidationError as error:
            return self._last_good(row, error, revision.data)
        self.rejected = None
        fresh = CurrentPlan(row.id, row.created_at, row.content_hash, plan)
        if self._remember(fresh) is fresh:
            write_snapshot(snapshot_path(), revision.data, fresh)
        return fresh

    def _last_good(self, row, error: ValidationError, data: dict) -> CurrentPlan | None:
        """The newest revision fails validation: serve the newest one that passes, and say why."""
        good = None
        older = db.session.execute(
            select(PlanRevision).where(PlanRevision.id < row.id).order_by(PlanRevision.id.desc())
        ).scalars()
        for candidate in older:
            try:
                plan = plan_from_data(candidate.data)
            except ValidationError:
                continue
            good = CurrentPlan(candidate.id, candidate.created_at, candidate.content_hash, plan)
            break
        if good is None:  # no good revision in the database: the snapshot on disk, if any
            good = self._current or read_snapshot(snapshot_path())
        rejected = RejectedRevision(row.id, row.content_hash, data, good.revision_id if good else None)
        log.error(
            "Revision %s fails validation (%s); serving revision %s",
            row.id,
            "; ".join(p.message for p in describe_content(error, Plan, None, name=f"revision {row.id}")),
            good.revision_id if good else None,
        )
        self.rejected = rejected
        return self._remember(good)

    def _remember(self, fresh: CurrentPlan | None) -> CurrentPlan | None:
        """Make a plan current; return the one that is current."""
        if fresh is None:
            return None
        with self._lock:
            # Newest in the database is current, also when it went back (a restored backup).
            known = self._current
            if known is None or (known.revision_id, known.content_hash) != (
                fresh.revision_id,
                fresh.content_hash,
            ):
                self._current = fresh
                self._pages = {}
            return self._current

    def page(self, revision_id: int, key: tuple, build: Callable[[], bytes]) -> bytes:
        """Return the rendered page for this revision and key, building it once."""
        full_key = (revision_id, *key)
        body = self._pages.get(full_key)
        if body is None:
            body = build()
            with self._lock:
                if self._current is None or self._current.revision_id == revision_id:
                    self._pages[full_key] = body
        return body


def _rollback_quietly() -> None:
    """End the failed transaction; a dead connection may fail to roll back too, which is fine."""
    with contextlib.suppress(DATABASE_UNAVAILABLE):
        db.session.rollback()


def snapshot_path() -> Path:
    """Return where the last known plan is kept on disk (PLAN_SNAPSHOT, default instance/last-plan.json)."""
    configured = current_app.config.get("PLAN_SNAPSHOT")
    if configured:
        return Path(configured)
    return Path(current_app.instance_path) / school_file_name(
        current_app.config["SCHOOL"], "last-plan", ".json"
    )


def write_snapshot(path: Path, data: dict, current: CurrentPlan) -> None:
    """Keep the plan on disk for a worker that starts while the database is down (atomic replace)."""
    record = {
        "revision_id": current.revision_id,
        "created_at": current.created_at.isoformat(),
        "content_hash": current.content_hash,
        "data": data,
    }
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    try:
        tmp.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as error:  # a read-only instance folder must not break page views
        log.warning("Could not write the plan snapshot %s: %s", path, error.strerror)
        tmp.unlink(missing_ok=True)


def read_snapshot(path: Path) -> CurrentPlan | None:
    """Return the plan kept on disk, or None when there is none or it is unreadable."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        return CurrentPlan(
            int(record["revision_id"]),
            datetime.fromisoformat(record["created_at"]),
            str(record["content_hash"]),
            plan_from_data(record["data"]),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, ValidationError) as error:
        log.warning("Ignoring the unreadable plan snapshot %s: %s", path, type(error).__name__)
        return None


revision_cache = RevisionCache()

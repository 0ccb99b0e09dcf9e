"""Plan revisions: import content as a revision, find the current one, cache what it renders."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from backend.content.loader import load_plan, plan_from_data
from backend.content.schema import Plan
from backend.extensions import db
from backend.models import PlanRevision


@dataclass(frozen=True)
class CurrentPlan:
    """The plan of the current revision, with what identifies that revision."""

    revision_id: int
    created_at: datetime
    content_hash: str
    plan: Plan


def content_hash(plan: Plan) -> str:
    """Return a stable hash of a plan's content, so re-importing the same files is a no-op."""
    text = json.dumps(plan.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def publish(plan: Plan, *, author: str | None, note: str) -> PlanRevision:
    """Store a plan as a new revision and make it current; the caller commits."""
    revision = PlanRevision(
        author=author, note=note, content_hash=content_hash(plan), data=plan.model_dump(mode="json")
    )
    db.session.add(revision)
    db.session.flush()
    return revision


def latest_revision() -> PlanRevision | None:
    """Return the newest revision, or None when nothing has been imported."""
    return db.session.execute(
        select(PlanRevision).order_by(PlanRevision.id.desc()).limit(1)
    ).scalar_one_or_none()


def import_folder(folder: Path | str, *, author: str | None = None) -> tuple[PlanRevision, bool]:
    """Import a content folder; return the current revision and whether a new one was made."""
    plan = load_plan(folder)
    current = latest_revision()
    if current is not None and current.content_hash == content_hash(plan):
        return current, False
    revision = publish(plan, author=author, note=f"Importert fra {Path(folder).name}")
    db.session.commit()
    return revision, True


class RevisionCache:
    """Parsed plans and rendered pages, kept per revision so a page view does not rebuild the plan.

    The key includes the revision id, so publishing a revision makes every old entry unreachable;
    entries of older revisions are dropped when a newer revision is first seen.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current: CurrentPlan | None = None
        self._pages: dict[tuple, bytes] = {}

    def clear(self) -> None:
        """Forget everything (tests, and after a restore)."""
        with self._lock:
            self._current = None
            self._pages.clear()

    def current(self) -> CurrentPlan | None:
        """Return the current plan, parsing it only when the newest revision changed."""
        row = db.session.execute(
            select(PlanRevision.id, PlanRevision.created_at, PlanRevision.content_hash)
            .order_by(PlanRevision.id.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        cached = self._current
        if cached is not None and cached.revision_id == row.id:
            return cached
        revision = db.session.get(PlanRevision, row.id)
        fresh = CurrentPlan(row.id, row.created_at, row.content_hash, plan_from_data(revision.data))
        with self._lock:
            if self._current is None or self._current.revision_id < fresh.revision_id:
                self._current = fresh
                self._pages = {k: v for k, v in self._pages.items() if k[0] == fresh.revision_id}
        return fresh

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


revision_cache = RevisionCache()

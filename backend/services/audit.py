"""The audit log: who logged in, failed, was locked out, published, restored or changed a user."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from backend.database import write_transaction
from backend.extensions import db
from backend.models import AuditEvent, utcnow

# Event names and how the log page shows them.
EVENTS: dict[str, Any] = {  # lazy: shown in the reader's language
    "login": _l("Innlogging"),
    "login_failed": _l("Mislykket innlogging"),
    "lockout": _l("Konto sperret midlertidig"),
    "logout": _l("Utlogging"),
    "reauth": _l("Bekreftet passord"),
    "totp_failed": _l("Feil engangskode"),
    "totp_enabled": _l("Tofaktor slått på"),
    "recovery_code_used": _l("Reservekode brukt"),
    "password_changed": _l("Passord endret"),
    "user_created": _l("Bruker opprettet"),
    "user_invited": _l("Invitasjon laget"),
    "invitation_accepted": _l("Invitasjon tatt i bruk"),
    "user_changed": _l("Bruker endret"),
    "user_disabled": _l("Bruker deaktivert"),
    "user_enabled": _l("Bruker aktivert"),
    "publish": _l("Publisert"),
    "restore": _l("Gjenopprettet"),
    "draft_discarded": _l("Utkast forkastet"),
    "password_reset_requested": _l("Nytt passord bedt om"),
    "sign_in_refused": _l("Innlogging avvist"),
    "sign_in_linked": _l("Innlogging koblet til bruker"),
    "import": _l("Importert"),
    "draft_change_undone": _l("Endring i utkastet angret"),
}


def record(
    event: str, *, actor: str | None = None, subject: str | None = None, detail: str = "", ip=None
) -> AuditEvent:
    """Add one event to the log; the caller commits with the change it records."""
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event!r}")
    entry = AuditEvent(event=event, actor=actor, subject=subject, detail=detail[:2000], ip=ip)
    db.session.add(entry)
    return entry


def recent(limit: int = 200, before_id: int | None = None) -> list[AuditEvent]:
    """Return the newest events first."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    return list(db.session.execute(query).scalars())


def purge(days: int | None = None, now: datetime | None = None) -> int:
    """Delete events older than AUDIT_LOG_RETENTION_DAYS (as the privacy page says); return how many."""
    days = int(current_app.config["AUDIT_LOG_RETENTION_DAYS"]) if days is None else days
    cutoff = (now or utcnow()) - timedelta(days=days)
    with write_transaction():
        count = db.session.execute(delete(AuditEvent).where(AuditEvent.created_at < cutoff)).rowcount
    return count

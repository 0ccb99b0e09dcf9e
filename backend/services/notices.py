"""What Rusplan mails, in the school's language: invitations, the overdue review, a leader without alerts.

Every mail is plain text with a simple HTML alternative, names only staff, and never a student. The
password reset mail is in services/password_reset.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError

from backend.database import write_transaction
from backend.extensions import db
from backend.models import PushSubscription, SentNotice, User
from backend.services import mail, sign_in_providers
from backend.services import plan as plan_service
from backend.services.language import school_locale

ROLE_NAMES = {"staff": _l("ansatt"), "leader": _l("leder"), "admin": _l("administrator")}
REVIEW_OVERDUE = "review_overdue"
REVIEW_OVERDUE_PUSH = "review_overdue_push"
AFTER_COMMIT = "mail_after_commit"


def school_name() -> str:
    """Return the school's name from the current plan (the configured folder name if there is none)."""
    current = plan_service.revision_cache.current()
    return current.plan.meta.school if current is not None else current_app.config["SCHOOL"]


def absolute_url(endpoint: str, **values) -> str | None:
    """Return a full link: from the request when there is one, else from PUBLIC_URL (None without it)."""
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    base = current_app.config.get("PUBLIC_URL", "").rstrip("/")
    if not base:
        return None
    return base + current_app.url_map.bind("localhost").build(endpoint, values)


def active_admins() -> list[User]:
    """Return the admins who can act on a notice (active accounts)."""
    query = select(User).where(User.is_admin.is_(True), User.disabled.is_(False)).order_by(User.id)
    return [user for user in db.session.execute(query).scalars() if user.is_active]


def role_text(user: User) -> str:
    """Return the user's roles in words: «leder og administrator»."""
    names = [str(ROLE_NAMES[role]) for role in user.roles]
    if len(names) > 1:
        return _("%(some)s og %(last)s", some=", ".join(names[:-1]), last=names[-1])
    return "".join(names)


# --- Invitations ---------------------------------------------------------------------------------


def send_invitation(user: User, link: str, expires_at: datetime, *, invited_by: str | None) -> str:
    """Mail an invitation link; return "sent", "failed" or "off" (no SMTP: the admin passes it on)."""
    return send_invitations([(user, link, expires_at)], invited_by=invited_by)


def send_invitations(invitations: list[tuple[User, str, datetime]], *, invited_by: str | None) -> str:
    """Mail each person their own link over one SMTP connection (a list from «Inviter flere»).

    Returns "sent" when the server took every mail, "failed" otherwise (the admin passes the links on),
    or "off" without SMTP.
    """
    if not mail.configured():
        return "off"
    with school_locale():
        messages = [_invitation(user, link, expires_at, invited_by) for user, link, expires_at in invitations]
    return "sent" if mail.send_now(messages) else "failed"


def _invitation(user: User, link: str, expires_at: datetime, invited_by: str | None):
    return mail.compose(
        user.email,
        _("Invitasjon til Rusplan for %(school)s", school=school_name()),
        "invitation",
        user=user,
        link=link,
        expires_at=expires_at,
        school=school_name(),
        roles=role_text(user),
        invited_by=invited_by,
        sign_in_with=[found.label for found in sign_in_providers.providers()],
        login_link=absolute_url("account.login"),
    )


# --- The plan's review date ----------------------------------------------------------------------


@dataclass
class ReviewReminder:
    """What `send_review_reminders` did: status is sent, not_due, already_sent, no_admins, no_plan,
    off (no SMTP) or failed."""

    status: str
    due: date | None = None
    recipients: int = 0


def send_review_reminders(today: date) -> ReviewReminder:
    """Mail every admin once when the published plan's review date has passed (once per review date).

    The notice is claimed in the database before it is sent (a unique kind + key), so two timers at
    once send one mail; a failed send gives the claim back, so the next run tries again.
    """
    current = plan_service.revision_cache.current(fallback=False)
    if current is None:
        return ReviewReminder("no_plan")
    evaluation = current.plan.meta.evaluation
    due = evaluation.next_revision_date
    if due >= today:
        return ReviewReminder("not_due", due)
    if not mail.configured():
        return ReviewReminder("off", due)
    key = due.isoformat()
    admins = active_admins()
    if not admins:
        return ReviewReminder("no_admins", due)
    try:
        with write_transaction():
            claimed = db.session.execute(
                select(SentNotice).where(SentNotice.kind == REVIEW_OVERDUE, SentNotice.key == key)
            ).scalar_one_or_none()
            if claimed is not None:
                return ReviewReminder("already_sent", due)
            claim = SentNotice(kind=REVIEW_OVERDUE, key=key)
            db.session.add(claim)
    except IntegrityError:  # another run claimed it a moment ago
        db.session.rollback()
        return ReviewReminder("already_sent", due)
    school = school_name()
    with school_locale():
        messages = [
            mail.compose(
                admin.email,
                _("Handlingsplanen mot rus skulle vært revidert – %(school)s", school=school),
                "review_overdue",
                admin=admin,
                school=school,
                due=due,
                responsible=evaluation.responsible,
                dates_link=absolute_url("admin.dates"),
            )
            for admin in admins
        ]
    if not mail.send_now(messages):
        with write_transaction():
            db.session.execute(
                SentNotice.__table__.delete().where(SentNotice.kind == REVIEW_OVERDUE, SentNotice.key == key)
            )
        return ReviewReminder("failed", due, len(messages))
    return ReviewReminder("sent", due, len(messages))


def queue_review_push(today: date, notify: Callable[[int, list[int]], int]) -> ReviewReminder:
    """Push «skulle vært revidert» once per review date to the admins' devices that take plan notices.

    `notify(revision id, admin ids)` stores the deliveries and returns how many (the alerts service's
    notify_review_overdue, passed in: alerts already import this module). Claimed like the mail
    (SentNotice, kind + key) in the same transaction that stores them, so two runs queue it once; it
    needs no SMTP. Status: sent (queued), not_due, already_sent, no_admins (no admin device takes
    plan notices yet), no_plan.
    """
    current = plan_service.revision_cache.current(fallback=False)
    if current is None:
        return ReviewReminder("no_plan")
    due = current.plan.meta.evaluation.next_revision_date
    if due >= today:
        return ReviewReminder("not_due", due)
    key = due.isoformat()
    admin_ids = [admin.id for admin in active_admins()]
    try:
        with write_transaction():
            claimed = db.session.execute(
                select(SentNotice).where(SentNotice.kind == REVIEW_OVERDUE_PUSH, SentNotice.key == key)
            ).scalar_one_or_none()
            if claimed is not None:
                return ReviewReminder("already_sent", due)
            count = notify(current.revision_id, admin_ids)
            if count == 0:  # nobody to tell yet: an admin who turns notices on later still gets it
                return ReviewReminder("no_admins", due)
            db.session.add(SentNotice(kind=REVIEW_OVERDUE_PUSH, key=key))
    except IntegrityError:  # another run claimed it a moment ago (its deliveries were rolled back)
        db.session.rollback()
        return ReviewReminder("already_sent", due)
    return ReviewReminder("sent", due, count)


# --- A leader's last alert device ---------------------------------------------------------------


def devices_leaving(subscription_ids: Iterable[int]) -> None:
    """Call before devices are removed, in the same transaction: after its commit, the admins get a mail
    for each leader whose last device with alerts was among them (the call chain lost a link)."""
    ids = {int(sub_id) for sub_id in subscription_ids}
    if not ids or not mail.configured():
        return
    owners = db.session.execute(
        select(PushSubscription.user_id)
        .where(
            PushSubscription.id.in_(ids),
            PushSubscription.alerts.is_(True),
            PushSubscription.user_id.is_not(None),
        )
        .distinct()
    ).scalars()
    lost = []
    for user_id in list(owners):
        leader = db.session.get(User, user_id)
        if leader is None or not leader.is_leader or not leader.is_active:
            continue
        remaining = db.session.execute(
            select(func.count(PushSubscription.id)).where(
                PushSubscription.user_id == user_id,
                PushSubscription.alerts.is_(True),
                PushSubscription.id.not_in(ids),
            )
        ).scalar_one()
        if remaining == 0:
            lost.append(leader)
    if not lost:
        return
    school = school_name()
    with school_locale():
        messages = [
            mail.compose(
                admin.email,
                _("%(name)s får ikke lenger varsler i Rusplan", name=leader.name),
                "lost_readiness",
                admin=admin,
                leader=leader,
                school=school,
                user_link=absolute_url("admin.user", user_id=leader.id),
                settings_link=absolute_url("push.settings"),
            )
            for leader in lost
            for admin in active_admins()
            if admin.id != leader.id
        ]
    _send_after_commit(messages)


def _send_after_commit(messages: list) -> None:
    """Queue mails to go out only if the current transaction commits (never for a rolled-back change)."""
    session = db.session()
    pending = session.info.setdefault(AFTER_COMMIT, [])
    if not session.info.get(AFTER_COMMIT + "_hooked"):
        session.info[AFTER_COMMIT + "_hooked"] = True
        event.listen(session, "after_commit", _flush_after_commit)
        event.listen(session, "after_rollback", _drop_after_rollback)
    pending.extend(messages)


def _flush_after_commit(session) -> None:
    messages, session.info[AFTER_COMMIT] = session.info.get(AFTER_COMMIT, []), []
    if messages:
        mail.send_later(messages)


def _drop_after_rollback(session) -> None:
    session.info[AFTER_COMMIT] = []

"""Alerts to the leadership and plan-update notices: create, acknowledge, progress, purge, payloads.

Everything is stored first and sent afterwards by the background sender (sender.py), so a request
never waits for a push service. No function here takes or stores free text.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app
from flask_babel import gettext as _
from sqlalchemy import and_, delete, func, insert, literal, or_, select
from sqlalchemy.exc import IntegrityError

from backend.database import write_transaction
from backend.extensions import db
from backend.models import (
    AckResponse,
    Alert,
    AlertAcknowledgement,
    AlertDelivery,
    DeliveryStatus,
    Place,
    PlanRevision,
    PushSubscription,
    User,
    as_utc,
    signs_in,
    utcnow,
)
from backend.services.alerts.procedures import (
    NO_PLAN,
    UNKNOWN_PROCEDURE,
    alert_procedure,
    current_plan,
    procedure_text,
)
from backend.services.alerts.sender import sender_for
from backend.services.dates import norwegian_date
from backend.services.language import school_locale
from backend.services.vapid import b64url

REVIEW_OVERDUE = "review_overdue"  # AlertDelivery.notice of «the review date has passed»


class AlertError(ValueError):
    """An alert that cannot be created as asked; the message is Norwegian and can be shown to the user.

    `field` names the form field the message belongs to ("alternative" or "place").
    """

    def __init__(self, message: str, field: str = "place") -> None:
        super().__init__(message)
        self.field = field


# ---------------------------------------------------------------- sending


def leader_ids() -> list[int]:
    """Return the ids of every active account with the leader role: the alert's recipients."""
    return list(
        db.session.execute(
            select(User.id).where(User.is_leader.is_(True), User.disabled.is_(False), signs_in())
        ).scalars()
    )


def send_alert(alternative: str, place_id: int, *, drill: bool, sender: User) -> Alert:
    """Store an alert to every leader's devices (drills: only devices opted into drills) and send it.

    `alternative` is the id of one of the current plan's urgent procedures.
    """
    return create_alert(
        alternative,
        place_id,
        drill=drill,
        sender_user_id=sender.id,
        recipient_user_ids=leader_ids(),
    )


@dataclass(frozen=True)
class Reach:
    """Who an alert sent now would reach: each leader with a device that takes it, by name."""

    leaders: list[tuple[str, int]]  # (name, devices), sorted by name
    unreached: list[str]  # leaders without such a device, by name

    @property
    def devices(self) -> int:
        return sum(count for _name, count in self.leaders)


def reach(*, drill: bool, sender_user_id: int | None) -> Reach:
    """Tell who an alert (or a drill) sent now by this user would reach, with the same query as sending."""
    leaders = [uid for uid in leader_ids() if uid != sender_user_id]
    rows = db.session.execute(
        select(User.id, User.name, func.count(PushSubscription.id))
        .join(PushSubscription, PushSubscription.user_id == User.id)
        .where(_recipients(drill, sender_user_id, leaders))
        .group_by(User.id, User.name)
    ).all()
    reached = {uid for uid, _name, _count in rows}
    unreached = []
    if leaders:
        unreached = list(
            db.session.execute(
                select(User.name).where(User.id.in_([uid for uid in leaders if uid not in reached]))
            ).scalars()
        )
    return Reach(
        leaders=sorted(((name, count) for _uid, name, count in rows), key=lambda row: row[0].casefold()),
        unreached=sorted(unreached, key=str.casefold),
    )


def _recipients(drill: bool, sender_user_id: int | None, user_ids: Collection[int] | None):
    """Build the query of subscriptions an alert goes to."""
    wanted = PushSubscription.drills.is_(True) if drill else PushSubscription.alerts.is_(True)
    conditions = [wanted]
    if sender_user_id is not None:  # the sender knows already; do not buzz their own phone
        conditions.append(or_(PushSubscription.user_id.is_(None), PushSubscription.user_id != sender_user_id))
    if user_ids is not None:
        conditions.append(PushSubscription.user_id.in_(list(user_ids)))
    return and_(*conditions)


def _store_deliveries(
    where, *, alert_id: int | None = None, revision_id: int | None = None, notice: str | None = None
) -> int:
    """Insert one pending delivery per matching subscription in one statement; return how many.

    Every fan-out (alerts, drills, plan updates, notices) passes here, so a disabled account's devices
    are left out here, whatever the caller asked for.
    """
    active_users = select(User.id).where(User.disabled.is_(False))
    where = and_(where, or_(PushSubscription.user_id.is_(None), PushSubscription.user_id.in_(active_users)))
    now = utcnow()
    columns = ["alert_id", "plan_revision_id", "subscription_id", "user_id", "status", "attempts"]
    columns += ["next_attempt_at", "notice"]
    source = select(
        literal(alert_id, db.Integer),
        literal(revision_id, db.Integer),
        PushSubscription.id,
        PushSubscription.user_id,
        literal(DeliveryStatus.PENDING.value),
        literal(0),
        literal(now, AlertDelivery.__table__.c.next_attempt_at.type),
        literal(notice, AlertDelivery.__table__.c.notice.type),
    ).where(where)
    # rowcount of an INSERT ... SELECT is only kept when asked for (psycopg otherwise reports -1).
    result = db.session.execute(
        insert(AlertDelivery.__table__).from_select(columns, source),
        execution_options={"preserve_rowcount": True},
    )
    return result.rowcount


def create_alert(
    alternative: str,
    place_id: int,
    *,
    drill: bool = False,
    sender_user_id: int | None = None,
    recipient_user_ids: Collection[int] | None = None,
) -> Alert:
    """Store an alert and one delivery per recipient device, commit, then wake the background sender.

    recipient_user_ids limits the alert to those users' devices (send_alert passes the leaders).
    """
    plan = current_plan()
    if plan is None:
        raise AlertError(NO_PLAN, field="alternative")
    if alert_procedure(plan, alternative) is None:
        raise AlertError(UNKNOWN_PROCEDURE, field="alternative")
    # Read the place and write the alert in one BEGIN IMMEDIATE transaction: in WAL mode a deferred
    # transaction that has read cannot start writing once the sender has committed meanwhile.
    with write_transaction():
        place = db.session.get(Place, place_id) if isinstance(place_id, int) else None
        if place is None or not place.active:
            raise AlertError(_("Velg et sted fra listen."))
        alert = Alert(
            alternative=alternative,
            place_id=place.id,
            drill=bool(drill),
            sender_user_id=sender_user_id,
            ack_nonce=secrets.token_bytes(16),
        )
        db.session.add(alert)
        db.session.flush()
        _store_deliveries(_recipients(alert.drill, sender_user_id, recipient_user_ids), alert_id=alert.id)
    _wake_sender(current_app._get_current_object())
    return alert


def notify_plan_update(revision: PlanRevision, *, wake: bool = True) -> int:
    """Queue a "Handlingsplanen er oppdatert" notice to everyone who opted in; return how many devices.

    `wake=False` only stores the rows (the command line): the server's sender finds them on its next poll.
    """
    count = _store_deliveries(PushSubscription.plan_updates.is_(True), revision_id=revision.id)
    db.session.commit()
    if count and wake:
        _wake_sender(current_app._get_current_object())
    return count


def notify_review_overdue(revision_id: int, user_ids: Collection[int]) -> int:
    """Queue «Planen skulle vært revidert» to these users' devices that take plan notices; return how many.

    Stored in the caller's transaction and committed with it; then call wake_sender() (not from the CLI:
    the server's sender finds the rows on its next poll).
    """
    if not user_ids:
        return 0
    where = and_(PushSubscription.plan_updates.is_(True), PushSubscription.user_id.in_(list(user_ids)))
    return _store_deliveries(where, revision_id=revision_id, notice=REVIEW_OVERDUE)


def wake_sender() -> None:
    """Wake the background sender of this app (after a commit that stored deliveries)."""
    _wake_sender(current_app._get_current_object())


def _wake_sender(app: Flask) -> None:
    sender_for(app).wake()


# ---------------------------------------------------------------- acknowledgements


def ack_token(alert: Alert) -> str:
    """Return the alert's acknowledgement token: an HMAC of its random nonce under SECRET_KEY."""
    key = current_app.config["SECRET_KEY"].encode("utf-8")
    digest = hmac.new(key, b"alert-ack:%d:" % alert.id + alert.ack_nonce, hashlib.sha256).digest()
    return b64url(digest[:24])


def acknowledge(
    alert_id: int,
    token: str,
    user_id: int | None,
    response: str = AckResponse.KOMMER,
    _retried: bool = False,
) -> AlertAcknowledgement | None:
    """Record a leader's answer to an alert; None if the token is wrong. Answering twice keeps the first."""
    alert = db.session.get(Alert, alert_id)
    if alert is None or not isinstance(token, str) or not hmac.compare_digest(ack_token(alert), token):
        return None
    answer = AckResponse(response)
    if user_id is not None:
        existing = db.session.execute(
            select(AlertAcknowledgement).where(
                AlertAcknowledgement.alert_id == alert.id, AlertAcknowledgement.user_id == user_id
            )
        ).scalar_one_or_none()
        if existing is not None:
            return existing
    ack = AlertAcknowledgement(alert_id=alert.id, user_id=user_id, response=answer)
    db.session.add(ack)
    try:
        db.session.commit()
    except IntegrityError:  # the same leader tapped twice at once: the first answer stands
        db.session.rollback()
        if _retried:
            raise
        return acknowledge(alert_id, token, user_id, response, _retried=True)
    return ack


@dataclass(frozen=True)
class AlertProgress:
    """What the sender's screen shows: how far the alert has got, and who answered."""

    devices: int
    delivered: int
    pending: int
    gone: int
    failed: int
    acknowledgements: list[AlertAcknowledgement]


def alert_progress(alert_id: int) -> AlertProgress:
    """Count an alert's deliveries by status and list its answers, oldest first."""
    counts = dict(
        db.session.execute(
            select(AlertDelivery.status, func.count())
            .where(AlertDelivery.alert_id == alert_id)
            .group_by(AlertDelivery.status)
        ).all()
    )
    acks = list(
        db.session.execute(
            select(AlertAcknowledgement)
            .where(AlertAcknowledgement.alert_id == alert_id)
            .order_by(AlertAcknowledgement.responded_at, AlertAcknowledgement.id)
        ).scalars()
    )
    return AlertProgress(
        devices=sum(counts.values()),
        delivered=counts.get(DeliveryStatus.DELIVERED, 0),
        pending=counts.get(DeliveryStatus.PENDING, 0) + counts.get(DeliveryStatus.SENDING, 0),
        gone=counts.get(DeliveryStatus.GONE, 0),
        failed=counts.get(DeliveryStatus.FAILED, 0),
        acknowledgements=acks,
    )


# ---------------------------------------------------------------- history


def purge_history(days: int | None = None, now: datetime | None = None) -> int:
    """Delete alerts older than ALERT_HISTORY_DAYS with their deliveries and answers; return how many.

    Children are deleted explicitly: SQLite does not enforce ON DELETE CASCADE unless told to.
    """
    days = current_app.config["ALERT_HISTORY_DAYS"] if days is None else days
    cutoff = (now or utcnow()) - timedelta(days=days)
    old_alerts = select(Alert.id).where(Alert.created_at < cutoff)
    settled = [DeliveryStatus.DELIVERED, DeliveryStatus.GONE, DeliveryStatus.FAILED]
    with write_transaction():
        db.session.execute(delete(AlertDelivery).where(AlertDelivery.alert_id.in_(old_alerts)))
        db.session.execute(delete(AlertAcknowledgement).where(AlertAcknowledgement.alert_id.in_(old_alerts)))
        db.session.execute(
            delete(AlertDelivery).where(
                AlertDelivery.plan_revision_id.is_not(None),
                AlertDelivery.next_attempt_at < cutoff,
                AlertDelivery.status.in_(settled),
            )
        )
        count = db.session.execute(delete(Alert).where(Alert.created_at < cutoff)).rowcount
    return count


# ---------------------------------------------------------------- payloads


def alternative_text(alternative: str) -> str:
    """Return «<label>: <title>» of the alert's procedure in the current plan's own words (else its id)."""
    return procedure_text(current_plan(), alternative)


def alert_payload(alert: Alert) -> dict:
    """Build the JSON the service worker gets for an alert (no student data: alternative and place)."""
    title = _("ØVELSE: Varsel til ledelsen") if alert.drill else _("Varsel til ledelsen")
    return {
        "type": "alert",
        "title": title,
        "body": f"{alternative_text(alert.alternative)} – {alert.place.name}",
        "drill": alert.drill,
        "alert_id": alert.id,
        "alternative": alert.alternative,
        "place": alert.place.name,
        "created_at": _iso(alert.created_at),
        "tag": f"alert-{alert.id}",
        "ack_url": f"/varsel/{alert.id}/kvitter/{ack_token(alert)}",
        "url": f"/varsel/{alert.id}",
    }


def plan_update_payload(revision_id: int) -> dict:
    """Build the JSON of a plan-update notice."""
    return {
        "type": "plan_update",
        "title": _("Handlingsplanen er oppdatert"),
        "body": _("Åpne Rusplan for å se den nye versjonen."),
        "revision_id": revision_id,
        "tag": "plan-update",
        "url": "/",
    }


def review_overdue_payload(revision_id: int) -> dict:
    """Build the JSON of the notice that the plan's review date has passed (to admins)."""
    from backend.services.plan import revision_cache

    current = revision_cache.current()
    due = current.plan.meta.evaluation.next_revision_date if current is not None else None
    if due:
        body = _(
            "Planen skulle vært revidert innen %(date)s. Gå gjennom den og sett ny dato.",
            date=norwegian_date(due),
        )
    else:
        body = _("Planen skulle vært revidert. Gå gjennom den og sett ny dato.")
    return {
        "type": REVIEW_OVERDUE,
        "title": _("Handlingsplanen skulle vært revidert"),
        "body": body,
        "revision_id": revision_id,
        "tag": "review-overdue",
        "url": "/admin/datoer",
    }


def payload_for(delivery: AlertDelivery) -> dict:
    """Build the JSON of a delivery's message: an alert, a plan-update or another notice (for the sender).

    In the school's language: it is read on a leader's lock screen, whoever caused it.
    """
    with school_locale():
        if delivery.alert_id is not None:
            return alert_payload(delivery.alert)
        if delivery.notice == REVIEW_OVERDUE:
            return review_overdue_payload(delivery.plan_revision_id)
        return plan_update_payload(delivery.plan_revision_id)


def _iso(moment: datetime) -> str:
    return as_utc(moment).isoformat(timespec="seconds")

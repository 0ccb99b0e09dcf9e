"""Alerts as people see them: who may follow one, the sender's live screen, the history.

alerts.py stores and sends; this module says how far an alert has got and who answered, with
names and titles from the plan. No free text anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import (
    Alert,
    AlertAcknowledgement,
    AlertDelivery,
    DeliveryStatus,
    User,
    as_utc,
    utcnow,
)
from backend.services.alerts.alerts import alert_progress, leader_ids
from backend.services.contact_links import contact_for, role_label

# After this long without an answer the sender is told to call the next person in the chain.
NO_ANSWER_SECONDS = 120
# The sender's screen stops asking for news after this long (an alert's push TTL is 15 minutes).
LIVE_SECONDS = 15 * 60


def can_view(alert: Alert, user: User) -> bool:
    """The sender, leaders and admins may follow an alert."""
    return alert.sender_user_id == user.id or user.is_leader or user.is_admin


# ---------------------------------------------------------------- the sender's screen


@dataclass(frozen=True)
class Answer:
    """One leader's answer as the screen shows it."""

    name: str
    role: str
    response: str
    at: datetime

    @property
    def text(self) -> str:
        # The one answer there is (AckResponse.KOMMER, stored as "kommer"), in the page's language.
        return _("%(name)s (%(role)s): kommer", name=self.name, role=self.role)


@dataclass(frozen=True)
class AlertStatus:
    """Everything the sender's screen shows about how far an alert has got."""

    alert: Alert
    devices: int
    delivered: int
    pending: int
    failed: int
    recipients: int  # leaders with at least one device it was sent to
    answers: list[Answer]
    age_seconds: float
    leaders: int = 0  # leaders the alert was for (every active leader but the sender)
    reached: int = 0  # of those, how many have at least one device it was delivered to
    waiting: int = 0  # of those not reached, how many still have a delivery under way
    not_reached: tuple[str, ...] = ()  # names of leaders it has not reached and will not reach

    @property
    def coming(self) -> str:
        """«Kristin Støten kommer», «Kristin Støten og Hilde B Hansen kommer», or "" without answers."""
        names = [answer.name for answer in self.answers]
        if not names:
            return ""
        if len(names) == 1:
            return _("%(name)s kommer", name=names[0])
        return _("%(names)s og %(last)s kommer", names=", ".join(names[:-1]), last=names[-1])

    @property
    def delivery_text(self) -> str:
        """Say in words read at a glance how far the alert got: never a success that did not happen."""
        if self.reached == 0 and self.waiting == 0:
            return _("Ingen har fått varselet – ring")
        if self.reached == 0:
            return _("Varselet er ikke levert ennå – ring mens du venter")
        return ngettext(
            "Levert til %(reached)s av %(num)d leder",
            "Levert til %(reached)s av %(num)d ledere",
            self.leaders,
            reached=self.reached,
        )

    @property
    def delivery_failed(self) -> bool:
        """Nobody got it, or someone will not get it: the screen shows this in red, on top."""
        return (self.reached == 0 and self.waiting == 0) or bool(self.not_reached)

    @property
    def everyone_answered(self) -> bool:
        return self.recipients > 0 and len(self.answers) >= self.recipients

    @property
    def no_answer(self) -> bool:
        """Nobody has answered within two minutes: the sender must call the next person."""
        return not self.answers and self.age_seconds >= NO_ANSWER_SECONDS

    @property
    def live(self) -> bool:
        """Whether the screen should keep asking for news."""
        return not self.everyone_answered and self.age_seconds < LIVE_SECONDS


def alert_status(alert: Alert, plan, now: datetime | None = None) -> AlertStatus:
    """Count the alert's deliveries and list who answered, with names and titles."""
    progress = alert_progress(alert.id)
    recipients = db.session.execute(
        select(func.count(func.distinct(AlertDelivery.user_id))).where(
            AlertDelivery.alert_id == alert.id, AlertDelivery.user_id.is_not(None)
        )
    ).scalar_one()
    answers = [
        Answer(
            name=ack.user.name if ack.user is not None else _("En leder"),
            role=role_label(ack.user, plan),
            response=ack.response.value,
            at=as_utc(ack.responded_at),
        )
        for ack in progress.acknowledgements
    ]
    age = ((now or utcnow()) - as_utc(alert.created_at)).total_seconds()
    per_leader = _delivery_by_leader(alert)
    return AlertStatus(
        alert=alert,
        devices=progress.devices,
        delivered=progress.delivered,
        pending=progress.pending,
        failed=progress.failed + progress.gone,
        recipients=recipients,
        answers=answers,
        age_seconds=age,
        leaders=len(per_leader),
        reached=sum(1 for _name, state in per_leader if state == "reached"),
        waiting=sum(1 for _name, state in per_leader if state == "waiting"),
        not_reached=tuple(sorted((name for name, state in per_leader if state == "lost"), key=str.casefold)),
    )


def _delivery_by_leader(alert: Alert) -> list[tuple[str, str]]:
    """Return (name, "reached" | "waiting" | "lost") for each leader the alert was for."""
    leaders = set(leader_ids())
    leaders.discard(alert.sender_user_id)
    rows = db.session.execute(
        select(AlertDelivery.user_id, AlertDelivery.status).where(
            AlertDelivery.alert_id == alert.id, AlertDelivery.user_id.is_not(None)
        )
    ).all()
    leaders.update(user_id for user_id, _status in rows)  # a leader who lost the role since still counts
    statuses: dict[int, set[DeliveryStatus]] = {}
    for user_id, delivery_status in rows:
        statuses.setdefault(user_id, set()).add(DeliveryStatus(delivery_status))
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(leaders))).all())
    result = []
    for user_id in leaders:
        found = statuses.get(user_id, set())
        if DeliveryStatus.DELIVERED in found:
            state = "reached"
        elif found & {DeliveryStatus.PENDING, DeliveryStatus.SENDING}:
            state = "waiting"
        else:
            state = "lost"
        result.append((names.get(user_id) or _("En leder"), state))
    return result


def chain_for(status: AlertStatus, chain: list, viewer: User | None = None, plan=None) -> list:
    """Return the call chain to show: without the person looking at it (by the account's linked
    contact), and after two minutes without an answer, the next person on top."""
    own = contact_for(viewer, plan)
    if own is not None:
        chain = [contact for contact in chain if contact.id != own.id]
    if status.no_answer and len(chain) > 1:
        return chain[1:] + chain[:1]
    return list(chain)


def has_answered(alert: Alert, user: User) -> bool:
    """Tell whether this user has answered the alert."""
    return (
        db.session.execute(
            select(AlertAcknowledgement.id).where(
                AlertAcknowledgement.alert_id == alert.id, AlertAcknowledgement.user_id == user.id
            )
        ).first()
        is not None
    )


# ---------------------------------------------------------------- history


@dataclass(frozen=True)
class HistoryEntry:
    """One past alert as the history lists it."""

    alert: Alert
    sender: str
    answers: list[Answer]


def history(plan, limit: int = 200) -> list[HistoryEntry]:
    """Return the alerts kept (ALERT_HISTORY_DAYS), newest first, with who answered and when."""
    alerts = list(
        db.session.execute(select(Alert).order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit))
        .unique()
        .scalars()
    )
    acks = list(
        db.session.execute(
            select(AlertAcknowledgement)
            .where(AlertAcknowledgement.alert_id.in_([a.id for a in alerts]))
            .order_by(AlertAcknowledgement.responded_at, AlertAcknowledgement.id)
        )
        .unique()
        .scalars()
    )
    by_alert: dict[int, list[Answer]] = {}
    for ack in acks:
        by_alert.setdefault(ack.alert_id, []).append(
            Answer(
                name=ack.user.name if ack.user is not None else _("En leder"),
                role=role_label(ack.user, plan),
                response=ack.response.value,
                at=as_utc(ack.responded_at),
            )
        )
    return [
        HistoryEntry(
            alert=alert,
            sender=alert.sender.name if alert.sender is not None else _("Slettet bruker"),
            answers=by_alert.get(alert.id, []),
        )
        for alert in alerts
    ]


def history_days() -> int:
    """Return how many days alerts are kept."""
    return int(current_app.config["ALERT_HISTORY_DAYS"])


def history_cutoff() -> datetime:
    """Return the time before which alerts are deleted."""
    return utcnow() - timedelta(days=history_days())

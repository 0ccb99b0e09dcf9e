"""Alerts as people see them: who receives them, the sender's live screen, the history, the places list.

services/push.py stores and sends; this module decides who an alert goes to (the leaders), what
the sender's screen shows, and keeps the admin's list of places. No free text anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import User, signs_in, utcnow
from backend.models_push import Alert, AlertAcknowledgement, AlertDelivery, Place, PushSubscription
from backend.services import push as push_service
from backend.services.push_sender import as_utc
from backend.sqlite import write_transaction

# After this long without an answer the sender is told to call the next person in the chain.
NO_ANSWER_SECONDS = 120
# The sender's screen stops asking for news after this long (an alert's push TTL is 15 minutes).
LIVE_SECONDS = 15 * 60
PLACE_NAME_MAX = 80


class PlaceError(ValueError):
    """A change to the places list that cannot be made; the message is Norwegian."""


# ---------------------------------------------------------------- sending


def leader_ids() -> list[int]:
    """Return the ids of every active account with the leader role: the alert's recipients."""
    return list(
        db.session.execute(
            select(User.id).where(User.is_leader.is_(True), User.disabled.is_(False), signs_in())
        ).scalars()
    )


def send_alert(alternative: str, place_id: int, *, drill: bool, sender: User) -> Alert:
    """Store an alert to every leader's devices (drills: only devices opted into drills) and send it."""
    return push_service.create_alert(
        alternative,
        place_id,
        drill=drill,
        sender_user_id=sender.id,
        recipient_user_ids=leader_ids(),
    )


def subscription_owner(endpoint: str | None) -> User | None:
    """Return the owner of a stored subscription, so a service worker's answer names its leader."""
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > 2048:
        return None
    user_id = db.session.execute(
        select(PushSubscription.user_id).where(PushSubscription.endpoint == endpoint)
    ).scalar_one_or_none()
    user = db.session.get(User, user_id) if user_id is not None else None
    return user if user is not None and user.is_active else None


def can_view(alert: Alert, user: User) -> bool:
    """The sender, leaders and admins may follow an alert."""
    return alert.sender_user_id == user.id or user.is_leader or user.is_admin


# ---------------------------------------------------------------- the sender's screen


def role_label(user: User | None, plan) -> str:
    """Return the person's title in lower case from the plan's contacts ("rektor"), or "leder"."""
    if user is None:
        return "leder"
    if plan is not None:
        for contact in plan.all_contacts():
            if contact.name.casefold() == user.name.casefold() and contact.role:
                return contact.role[:1].lower() + contact.role[1:]
    return "leder" if user.is_leader else "ansatt"


@dataclass(frozen=True)
class Answer:
    """One leader's answer as the screen shows it."""

    name: str
    role: str
    response: str
    at: datetime

    @property
    def text(self) -> str:
        return f"{self.name} ({self.role}): {self.response}"


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
    progress = push_service.alert_progress(alert.id)
    recipients = db.session.execute(
        select(func.count(func.distinct(AlertDelivery.user_id))).where(
            AlertDelivery.alert_id == alert.id, AlertDelivery.user_id.is_not(None)
        )
    ).scalar_one()
    answers = [
        Answer(
            name=ack.user.name if ack.user is not None else "En leder",
            role=role_label(ack.user, plan),
            response=ack.response.value,
            at=as_utc(ack.responded_at),
        )
        for ack in progress.acknowledgements
    ]
    age = ((now or utcnow()) - as_utc(alert.created_at)).total_seconds()
    return AlertStatus(
        alert=alert,
        devices=progress.devices,
        delivered=progress.delivered,
        pending=progress.pending,
        failed=progress.failed + progress.gone,
        recipients=recipients,
        answers=answers,
        age_seconds=age,
    )


def chain_for(status: AlertStatus, chain: list) -> list:
    """Return the call chain to show: after two minutes without an answer, the next person on top."""
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
                name=ack.user.name if ack.user is not None else "En leder",
                role=role_label(ack.user, plan),
                response=ack.response.value,
                at=as_utc(ack.responded_at),
            )
        )
    return [
        HistoryEntry(
            alert=alert,
            sender=alert.sender.name if alert.sender is not None else "Slettet bruker",
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


# ---------------------------------------------------------------- places (kept by an admin)


def all_places() -> list[Place]:
    """Return every place, active first, in the admin's order."""
    return list(
        db.session.execute(
            select(Place).order_by(Place.active.desc(), Place.sort_order, Place.name, Place.id)
        ).scalars()
    )


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise PlaceError("Skriv navnet på stedet.")
    if len(name) > PLACE_NAME_MAX:
        raise PlaceError(f"Høyst {PLACE_NAME_MAX} tegn.")
    return name


def _name_taken(name: str, except_id: int | None = None) -> bool:
    # Compared in Python: SQLite's lower() folds only ASCII, so «Í» and «í» would both get in.
    # The list is a school's rooms and areas: a few dozen rows.
    rows = db.session.execute(select(Place.id, Place.name)).all()
    wanted = name.casefold()
    return any(row.name.casefold() == wanted and row.id != except_id for row in rows)


def add_place(name: str) -> Place:
    """Add a place at the end of the list."""
    with write_transaction():
        name = _clean_name(name)
        if _name_taken(name):
            raise PlaceError(f"«{name}» finnes allerede i listen.")
        last = db.session.execute(select(func.max(Place.sort_order))).scalar_one_or_none() or 0
        place = Place(name=name, sort_order=last + 1, active=True)
        db.session.add(place)
    return place


def _place(place_id: int) -> Place:
    place = db.session.get(Place, place_id)
    if place is None:
        raise PlaceError("Fant ikke stedet.")
    return place


def rename_place(place_id: int, name: str) -> Place:
    """Give a place a new name; past alerts show the new name too."""
    with write_transaction():
        place = _place(place_id)
        name = _clean_name(name)
        if _name_taken(name, except_id=place.id):
            raise PlaceError(f"«{name}» finnes allerede i listen.")
        place.name = name
    return place


def set_place_active(place_id: int, active: bool) -> Place:
    """Take a place out of the alert form (or back in); alerts that named it keep it."""
    with write_transaction():
        place = _place(place_id)
        place.active = active
    return place


def move_place(place_id: int, direction: str) -> None:
    """Move a place one step up or down among the active places."""
    if direction not in ("opp", "ned"):
        raise PlaceError("Ukjent retning.")
    with write_transaction():
        places = list(
            db.session.execute(
                select(Place).where(Place.active.is_(True)).order_by(Place.sort_order, Place.name, Place.id)
            ).scalars()
        )
        index = next((i for i, p in enumerate(places) if p.id == place_id), None)
        if index is None:
            raise PlaceError("Fant ikke stedet.")
        other = index - 1 if direction == "opp" else index + 1
        if 0 <= other < len(places):
            places[index], places[other] = places[other], places[index]
        for number, place in enumerate(places, start=1):
            place.sort_order = number

"""Readiness of the call chain («Varslingsberedskap»): can the leadership be reached right now?

For each person in the plan's call chain: the account linked to them (contact_links), whether it
has alerts on and on how many devices, when a push last reached it, and the last drill it answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from backend.content.schema import Contact, Plan
from backend.extensions import db
from backend.models import (
    Alert,
    AlertAcknowledgement,
    AlertDelivery,
    DeliveryStatus,
    PushSubscription,
    User,
    as_utc,
)
from backend.services.contact_links import linked_users

# Fewer people than this in the call chain who can receive an alert is a warning to leadership.
MIN_RECEIVERS = 2


@dataclass(frozen=True)
class Person:
    """One person in the call chain as the readiness view shows them."""

    contact: Contact
    user: User | None  # the linked account, None without one
    devices: int  # devices with alerts on
    drill_devices: int  # devices that also take drills
    last_delivery: datetime | None  # the last push that reached one of the account's devices
    last_drill_answer: datetime | None
    dropped_at: datetime | None  # the push service dropped the last device then

    @property
    def has_account(self) -> bool:
        return self.user is not None and self.user.is_active and self.user.password_hash is not None

    @property
    def alerts_on(self) -> bool:
        return self.devices > 0

    @property
    def can_receive(self) -> bool:
        """A leader's account with at least one device that takes alerts."""
        return self.has_account and self.user.is_leader and self.devices > 0


@dataclass(frozen=True)
class Drill:
    """The last drill: when it went out and who answered."""

    alert: Alert
    answered: list[str]


@dataclass(frozen=True)
class Readiness:
    """The whole call chain, and whether fewer than two can receive an alert."""

    people: list[Person]
    last_drill: Drill | None

    @property
    def receivers(self) -> int:
        return sum(1 for person in self.people if person.can_receive)

    @property
    def warning(self) -> bool:
        return self.receivers < MIN_RECEIVERS


def _by_user(query) -> dict[int, object]:
    return {user_id: value for user_id, value in db.session.execute(query)}


def chain_readiness(plan: Plan | None) -> Readiness:
    """Describe the call chain's readiness from the linked accounts, their devices and deliveries."""
    chain = plan.call_chain() if plan is not None else []
    linked = linked_users()
    ids = [linked[c.id].id for c in chain if c.id in linked]
    devices = _by_user(
        select(PushSubscription.user_id, func.count())
        .where(PushSubscription.user_id.in_(ids), PushSubscription.alerts.is_(True))
        .group_by(PushSubscription.user_id)
    )
    drill_devices = _by_user(
        select(PushSubscription.user_id, func.count())
        .where(PushSubscription.user_id.in_(ids), PushSubscription.drills.is_(True))
        .group_by(PushSubscription.user_id)
    )
    delivered = _by_user(
        select(AlertDelivery.user_id, func.max(AlertDelivery.delivered_at))
        .where(AlertDelivery.user_id.in_(ids), AlertDelivery.status == DeliveryStatus.DELIVERED)
        .group_by(AlertDelivery.user_id)
    )
    drills = _by_user(
        select(AlertAcknowledgement.user_id, func.max(AlertAcknowledgement.responded_at))
        .join(Alert, Alert.id == AlertAcknowledgement.alert_id)
        .where(AlertAcknowledgement.user_id.in_(ids), Alert.drill.is_(True))
        .group_by(AlertAcknowledgement.user_id)
    )
    people = []
    for contact in chain:
        user = linked.get(contact.id)
        uid = user.id if user is not None else None
        people.append(
            Person(
                contact=contact,
                user=user,
                devices=devices.get(uid, 0),
                drill_devices=drill_devices.get(uid, 0),
                last_delivery=_utc(delivered.get(uid)),
                last_drill_answer=_utc(drills.get(uid)),
                dropped_at=_utc(user.push_dropped_at) if user is not None else None,
            )
        )
    return Readiness(people=people, last_drill=_last_drill())


def _utc(value):
    return as_utc(value) if value is not None else None


def _last_drill() -> Drill | None:
    alert = (
        db.session.execute(
            select(Alert).where(Alert.drill.is_(True)).order_by(Alert.created_at.desc(), Alert.id.desc())
        )
        .unique()
        .scalars()
        .first()
    )
    if alert is None:
        return None
    names = db.session.execute(
        select(User.name)
        .join(AlertAcknowledgement, AlertAcknowledgement.user_id == User.id)
        .where(AlertAcknowledgement.alert_id == alert.id)
        .order_by(AlertAcknowledgement.responded_at, AlertAcknowledgement.id)
    ).scalars()
    return Drill(alert=alert, answered=list(names))


def device_dropped(user: User) -> bool:
    """Tell whether the push service dropped this account's last device and none is on since."""
    if user.push_dropped_at is None:
        return False
    left = db.session.execute(
        select(func.count()).select_from(PushSubscription).where(PushSubscription.user_id == user.id)
    ).scalar_one()
    return left == 0

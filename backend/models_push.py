"""Models for Web Push: devices, the places an alert can name, alerts, deliveries and answers.

No table here holds free text about a student: an alert is an alternative id, a place from the
admin's list, a drill flag and times. That is checked by tests/test_push_models.py.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db
from backend.models import User, utcnow

# The only alternatives an alert can be about: the plan's emergency alternatives.
ALERT_ALTERNATIVES = ("alternativ-3", "alternativ-4")


class DeliveryStatus(StrEnum):
    """Where one push message to one device is in its life."""

    PENDING = "pending"  # stored, waiting for its (next) attempt
    SENDING = "sending"  # claimed by a sender; back to pending if that sender dies (lease)
    DELIVERED = "delivered"  # the push service accepted it (201/202)
    GONE = "gone"  # the push service said the subscription no longer exists (404/410)
    FAILED = "failed"  # gave up: max attempts, expired, or refused for good


class AckResponse(StrEnum):
    """What a leader can answer to an alert."""

    KOMMER = "kommer"


def _enum(enum_class: type[StrEnum], name: str) -> Enum:
    """A portable enum column: a short string with a CHECK constraint, storing the values."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
        length=max(len(member.value) for member in enum_class),
    )


class PushSubscription(db.Model):
    """One browser's push subscription (one device), and what its owner wants to receive."""

    __tablename__ = "push_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The push service's URL for this device; only hosts on PUSH_ALLOWED_HOSTS are stored.
    endpoint: Mapped[str] = mapped_column(String(2048), unique=True)
    p256dh: Mapped[str] = mapped_column(String(128))  # base64url of the device's P-256 public key
    auth: Mapped[str] = mapped_column(String(64))  # base64url of the 16-byte auth secret
    # The device's owner; their devices go when the account is deleted.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE", name="fk_push_subscription_user_id_user"), index=True
    )
    alerts: Mapped[bool] = mapped_column(Boolean, default=False)  # urgent alerts (leaders)
    plan_updates: Mapped[bool] = mapped_column(Boolean, default=False)  # "Handlingsplanen er oppdatert"
    drills: Mapped[bool] = mapped_column(Boolean, default=False)  # drill alerts ("ØVELSE")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failure_count: Mapped[int] = mapped_column(Integer, default=0)


class Place(db.Model):
    """A room or area an alert can name; the list is kept by an admin, never typed by the sender."""

    __tablename__ = "place"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class Alert(db.Model):
    """An alert to leadership from emergency mode. Deliberately no free-text column."""

    __tablename__ = "alert"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    alternative: Mapped[str] = mapped_column(
        Enum(
            *ALERT_ALTERNATIVES,
            name="alert_alternative",
            native_enum=False,
            create_constraint=True,
            validate_strings=True,
        )
    )
    place_id: Mapped[int] = mapped_column(ForeignKey("place.id", ondelete="RESTRICT"))
    drill: Mapped[bool] = mapped_column(Boolean, default=False)
    # Who sent it; the alert stays in the history if the account is deleted.
    sender_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL", name="fk_alert_sender_user_id_user")
    )
    # Random per alert; the acknowledgement token is an HMAC of it under SECRET_KEY, so the
    # database alone cannot forge an answer, and a restart can still rebuild the message.
    ack_nonce: Mapped[bytes] = mapped_column(LargeBinary(16))

    place: Mapped[Place] = relationship(lazy="joined")
    sender: Mapped[User | None] = relationship()


class AlertDelivery(db.Model):
    """One push message to one device: an alert, or a plan-update notice (exactly one of the two)."""

    __tablename__ = "alert_delivery"
    __table_args__ = (
        CheckConstraint(
            "(alert_id IS NULL) <> (plan_revision_id IS NULL)", name="ck_alert_delivery_one_message"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"), index=True)
    plan_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan_revision.id", ondelete="CASCADE"), index=True
    )
    # Set to NULL when the push service says the device is gone and the subscription is deleted.
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("push_subscription.id", ondelete="SET NULL"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(Integer)  # the device owner when it was sent
    status: Mapped[DeliveryStatus] = mapped_column(
        _enum(DeliveryStatus, "delivery_status"), default=DeliveryStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    # A short machine code of our own ("timeout", "http-503", "expired"), never a response body.
    last_error: Mapped[str | None] = mapped_column(String(40))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    alert: Mapped[Alert | None] = relationship()
    subscription: Mapped[PushSubscription | None] = relationship()


class AlertAcknowledgement(db.Model):
    """A leader's answer to an alert ("kommer"), once per user and alert."""

    __tablename__ = "alert_acknowledgement"
    __table_args__ = (UniqueConstraint("alert_id", "user_id", name="uq_alert_acknowledgement_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"), index=True)
    # The leader who answered; the answer stays in the history if the account is deleted.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL", name="fk_alert_acknowledgement_user_id_user")
    )
    responded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    response: Mapped[AckResponse] = mapped_column(
        _enum(AckResponse, "ack_response"), default=AckResponse.KOMMER
    )

    user: Mapped[User | None] = relationship(lazy="joined")

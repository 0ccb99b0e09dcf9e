"""Typed database models: the plan's revisions, accounts and the audit log, then alerts (Web Push).

No table holds free text about a student: an alert is an alternative id, a place from the admin's
list, a drill flag and times. That is checked by tests/alerts/test_models.py.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from backend.extensions import db

# The id columns are `integer`, which PostgreSQL keeps in 32 bits (SQLite would take 64): a larger id
# must find nothing, not make PostgreSQL raise «out of range».
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    """Return the current time in UTC, timezone-aware."""
    return datetime.now(UTC)


def as_utc(moment: datetime | None) -> datetime | None:
    """Return a stored time as timezone-aware UTC; SQLite gives naive datetimes back, stored as UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def get_by_id(model: type[db.Model], row_id: int):
    """Return the row with this id, or None (also for ids no id column can hold)."""
    return db.session.get(model, row_id) if 0 < row_id <= MAX_ID else None


class PlanRevision(db.Model):
    """One published version of the plan; append-only, the newest is what the public sees."""

    __tablename__ = "plan_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    author: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Where it came from: "import" (a content folder, CLI or a zip) or "admin" (a publish or restore).
    source: Mapped[str | None] = mapped_column(String(20))


# --- Staff accounts, the shared draft and the audit log (issue 5) ---------------------------------
# Only staff appear here: no table has a field about a student.


class User(db.Model):
    """A member of staff who can log in: staff send alerts, leaders receive them, admins edit the plan."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    is_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    is_leader: Mapped[bool] = mapped_column(Boolean, default=False)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    # None until the person has accepted the invitation and chosen a password.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Part of the login cookie (see get_id); a new value logs out every session and remember cookie.
    session_token: Mapped[str] = mapped_column(String(64))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    # The last 30-second step whose code was accepted, so a code cannot be used twice.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    # A secret being set up, kept until the first code confirms it or the person cancels: reloading the
    # setup page (switching to the authenticator app on a phone does that) shows the key the app has.
    totp_pending_secret: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The person in the plan's contact list this account is (the contact's stable id, chosen by an
    # admin): it gives the role on answers and the place in the call chain. Never matched by name.
    contact_id: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    # When the push service dropped (404/410) this account's last device; cleared when a device is
    # turned on again. Tells her on her next visit that alerts no longer reach her.
    push_dropped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    recovery_codes: Mapped[list[RecoveryCode]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    # Flask-Login's interface.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        # A password, or an identity at Feide/another provider (SignInIdentity, issue 16).
        return not self.disabled and (self.password_hash is not None or bool(self.identities))

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """Return the id Flask-Login stores in the session and the remember cookie."""
        return f"{self.id}:{self.session_token}"

    def has_role(self, role: str) -> bool:
        """Tell whether the user holds this role (staff, leader or admin)."""
        return role in ROLES and bool(getattr(self, f"is_{role}"))

    @property
    def roles(self) -> list[str]:
        """Return the roles the user holds, in a fixed order."""
        return [role for role in ROLES if self.has_role(role)]

    @property
    def totp_enabled(self) -> bool:
        return self.totp_secret is not None


ROLES = ("staff", "leader", "admin")


class RecoveryCode(db.Model):
    """A one-time code that replaces the authenticator app once; only its hash is kept."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # argon2id (salted, slow) over the SHA-256 of the normalised code; see services/accounts.py.
    code_hash: Mapped[str] = mapped_column(String(255))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(back_populates="recovery_codes")


class Invitation(db.Model):
    """A one-time link that lets a new member of staff choose a password; only its hash is kept."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str | None] = mapped_column(String(254))

    user: Mapped[User] = relationship()


class PlanDraft(db.Model):
    """The one shared draft of the plan that admins edit before they publish it as a revision."""

    __tablename__ = "plan_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    base_revision_id: Mapped[int] = mapped_column(ForeignKey("plan_revision.id"))
    # Raised by every change, so a publish can check it publishes what the admin reviewed.
    version: Mapped[int] = mapped_column(Integer, default=1)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(254))
    # Who changed each field last: {"contacts/groups/id=ledelse/...": "e-post"} (see services/draft.py).
    change_authors: Mapped[dict[str, str] | None] = mapped_column(JSON)


class AuditEvent(db.Model):
    """One security-relevant event: logins, lockouts, publishes, restores, user changes. Append-only."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    event: Mapped[str] = mapped_column(String(40), index=True)
    actor: Mapped[str | None] = mapped_column(String(254))  # the e-mail of who did it
    subject: Mapped[str | None] = mapped_column(String(254))  # the account or revision it concerns
    detail: Mapped[str] = mapped_column(Text, default="")
    ip: Mapped[str | None] = mapped_column(String(64))


class RateLimitCounter(db.Model):
    """One fixed-window counter of Flask-Limiter, shared by every worker (backend/rate_limits.py).

    The key is an HMAC of the limiter's key (which holds the client's address), never the address.
    """

    __tablename__ = "rate_limit"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    # Seconds since the epoch when the window ends; a float compares and computes the same everywhere.
    expires_at: Mapped[float] = mapped_column(Float, index=True)


class LoginThrottle(db.Model):
    """Failed logins per e-mail address typed (known or not) or per device cookie, and how long it waits.

    The key is an HMAC of the address or the device cookie's nonce: an address a stranger typed is
    never stored, and a known and an unknown address leave the same kind of row.
    """

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    blocked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


# ---------------------------------------------------------------- alerts: devices, places, alerts, answers

# An alert names one of the plan's urgent procedures by its id, a slug such as «akutt-a»: the ids are
# the school's content, so the database keeps the id's shape, and the alert service lets through only
# ids of the current plan's urgent procedures (services/alerts/procedures.py).
ALERT_PROCEDURE_ID_LENGTH = 64
ALERT_PROCEDURE_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


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
    __table_args__ = (
        # The id's shape, in SQL both databases read alike: no capitals, no spaces, not empty.
        CheckConstraint(
            "alternative = lower(alternative) AND alternative NOT LIKE '% %' AND alternative <> ''",
            name="ck_alert_alternative_id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    # The id of the urgent procedure the alert is about, kept as it was when sent.
    alternative: Mapped[str] = mapped_column(String(ALERT_PROCEDURE_ID_LENGTH))
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

    @validates("alternative")
    def _procedure_id(self, _key: str, value: str) -> str:
        if not isinstance(value, str) or not ALERT_PROCEDURE_ID.fullmatch(value):
            raise ValueError("an alert names a procedure by its id (a slug), never by free text")
        if len(value) > ALERT_PROCEDURE_ID_LENGTH:
            raise ValueError("procedure id too long for an alert")
        return value


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
    # With plan_revision_id: a notice about that revision instead of "the plan is updated"
    # ("review_overdue": its review date has passed). None for alerts and plan updates.
    notice: Mapped[str | None] = mapped_column(String(40))
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


# --- E-mail: password reset links and notices sent once (issue 16) --------------------------------


class PasswordReset(db.Model):
    """A one-time link that lets a password account choose a new password; only its hash is kept."""

    __tablename__ = "password_reset"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


class SentNotice(db.Model):
    """A notice mailed once per occasion (kind + key), e.g. the overdue review for one review date."""

    __tablename__ = "sent_notice"
    __table_args__ = (UniqueConstraint("kind", "key", name="uq_sent_notice_kind_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(120))
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --- Signing in with Feide or another OpenID Connect provider (issue 16) ---------------------------


class SignInIdentity(db.Model):
    """A person's account at an OpenID Connect provider, linked to a user: only the issuer and the
    subject id are kept (no tokens), so the next sign-in finds the user without reading the e-mail."""

    __tablename__ = "sign_in_identity"
    __table_args__ = (UniqueConstraint("issuer", "subject", name="uq_sign_in_identity_issuer_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(20))  # "feide" or "oidc"
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(backref="identities")


def signs_in():
    """SQL for an account in use: it has a password, or a linked identity at Feide/another provider."""
    return or_(User.password_hash.is_not(None), User.identities.any())

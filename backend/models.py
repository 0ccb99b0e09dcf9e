"""Typed database models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, or_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db

# The id columns are `integer`, which PostgreSQL keeps in 32 bits (SQLite would take 64): a larger id
# must find nothing, not make PostgreSQL raise «out of range».
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    """Return the current time in UTC, timezone-aware."""
    return datetime.now(UTC)


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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

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
    code_hash: Mapped[str] = mapped_column(String(64))
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

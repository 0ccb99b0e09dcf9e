"""Staff accounts: creating, logging in, lockout, invitations, two-factor codes. No request in here."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyotp
from flask import current_app
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import ROLES, Invitation, RecoveryCode, User, get_by_id, signs_in, utcnow
from backend.services import audit, passwords
from backend.sqlite import write_transaction

EMAIL_RE = re.compile(r"^[^@\s\x00-\x1f]{1,64}@[^@\s\x00-\x1f]+\.[^@\s\x00-\x1f]{2,}$")
RECOVERY_CODE_COUNT = 10


class AccountError(ValueError):
    """A request about an account that cannot be done; the message is Norwegian and safe to show."""


def now() -> datetime:
    """Return the current time; tests replace this to control expiry."""
    return utcnow()


def aware(value: datetime | None) -> datetime | None:
    """Return a datetime read back from SQLite (naive, UTC) as timezone-aware."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def normalise_email(email: str) -> str:
    """Return an e-mail address trimmed and in lower case."""
    return (email or "").strip().lower()


def new_session_token() -> str:
    """Return a fresh random token for User.session_token."""
    return secrets.token_urlsafe(24)


def _hasher():
    config = current_app.config
    return passwords.hasher(
        config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"], config["ARGON2_PARALLELISM"]
    )


def password_problems(password: str, *, email: str = "", name: str = "") -> list[str]:
    """Return what is wrong with a new password (Norwegian), given the account it is for."""
    return passwords.problems(
        password, min_length=current_app.config["PASSWORD_MIN_LENGTH"], email=email, name=name
    )


def get_user(user_id: int) -> User | None:
    """Return the user with this id, or None."""
    return get_by_id(User, user_id)


def get_by_email(email: str) -> User | None:
    """Return the user with this e-mail address, or None."""
    return db.session.execute(select(User).where(User.email == normalise_email(email))).scalar_one_or_none()


def all_users() -> list[User]:
    """Return every account, by name."""
    return list(db.session.execute(select(User).order_by(func.lower(User.name), User.id)).scalars())


def users_with_role(role: str) -> list[User]:
    """Return the active users who hold a role (the alerts use this for staff and leaders)."""
    column = getattr(User, f"is_{role}")
    query = select(User).where(column.is_(True), User.disabled.is_(False), signs_in())
    return list(db.session.execute(query).scalars())


def _check_new_user(email: str, name: str, roles: list[str]) -> tuple[str, str]:
    email = normalise_email(email)
    name = (name or "").strip()
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise AccountError("Skriv en gyldig e-postadresse.")
    if not name or len(name) > 120 or any(ord(ch) < 32 for ch in name):
        raise AccountError("Skriv et navn (høyst 120 tegn).")
    unknown = [role for role in roles if role not in ROLES]
    if unknown or not roles:
        raise AccountError("Velg minst én rolle: ansatt, leder eller administrator.")
    if get_by_email(email) is not None:
        raise AccountError("Det finnes allerede en bruker med denne e-postadressen.")
    return email, name


def create_user(
    email: str, name: str, roles: list[str], *, password: str | None = None, actor: str | None = None
) -> User:
    """Create an account; without a password it waits for an invitation to be accepted."""
    with write_transaction():
        email, name = _check_new_user(email, name, roles)
        if password is not None:
            found = password_problems(password, email=email, name=name)
            if found:
                raise AccountError(" ".join(found))
        user = User(
            email=email,
            name=name,
            session_token=new_session_token(),
            password_hash=_hasher().hash(password) if password is not None else None,
            **{f"is_{role}": role in roles for role in ROLES},
        )
        db.session.add(user)
        audit.record("user_created", actor=actor, subject=email, detail="roller: " + ", ".join(roles))
    return user


def set_roles(user: User, roles: list[str], *, actor: str) -> None:
    """Give a user exactly these roles."""
    if not roles or any(role not in ROLES for role in roles):
        raise AccountError("Velg minst én rolle: ansatt, leder eller administrator.")
    with write_transaction():
        fresh = db.session.get(User, user.id)
        if fresh.is_admin and "admin" not in roles and _other_active_admins(fresh) == 0:
            raise AccountError("Skolen må ha minst én aktiv administrator.")
        for role in ROLES:
            setattr(fresh, f"is_{role}", role in roles)
        audit.record("user_changed", actor=actor, subject=fresh.email, detail="roller: " + ", ".join(roles))


def _other_active_admins(user: User) -> int:
    return db.session.execute(
        select(func.count(User.id)).where(
            User.is_admin.is_(True), User.disabled.is_(False), User.id != user.id
        )
    ).scalar_one()


def disable_user(user: User, *, actor: str | None) -> None:
    """Disable an account and end every session it has at once."""
    with write_transaction():
        fresh = db.session.get(User, user.id)
        if fresh.is_admin and _other_active_admins(fresh) == 0 and actor is not None:
            raise AccountError("Du kan ikke deaktivere den siste aktive administratoren.")
        fresh.disabled = True
        fresh.session_token = new_session_token()
        audit.record("user_disabled", actor=actor, subject=fresh.email)


def enable_user(user: User, *, actor: str | None) -> None:
    """Let a disabled account log in again."""
    with write_transaction():
        fresh = db.session.get(User, user.id)
        fresh.disabled = False
        fresh.failed_logins = 0
        fresh.locked_until = None
        audit.record("user_enabled", actor=actor, subject=fresh.email)


def rotate_session_token(user: User) -> None:
    """Give the user a new session token: every existing session and remember cookie stops working."""
    with write_transaction():
        fresh = db.session.get(User, user.id)
        fresh.session_token = new_session_token()


# --- Logging in ---------------------------------------------------------------------------------


@dataclass
class LoginResult:
    """What a login attempt gave: ok, wrong (email or password), locked or disabled."""

    status: str
    user: User | None = None
    locked_until: datetime | None = None


def is_locked(user: User) -> bool:
    """Tell whether the account is locked after too many failures."""
    until = aware(user.locked_until)
    return until is not None and until > now()


def register_failure(user: User | None, *, ip: str | None, what: str = "passord") -> LoginResult:
    """Count a failed password or code; lock the account when the limit is reached."""
    if user is None:
        with write_transaction():
            audit.record("login_failed", detail="ukjent e-postadresse", ip=ip)
        return LoginResult("wrong")
    config = current_app.config
    with write_transaction():
        fresh = db.session.get(User, user.id)
        fresh.failed_logins = (fresh.failed_logins or 0) + 1
        audit.record("login_failed", subject=fresh.email, detail=f"feil {what}", ip=ip)
        if fresh.failed_logins >= config["LOGIN_MAX_FAILURES"]:
            fresh.locked_until = now() + timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"])
            fresh.failed_logins = 0
            audit.record(
                "lockout",
                subject=fresh.email,
                detail=f"{config['LOGIN_MAX_FAILURES']} mislykkede forsøk",
                ip=ip,
            )
            return LoginResult("locked", fresh, aware(fresh.locked_until))
    return LoginResult("wrong", fresh)


def authenticate(email: str, password: str, *, ip: str | None) -> LoginResult:
    """Check an e-mail and password; count failures per account and rehash when parameters changed."""
    ph = _hasher()
    user = get_by_email(email) if len(email) <= 254 else None
    if user is not None and is_locked(user):
        with write_transaction():
            audit.record("login_failed", subject=user.email, detail="kontoen er sperret", ip=ip)
        return LoginResult("locked", user, aware(user.locked_until))
    password = password[: passwords.MAX_LENGTH + 1]
    if user is None or not passwords.verify(ph, user.password_hash, password):
        return register_failure(user, ip=ip)
    if user.disabled:
        with write_transaction():
            audit.record("login_failed", subject=user.email, detail="kontoen er deaktivert", ip=ip)
        return LoginResult("disabled", user)
    with write_transaction():
        fresh = db.session.get(User, user.id)
        fresh.failed_logins = 0
        fresh.locked_until = None
        if ph.check_needs_rehash(fresh.password_hash):
            fresh.password_hash = ph.hash(password)
    return LoginResult("ok", fresh)


def check_password(user: User, password: str) -> bool:
    """Check the password of a logged-in user (re-authentication), without counting anything."""
    return passwords.verify(_hasher(), user.password_hash, password[: passwords.MAX_LENGTH + 1])


def complete_login(user: User, *, ip: str | None, how: str = "passord") -> None:
    """Record a finished login (after the code for admins)."""
    with write_transaction():
        fresh = db.session.get(User, user.id)
        fresh.last_login_at = now()
        fresh.failed_logins = 0
        audit.record("login", actor=fresh.email, subject=fresh.email, detail=how, ip=ip)


def change_password(user: User, new_password: str, *, actor: str | None, ip: str | None = None) -> None:
    """Set a new password and end every other session (a new session token)."""
    found = password_problems(new_password, email=user.email, name=user.name)
    if found:
        raise AccountError(" ".join(found))
    with write_transaction():
        fresh = db.session.get(User, user.id)
        fresh.password_hash = _hasher().hash(new_password)
        fresh.session_token = new_session_token()
        audit.record("password_changed", actor=actor, subject=fresh.email, ip=ip)


# --- Invitations --------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create_invitation(user: User, *, actor: str | None) -> tuple[str, Invitation]:
    """Make a one-time link token for a user; older unused links for the user stop working."""
    token = secrets.token_urlsafe(32)
    hours = current_app.config["INVITATION_HOURS"]
    with write_transaction():
        for old in db.session.execute(
            select(Invitation).where(Invitation.user_id == user.id, Invitation.used_at.is_(None))
        ).scalars():
            old.used_at = now()
        invitation = Invitation(
            user_id=user.id,
            token_hash=_token_hash(token),
            created_at=now(),
            expires_at=now() + timedelta(hours=hours),
            created_by=actor,
        )
        db.session.add(invitation)
        audit.record("user_invited", actor=actor, subject=user.email, detail=f"gyldig i {hours} timer")
    return token, invitation


def find_invitation(token: str) -> Invitation | None:
    """Return the invitation for a token if it is unused and not expired, else None."""
    if not token or len(token) > 100:
        return None
    invitation = db.session.execute(
        select(Invitation).where(Invitation.token_hash == _token_hash(token))
    ).scalar_one_or_none()
    if invitation is None or invitation.used_at is not None or aware(invitation.expires_at) <= now():
        return None
    return invitation


def accept_invitation(token: str, password: str, *, ip: str | None) -> User:
    """Use an invitation once: set the password; raise AccountError if the link or password is bad."""
    invitation = find_invitation(token)
    if invitation is None:
        raise AccountError("Lenken er brukt eller utløpt. Be en administrator om en ny.")
    user = invitation.user
    if user.disabled:
        raise AccountError("Kontoen er deaktivert. Snakk med en administrator på skolen.")
    found = password_problems(password, email=user.email, name=user.name)
    if found:
        raise AccountError(" ".join(found))
    password_hash = _hasher().hash(password)
    with write_transaction():
        fresh_invitation = db.session.get(Invitation, invitation.id)
        if fresh_invitation.used_at is not None:  # used by another request meanwhile
            raise AccountError("Lenken er brukt eller utløpt. Be en administrator om en ny.")
        fresh_invitation.used_at = now()
        fresh = db.session.get(User, invitation.user_id)
        fresh.password_hash = password_hash
        fresh.session_token = new_session_token()
        fresh.failed_logins = 0
        fresh.locked_until = None
        audit.record("invitation_accepted", actor=fresh.email, subject=fresh.email, ip=ip)
    return fresh


# --- Two-factor codes (TOTP) and recovery codes ---------------------------------------------------


def new_totp_secret() -> str:
    """Return a new base32 secret for an authenticator app."""
    return pyotp.random_base32()


def totp_uri(secret: str, email: str) -> str:
    """Return the otpauth:// link an authenticator app reads from a QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=current_app.config["TOTP_ISSUER"])


def _matching_step(secret: str, code: str) -> int | None:
    code = re.sub(r"\s", "", code or "")
    if not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now())
    for step in (current, current - 1, current + 1):  # one step of clock drift either way
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def verify_totp(user: User, code: str) -> bool:
    """Accept a code from the authenticator app once; a code already used is refused."""
    if user.totp_secret is None:
        return False
    step = _matching_step(user.totp_secret, code)
    if step is None:
        return False
    with write_transaction():
        fresh = db.session.get(User, user.id)
        if fresh.totp_last_step is not None and step <= fresh.totp_last_step:
            return False
        fresh.totp_last_step = step
    return True


def _recovery_hash(code: str) -> str:
    normalised = re.sub(r"[^a-z0-9]", "", (code or "").lower())
    return hashlib.sha256(normalised.encode("ascii", "ignore")).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    codes = []
    for old in list(user.recovery_codes):
        db.session.delete(old)
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(alphabet) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(raw)))
    return codes


def enable_totp(user: User, secret: str, code: str, *, ip: str | None) -> list[str] | None:
    """Turn on two-factor login once the first code checks out; return the new recovery codes."""
    step = _matching_step(secret, code)
    if step is None:
        return None
    with write_transaction():
        fresh = db.session.get(User, user.id)
        fresh.totp_secret = secret
        fresh.totp_last_step = step
        codes = _new_recovery_codes(fresh)
        audit.record("totp_enabled", actor=fresh.email, subject=fresh.email, ip=ip)
    return codes


def regenerate_recovery_codes(user: User) -> list[str]:
    """Replace every recovery code of a user with new ones."""
    with write_transaction():
        fresh = db.session.get(User, user.id)
        codes = _new_recovery_codes(fresh)
    return codes


def use_recovery_code(user: User, code: str, *, ip: str | None) -> bool:
    """Accept an unused recovery code once."""
    wanted = _recovery_hash(code)
    with write_transaction():
        for row in db.session.execute(
            select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        ).scalars():
            if secrets.compare_digest(row.code_hash, wanted):
                row.used_at = now()
                audit.record("recovery_code_used", actor=user.email, subject=user.email, ip=ip)
                return True
    return False


def recovery_codes_left(user: User) -> int:
    """Return how many unused recovery codes a user has."""
    return db.session.execute(
        select(func.count(RecoveryCode.id)).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    ).scalar_one()

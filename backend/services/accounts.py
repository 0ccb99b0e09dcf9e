"""Staff accounts: creating, logging in, lockout, invitations, two-factor codes. No request in here."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from backend.database import write_transaction
from backend.extensions import db
from backend.models import (
    ROLES,
    Invitation,
    PushSubscription,
    RecoveryCode,
    User,
    as_utc,
    get_by_id,
    signs_in,
    utcnow,
)
from backend.services import audit, login_throttle, passwords
from backend.services.alerts.subscriptions import delete_user_subscriptions

EMAIL_RE = re.compile(r"^[^@\s\x00-\x1f]{1,64}@[^@\s\x00-\x1f]+\.[^@\s\x00-\x1f]{2,}$")
RECOVERY_CODE_COUNT = 10


class AccountError(ValueError):
    """A request about an account that cannot be done; the message is Norwegian and safe to show."""


def now() -> datetime:
    """Return the current time; tests replace this to control expiry."""
    return utcnow()


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
        raise AccountError(_("Skriv en gyldig e-postadresse."))
    if not name or len(name) > 120 or any(ord(ch) < 32 for ch in name):
        raise AccountError(_("Skriv et navn (høyst 120 tegn)."))
    unknown = [role for role in roles if role not in ROLES]
    if unknown or not roles:
        raise AccountError(_("Velg minst én rolle: ansatt, leder eller administrator."))
    if get_by_email(email) is not None:
        raise AccountError(_("Det finnes allerede en bruker med denne e-postadressen."))
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
        raise AccountError(_("Velg minst én rolle: ansatt, leder eller administrator."))
    with write_transaction():
        fresh = db.session.get(User, user.id)
        if fresh.is_admin and "admin" not in roles and _other_active_admins(fresh) == 0:
            raise AccountError(_("Skolen må ha minst én aktiv administrator."))
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
    """Disable an account, end every session it has at once and forget its devices' subscriptions."""
    with write_transaction():
        fresh = db.session.get(User, user.id)
        if fresh.is_admin and _other_active_admins(fresh) == 0 and actor is not None:
            raise AccountError(_("Du kan ikke deaktivere den siste aktive administratoren."))
        fresh.disabled = True
        fresh.session_token = new_session_token()
        # No alert, drill or plan update reaches the phone of someone who has left.
        delete_user_subscriptions(fresh.id)
        audit.record("user_disabled", actor=actor, subject=fresh.email)


def enable_user(user: User, *, actor: str | None) -> None:
    """Let a disabled account log in again."""
    with write_transaction():
        fresh = db.session.get(User, user.id)
        fresh.disabled = False
        fresh.failed_logins = 0
        fresh.locked_until = None
        login_throttle.clear(login_throttle.account_key(fresh.email))
        audit.record("user_enabled", actor=actor, subject=fresh.email)


def rotate_session_token(user: User) -> None:
    """Give the user a new session token: every existing session and remember cookie stops working."""
    with write_transaction():
        fresh = db.session.get(User, user.id)
        fresh.session_token = new_session_token()


# --- Logging in ---------------------------------------------------------------------------------


@dataclass
class LoginResult:
    """What a login attempt gave: ok, wrong (email or password), locked (must wait) or disabled."""

    status: str
    user: User | None = None
    locked_until: datetime | None = None


# A device that logged in before: (user id, nonce) from its signed device cookie (see auth.py).
Device = tuple[int, str] | None


def throttle_key(email: str, user: User | None, device: Device) -> str:
    """Return the key failures count under: the device's own, if its cookie is for this account."""
    if user is not None and device is not None and device[0] == user.id:
        return login_throttle.device_key(device[1])
    return login_throttle.account_key(normalise_email(email))


def blocked_until(user: User, device: Device = None) -> datetime | None:
    """Return until when this client must wait before trying this account again, or None."""
    return login_throttle.blocked_until(throttle_key(user.email, user, device), now())


def is_locked(user: User, device: Device = None) -> bool:
    """Tell whether this client must wait before trying this account again."""
    return blocked_until(user, device) is not None


def register_failure(
    user: User | None,
    *,
    ip: str | None,
    what: str = "passord",
    email: str | None = None,
    device: Device = None,
) -> LoginResult:
    """Count a failed password or code for this client and address; known or not, the same work."""
    email = normalise_email(email if email is not None else user.email if user is not None else "")
    subject = user.email if user is not None else None
    detail = f"feil {what}" if user is not None else "ukjent e-postadresse"
    with write_transaction():
        until, started = login_throttle.record_failure(throttle_key(email, user, device), now())
        audit.record("login_failed", subject=subject, detail=detail, ip=ip)
        if started:
            audit.record(
                "lockout",
                subject=subject,
                detail=f"{current_app.config['LOGIN_MAX_FAILURES']} mislykkede forsøk",
                ip=ip,
            )
    if until is not None:
        return LoginResult("locked", user, as_utc(until))
    return LoginResult("wrong", user)


def authenticate(email: str, password: str, *, ip: str | None, device: Device = None) -> LoginResult:
    """Check an e-mail and password with the same work and answers whether the address is known or not.

    Every attempt hashes once (a dummy hash for an unknown address or an account without a password)
    and writes one audit row; failures slow down per address typed, or per device cookie.
    """
    ph = _hasher()
    email = normalise_email(email)[:255]
    user = get_by_email(email) if len(email) <= 254 else None
    key = throttle_key(email, user, device)
    until = login_throttle.blocked_until(key, now())
    if until is not None:
        with write_transaction():
            audit.record(
                "login_failed", subject=user.email if user else None, detail="må vente (sperret)", ip=ip
            )
        return LoginResult("locked", user, until)
    password = password[: passwords.MAX_LENGTH + 1]
    if not passwords.verify(ph, user.password_hash if user is not None else None, password):
        return register_failure(user, ip=ip, email=email, device=device)
    if user.disabled:
        with write_transaction():
            audit.record("login_failed", subject=user.email, detail="kontoen er deaktivert", ip=ip)
        return LoginResult("disabled", user)
    with write_transaction():
        fresh = db.session.get(User, user.id)
        if ph.check_needs_rehash(fresh.password_hash):
            fresh.password_hash = ph.hash(password)
    return LoginResult("ok", fresh)


def check_password(user: User, password: str) -> bool:
    """Check the password of a logged-in user (re-authentication), without counting anything."""
    return passwords.verify(_hasher(), user.password_hash, password[: passwords.MAX_LENGTH + 1])


def complete_login(user: User, *, ip: str | None, how: str = "passord", device: Device = None) -> None:
    """Record a finished login (after the code for admins); the failures of this client are forgotten."""
    with write_transaction():
        fresh = db.session.get(User, user.id)
        fresh.last_login_at = now()
        fresh.failed_logins = 0
        login_throttle.clear(throttle_key(fresh.email, fresh, device))
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


def _new_invitation(user: User, actor: str | None) -> tuple[str, Invitation]:
    """Add a one-time link for a user to the open transaction; older unused links stop working."""
    token = secrets.token_urlsafe(32)
    hours = current_app.config["INVITATION_HOURS"]
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


def create_invitation(user: User, *, actor: str | None) -> tuple[str, Invitation]:
    """Make a one-time link token for a user; older unused links for the user stop working."""
    with write_transaction():
        token, invitation = _new_invitation(user, actor)
    return token, invitation


# --- Inviting several people at once -------------------------------------------------------------

MAX_INVITATION_LINES = 100
# Role words in bokmål, nynorsk and English: an admin writes the list in the language of their page.
ROLE_WORDS = {
    "ansatt": "staff",
    "tilsett": "staff",
    "staff": "staff",
    "leder": "leader",
    "leiar": "leader",
    "ledelse": "leader",
    "leiing": "leader",
    "leader": "leader",
    "administrator": "admin",
    "admin": "admin",
}
_NAME_AND_ADDRESS = re.compile(r"^(?P<name>[^<>]*)<(?P<email>[^<>]+)>$")


@dataclass
class InvitationLine:
    """One person from a pasted list: the line it came from, name, e-mail and roles."""

    number: int
    name: str
    email: str
    roles: list[str]


@dataclass
class Invited:
    """One person invited from a list: the account, the one-time token and its invitation."""

    user: User
    token: str
    invitation: Invitation


def _roles_from(text: str) -> list[str] | None:
    words = [word for word in re.split(r"[\s+/&]+|\bog\b|\band\b", text.lower()) if word]
    if not words or any(word not in ROLE_WORDS for word in words):
        return None
    found = {ROLE_WORDS[word] for word in words}
    return [role for role in ROLES if role in found]


def parse_invitation_lines(text: str) -> tuple[list[InvitationLine], list[str]]:
    """Read «navn, e-post, rolle» lines (comma, semicolon or tab between; no role means ansatt).

    Returns the people and every problem, one Norwegian sentence per line that is wrong; blank lines
    are skipped. Nothing is looked up but the addresses already in use.
    """
    people: list[InvitationLine] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    lines = (text or "").splitlines()
    if sum(1 for line in lines if line.strip()) > MAX_INVITATION_LINES:
        return [], [
            _("Høyst %(count)s personer om gangen. Del listen i flere runder.", count=MAX_INVITATION_LINES)
        ]
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        parts = [part.strip() for part in re.split(r"[;,\t]", line) if part.strip()]
        expanded: list[str] = []
        for part in parts:  # «Kari Nordmann <kari@skole.no>», as pasted from Outlook
            match = _NAME_AND_ADDRESS.match(part)
            expanded += [match["name"].strip(), match["email"].strip()] if match else [part]
        parts = [part for part in expanded if part]
        emails = [part for part in parts if "@" in part]
        rest = [part for part in parts if "@" not in part]
        roles_text = rest.pop() if len(rest) > 1 else None
        where = _("Linje %(number)s", number=number)
        if len(emails) != 1:
            problems.append(
                _("%(where)s: skriv nøyaktig én e-postadresse.", where=where)
                if emails
                else _("%(where)s: e-postadressen mangler. Skriv navn, e-post, rolle.", where=where)
            )
            continue
        email = normalise_email(emails[0])
        if not rest:
            problems.append(_("%(where)s: navnet mangler. Skriv navn, e-post, rolle.", where=where))
            continue
        if len(rest) > 1:
            problems.append(
                _("%(where)s: for mange felt. Skriv navn, e-post, rolle, skilt med komma.", where=where)
            )
            continue
        name = rest[0]
        roles = _roles_from(roles_text) if roles_text is not None else ["staff"]
        if roles is None:
            problems.append(
                _(
                    "%(where)s: ukjent rolle «%(role)s». Skriv ansatt, leder eller administrator.",
                    where=where,
                    role=roles_text,
                )
            )
            continue
        try:
            _check_new_user(email, name, roles)
        except AccountError as error:
            problems.append(f"{where} ({email}): {str(error)[:1].lower()}{str(error)[1:]}")
            continue
        if email in seen:
            problems.append(
                _(
                    "%(where)s: %(email)s står også på linje %(line)s.",
                    where=where,
                    email=email,
                    line=seen[email],
                )
            )
            continue
        seen[email] = number
        people.append(InvitationLine(number, name, email, roles))
    if not people and not problems:
        problems.append(_("Listen er tom. Skriv én person per linje: navn, e-post, rolle."))
    return people, problems


def invite_many(people: list[InvitationLine], *, actor: str | None) -> list[Invited]:
    """Create every account with its own link in one transaction: all of them, or none."""
    invited: list[Invited] = []
    with write_transaction():
        users = []
        for person in people:
            email, name = _check_new_user(person.email, person.name, person.roles)  # taken meanwhile?
            user = User(
                email=email,
                name=name,
                session_token=new_session_token(),
                password_hash=None,
                **{f"is_{role}": role in person.roles for role in ROLES},
            )
            db.session.add(user)
            db.session.flush()  # the next line's check sees this one
            audit.record(
                "user_created", actor=actor, subject=email, detail="roller: " + ", ".join(person.roles)
            )
            users.append(user)
        for user in users:
            token, invitation = _new_invitation(user, actor)
            invited.append(Invited(user, token, invitation))
    return invited


def alert_devices() -> dict[int, int]:
    """Return, per user id, how many devices have alerts from emergency mode switched on."""
    rows = db.session.execute(
        select(PushSubscription.user_id, func.count(PushSubscription.id))
        .where(PushSubscription.alerts.is_(True), PushSubscription.user_id.is_not(None))
        .group_by(PushSubscription.user_id)
    ).all()
    return {user_id: count for user_id, count in rows}


def find_invitation(token: str) -> Invitation | None:
    """Return the invitation for a token if it is unused and not expired, else None."""
    if not token or len(token) > 100:
        return None
    invitation = db.session.execute(
        select(Invitation).where(Invitation.token_hash == _token_hash(token))
    ).scalar_one_or_none()
    if invitation is None or invitation.used_at is not None or as_utc(invitation.expires_at) <= now():
        return None
    return invitation


def accept_invitation(token: str, password: str, *, ip: str | None) -> User:
    """Use an invitation once: set the password; raise AccountError if the link or password is bad."""
    invitation = find_invitation(token)
    if invitation is None:
        raise AccountError(_("Lenken er brukt eller utløpt. Be en administrator om en ny."))
    user = invitation.user
    if user.disabled:
        raise AccountError(_("Kontoen er deaktivert. Snakk med en administrator på skolen."))
    found = password_problems(password, email=user.email, name=user.name)
    if found:
        raise AccountError(" ".join(found))
    password_hash = _hasher().hash(password)
    with write_transaction():
        fresh_invitation = db.session.get(Invitation, invitation.id)
        if fresh_invitation.used_at is not None:  # used by another request meanwhile
            raise AccountError(_("Lenken er brukt eller utløpt. Be en administrator om en ny."))
        fresh_invitation.used_at = now()
        fresh = db.session.get(User, invitation.user_id)
        fresh.password_hash = password_hash
        fresh.session_token = new_session_token()
        fresh.failed_logins = 0
        fresh.locked_until = None
        login_throttle.clear(login_throttle.account_key(fresh.email))
        audit.record("invitation_accepted", actor=fresh.email, subject=fresh.email, ip=ip)
    return fresh


# --- Two-factor codes (TOTP) and recovery codes ---------------------------------------------------


def new_totp_secret() -> str:
    """Return a new base32 secret for an authenticator app."""
    return pyotp.random_base32()


def totp_uri(secret: str, email: str) -> str:
    """Return the otpauth:// link an authenticator app reads from a QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=current_app.config["TOTP_ISSUER"])


def _code_step(secret: str, code: str, reach: int) -> tuple[int, int] | None:
    """Return (the current step, the code's offset from it) within `reach` steps, nearest first."""
    code = re.sub(r"\s", "", code or "")
    if not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now())
    for offset in sorted(range(-reach, reach + 1), key=abs):  # 0, -1, 1, -2, 2, ...
        if secrets.compare_digest(totp.generate_otp(current + offset), code):
            return current, offset
    return None


def _matching_step(secret: str, code: str) -> int | None:
    found = _code_step(secret, code, 1)  # one step of clock drift either way
    return None if found is None else found[0] + found[1]


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


def _recovery_digest(code: str) -> str:
    normalised = re.sub(r"[^a-z0-9]", "", (code or "").lower())
    return hashlib.sha256(normalised.encode("ascii", "ignore")).hexdigest()


def _recovery_hash(code: str) -> str:
    """Return the stored form of a recovery code: argon2id (salted, slow) over its SHA-256.

    Codes stored before argon2 were the bare SHA-256; migration e3b8c1a9f2d6 wrapped each of them in
    argon2id, so old and new codes are checked the same way.
    """
    return _hasher().hash(_recovery_digest(code))


def _new_recovery_codes(user: User) -> list[str]:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    codes = []
    for old in list(user.recovery_codes):
        db.session.delete(old)
    for _index in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(alphabet) for _index in range(10))
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


def pending_totp_secret(user: User) -> str:
    """Return the secret this user is setting up: made once, the same until confirmed or cancelled."""
    if user.totp_pending_secret:
        return user.totp_pending_secret
    with write_transaction():
        fresh = db.session.get(User, user.id)
        if fresh.totp_pending_secret is None:  # two tabs at once: both show the first one's secret
            fresh.totp_pending_secret = new_totp_secret()
        secret = fresh.totp_pending_secret
    return secret


def confirm_totp_setup(user: User, code: str, *, ip: str | None) -> list[str] | None:
    """Turn on two-factor login with the pending secret once a code from it checks out."""
    secret = db.session.get(User, user.id).totp_pending_secret
    if secret is None:
        return None
    codes = enable_totp(user, secret, code, ip=ip)
    if codes is not None:
        with write_transaction():
            db.session.get(User, user.id).totp_pending_secret = None
    return codes


def cancel_totp_setup(user: User) -> None:
    """Forget the secret being set up; the next visit to the setup page shows a new one."""
    with write_transaction():
        db.session.get(User, user.id).totp_pending_secret = None


# How far off a phone's clock may be for us to recognise its code and say so (ten minutes either way).
CLOCK_HINT_STEPS = 20


def totp_clock_offset(secret: str, code: str) -> int | None:
    """Return how many minutes ahead (+) or behind (-) the code's clock is, if it is a code of this secret."""
    found = _code_step(secret, code, CLOCK_HINT_STEPS)
    return None if found is None else round(found[1] * pyotp.TOTP(secret).interval / 60)


def regenerate_recovery_codes(user: User) -> list[str]:
    """Replace every recovery code of a user with new ones."""
    with write_transaction():
        fresh = db.session.get(User, user.id)
        codes = _new_recovery_codes(fresh)
    return codes


def use_recovery_code(user: User, code: str, *, ip: str | None) -> bool:
    """Accept an unused recovery code once."""
    digest = _recovery_digest(code)
    ph = _hasher()
    with write_transaction():
        for row in db.session.execute(
            select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        ).scalars():
            if passwords.verify(ph, row.code_hash, digest):
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

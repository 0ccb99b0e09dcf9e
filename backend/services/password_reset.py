"""Password reset by e-mail for password accounts: a one-time link that expires. No request in here.

Asking tells nobody whether an address has an account: the answer and the work are the same either way
(one lookup, a token, a rendered mail, one write), and the mail itself leaves through the outbox, so
the request never waits for the SMTP server.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from backend.database import write_transaction
from backend.extensions import db
from backend.models import PasswordReset, User, as_utc
from backend.services import accounts, audit, mail, notices
from backend.services.language import school_locale

NOBODY = "ingen@rusplan.invalid"  # the mail rendered (and dropped) when the address has no account


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def can_reset(user: User | None) -> bool:
    """Tell whether a reset link may go to this account: an active account that has a password."""
    return user is not None and user.password_hash is not None and not user.disabled


def request_reset(email: str, *, link_for, ip: str | None) -> None:
    """Mail a one-time link to choose a new password if the address belongs to a password account.

    `link_for(token)` makes the full link. Older unused links of the account stop working.
    """
    token = secrets.token_urlsafe(32)
    user = accounts.get_by_email(email) if len(email or "") <= 254 else None
    eligible = can_reset(user)
    # Read before the commit expires the row: no extra query on one path only.
    user_id, address, name = (user.id, user.email, user.name) if eligible else (0, NOBODY, "")
    expires_at = accounts.now() + timedelta(minutes=current_app.config["PASSWORD_RESET_MINUTES"])
    with write_transaction():
        # The same statements on both paths: the older links are looked up (none for id 0), and one
        # row is written (the reset itself, or a line in the log about an address without an account).
        for old in db.session.execute(
            select(PasswordReset).where(PasswordReset.user_id == user_id, PasswordReset.used_at.is_(None))
        ).scalars():
            old.used_at = accounts.now()
        if eligible:
            db.session.add(
                PasswordReset(
                    user_id=user_id,
                    token_hash=_token_hash(token),
                    created_at=accounts.now(),
                    expires_at=expires_at,
                )
            )
        else:
            audit.record("password_reset_requested", detail="ingen konto med passord for adressen", ip=ip)
    school = notices.school_name()
    link = link_for(token)
    with school_locale():  # the recipient's school's language, not the language of the page asked on
        message = mail.compose(
            address,
            _("Nytt passord til Rusplan for %(school)s", school=school),
            "password_reset",
            name=name,
            link=link,
            expires_at=expires_at,
            school=school,
        )
    if eligible:
        mail.send_later([message])


def find_reset(token: str) -> PasswordReset | None:
    """Return the reset for a link's token if it is unused, unexpired and its account may reset."""
    if not token or len(token) > 100:
        return None
    reset = db.session.execute(
        select(PasswordReset).where(PasswordReset.token_hash == _token_hash(token))
    ).scalar_one_or_none()
    if reset is None or reset.used_at is not None or as_utc(reset.expires_at) <= accounts.now():
        return None
    return reset if can_reset(reset.user) else None


def complete_reset(token: str, password: str, *, ip: str | None) -> User:
    """Use a reset link once: set the new password (every session ends); raise AccountError if not."""
    reset = find_reset(token)
    if reset is None:
        raise accounts.AccountError(_("Lenken er brukt eller utløpt. Be om en ny."))
    user = reset.user
    found = accounts.password_problems(password, email=user.email, name=user.name)
    if found:
        raise accounts.AccountError(" ".join(found))
    with write_transaction():
        fresh = db.session.get(PasswordReset, reset.id)
        if fresh.used_at is not None:  # used by another request meanwhile
            raise accounts.AccountError(_("Lenken er brukt eller utløpt. Be om en ny."))
        fresh.used_at = accounts.now()
    accounts.change_password(user, password, actor=user.email, ip=ip)
    return accounts.get_user(user.id)

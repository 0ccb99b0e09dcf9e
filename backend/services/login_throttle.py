"""Slowing down password guessing without letting a stranger lock an account's owner out.

Failures are counted per e-mail address as typed (known or unknown alike, so the answers never tell
which addresses have accounts), and, for a device that logged in to the account before, per device
cookie instead (OWASP's «device cookies»): a stranger's guesses slow down only clients without one,
and the owner's phone still gets in.

After LOGIN_MAX_FAILURES failures a key waits LOGIN_SLOWDOWN_SECONDS, and every further failure
doubles the wait, up to LOGIN_LOCKOUT_MINUTES. An attempt during the wait is refused before any
password is checked (and is not counted). A success clears the key it was made under; a day without
failures forgets them. The caller runs these inside a write transaction. No request in here.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete

from backend.extensions import db
from backend.models import LoginThrottle, as_utc

FORGET_AFTER = timedelta(days=1)


def _hmac(kind: str, value: str) -> str:
    secret = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return hmac.new(secret, f"{kind}:{value}".encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def account_key(email: str) -> str:
    """Return the key for clients without a device cookie of this (normalised) address."""
    return _hmac("account", email)


def device_key(nonce: str) -> str:
    """Return the key for one device cookie."""
    return _hmac("device", nonce)


def blocked_until(key: str, now: datetime) -> datetime | None:
    """Return until when the key must wait, or None when it may try now."""
    row = db.session.get(LoginThrottle, key)
    until = as_utc(row.blocked_until) if row is not None else None
    return until if until is not None and until > now else None


def wait_after(failures: int) -> timedelta | None:
    """Return how long a key waits after this many failures in a row (None: not yet)."""
    config = current_app.config
    beyond = failures - int(config["LOGIN_MAX_FAILURES"])
    if beyond < 0:
        return None
    cap = float(config["LOGIN_LOCKOUT_MINUTES"]) * 60
    return timedelta(seconds=min(float(config["LOGIN_SLOWDOWN_SECONDS"]) * 2 ** min(beyond, 30), cap))


def record_failure(key: str, now: datetime) -> tuple[datetime | None, bool]:
    """Count a failure; return (until when the key now waits or None, whether this started a wait)."""
    row = db.session.get(LoginThrottle, key)
    if row is None:
        row = LoginThrottle(key=key, failures=0)
        db.session.add(row)
    elif as_utc(row.updated_at) is not None and as_utc(row.updated_at) < now - FORGET_AFTER:
        row.failures = 0
    row.failures = (row.failures or 0) + 1
    row.updated_at = now
    wait = wait_after(row.failures)
    row.blocked_until = now + wait if wait is not None else None
    if row.failures % 50 == 1:  # now and then: forget keys quiet for a day
        db.session.execute(delete(LoginThrottle).where(LoginThrottle.updated_at < now - FORGET_AFTER))
    started = wait is not None and row.failures == int(current_app.config["LOGIN_MAX_FAILURES"])
    return row.blocked_until, started


def clear(key: str) -> None:
    """Forget the failures of a key (after a successful login under it)."""
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))

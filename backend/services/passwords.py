"""Password rules and hashing: at least 12 characters, not a common password, argon2id."""

from __future__ import annotations

import contextlib
import string
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask_babel import gettext as _

COMMON_PASSWORDS = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"
MAX_LENGTH = 256  # long passphrases are welcome; this only stops a megabyte "password"
_EDGE = string.digits + string.punctuation + " "


@cache
def common_passwords() -> frozenset[str]:
    """Return the shipped list of common passwords, lower case."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def problems(password: str, *, min_length: int = 12, email: str = "", name: str = "") -> list[str]:
    """Return what is wrong with a new password, in the UI's language; an empty list means it is good."""
    found = []
    if len(password) < min_length:
        found.append(_("Passordet må ha minst %(count)s tegn.", count=min_length))
    if len(password) > MAX_LENGTH:
        found.append(_("Passordet kan ha høyst %(count)s tegn.", count=MAX_LENGTH))
    if any(ord(ch) < 32 for ch in password):
        found.append(_("Passordet kan ikke inneholde kontrolltegn."))
    lowered = password.lower()
    core = lowered.strip(_EDGE)
    common = common_passwords()
    if lowered in common or core in common or len(set(lowered)) <= 2:
        found.append(_("Dette passordet er for vanlig og lett å gjette. Velg et annet."))
    local = email.split("@")[0].lower()
    if (local and len(local) >= 4 and local in lowered) or (name and name.lower() in lowered):
        found.append(_("Passordet kan ikke inneholde navnet eller e-postadressen din."))
    return found


def hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    """Return an argon2id hasher with these parameters."""
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def verify(ph: PasswordHasher, stored: str | None, password: str) -> bool:
    """Check a password against a stored hash; with no hash, do the same verify on a dummy and fail."""
    if stored is None:
        _dummy_verify(ph, password)
        return False
    try:
        return ph.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    return PasswordHasher(time_cost, memory_cost, parallelism).hash("ingen konto har dette passordet")


def _dummy_verify(ph: PasswordHasher, password: str) -> None:
    # The same operation as for a real account (a verify with the current parameters), so an unknown
    # e-mail takes as long as a wrong password.
    dummy = _dummy_hash(ph.time_cost, ph.memory_cost, ph.parallelism)
    with contextlib.suppress(VerifyMismatchError, VerificationError, InvalidHashError):
        ph.verify(dummy, password)

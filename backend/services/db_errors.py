"""Which database errors mean "the database is unavailable", and a log-safe word for each."""

from __future__ import annotations

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

# Locked, full, unreachable, timed out, pool exhausted: the database cannot answer now. Other
# database errors (a constraint, a bad query) are bugs and stay 500s.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeoutError)

_REASONS = (
    ("locked", ("database is locked", "database table is locked", "busy")),
    ("full", ("database or disk is full", "no space left", "disk full", "could not extend file")),
    ("timeout", ("statement timeout", "canceling statement", "lock timeout", "queuepool limit")),
    (
        "unreachable",
        (
            "unable to open database",
            "connection",
            "could not connect",
            "refused",
            "timeout expired",
            "server closed",
            "no such host",
            "name or service not known",
            "disk i/o error",
        ),
    ),
)


def describe(error: BaseException) -> str:
    """Return locked, full, timeout, unreachable or error: a reason that never holds SQL or data."""
    original = getattr(error, "orig", None) or error
    text = str(original).lower()
    for reason, needles in _REASONS:
        if any(needle in text for needle in needles):
            return reason
    return "error"

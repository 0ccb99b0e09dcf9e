"""vCard (RFC 2426, version 3.0) text values."""

from __future__ import annotations


def escape(value: str) -> str:
    """Escape a text value so a comma, semicolon or line break in it cannot start a new field."""
    return (
        str(value)
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )

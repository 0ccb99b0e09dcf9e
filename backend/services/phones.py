"""Phone numbers for reading and for dialling."""

from __future__ import annotations

import phonenumbers


def tel_href(number: str) -> str:
    """Return the tel: link for a stored number (E.164, or a short number as it is)."""
    return f"tel:{number}"


def display(number: str) -> str:
    """Format a stored number the way Norwegians read it: «970 83 705», «02800»."""
    if not number.startswith("+"):
        return number
    parsed = phonenumbers.parse(number, None)
    if parsed.country_code == 47:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def spoken(number: str) -> str:
    """Return the number digit by digit for screen readers («9 7 0 8 3 7 0 5»)."""
    return " ".join(ch for ch in display(number) if ch.isdigit())

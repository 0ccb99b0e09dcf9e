"""Phone numbers for reading and for dialling."""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberFormat, PhoneNumberFormat, PhoneNumberType

# Norwegians read mobile numbers (4xx and 9xx) and 800 numbers in three groups, «970 83 705»;
# phonenumbers' own national format gives «97 08 37 05», which is how landlines are read.
_THREE_GROUPS = [NumberFormat(pattern=r"(\d{3})(\d{2})(\d{3})", format=r"\1 \2 \3")]
_THREE_GROUP_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.TOLL_FREE}


def tel_href(number: str) -> str:
    """Return the tel: link for a stored number (E.164, or a short number as it is)."""
    return f"tel:{number}"


def display(number: str) -> str:
    """Format a stored number the way Norwegians read it: «970 83 705», «02800», «116 117»."""
    if not number.startswith("+"):
        return f"{number[:3]} {number[3:]}" if len(number) == 6 and number.startswith("116") else number
    parsed = phonenumbers.parse(number, None)
    if parsed.country_code == 47:
        if phonenumbers.number_type(parsed) in _THREE_GROUP_TYPES:
            return phonenumbers.format_by_pattern(parsed, PhoneNumberFormat.NATIONAL, _THREE_GROUPS)
        return phonenumbers.format_number(parsed, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL)


def spoken(number: str) -> str:
    """Return the number digit by digit for screen readers («9 7 0 8 3 7 0 5»)."""
    return " ".join(ch for ch in display(number) if ch.isdigit())

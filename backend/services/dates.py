"""Dates in the page's language («1. juni 2026», «1 June 2026»), and the month and year a plan's text names.

`month_and_year` and `named_month_and_year` read and write the plan's own text (bokmål or nynorsk,
whose month names are the same), so they stay Norwegian whatever the visitor's language.
"""

from __future__ import annotations

import re
from datetime import date

from babel.dates import format_date
from flask_babel import get_locale

MONTHS = (
    "januar", "februar", "mars", "april", "mai", "juni",
    "juli", "august", "september", "oktober", "november", "desember",
)  # fmt: skip


# Babel's pattern per language: day, month in words, year («26. november 2026», «26 November 2026»).
DATE_PATTERNS = {"en": "d MMMM y"}
DEFAULT_PATTERN = "d. MMMM y"


def norwegian_date(value) -> str:
    """Format a date in the current language: «26. november 2026» (bokmål and nynorsk), «26 November 2026»."""
    locale = get_locale()
    language = locale.language if locale is not None else "nb"
    return format_date(value, DATE_PATTERNS.get(language, DEFAULT_PATTERN), locale=locale or "nb")


def month_name(month: int) -> str:
    """Return a month's name in the current language: «januar» (bokmål, nynorsk), «January»."""
    locale = get_locale()
    return format_date(date(2000, month, 1), "LLLL", locale=locale or "nb")


def month_and_year(value: date) -> str:
    """Return «juni 2026» for a date: how the plan writes its next review."""
    return f"{MONTHS[value.month - 1]} {value.year}"


def named_month_and_year(text: str) -> tuple[int | None, int | None]:
    """Return the month (1–12) and year a text names («juni 2026», «innen 1. juni 2026»), None if not."""
    words = re.findall(r"[a-zæøå]+|\d{4}", (text or "").lower())
    months = [MONTHS.index(word) + 1 for word in words if word in MONTHS]
    years = [int(word) for word in words if word.isdigit()]
    return (months[-1] if months else None), (years[-1] if years else None)

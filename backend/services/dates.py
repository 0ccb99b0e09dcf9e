"""Dates as the school writes them: «1. juni 2026», and the month and year a text like «juni 2026» names."""

from __future__ import annotations

import re
from datetime import date

MONTHS = (
    "januar", "februar", "mars", "april", "mai", "juni",
    "juli", "august", "september", "oktober", "november", "desember",
)  # fmt: skip


def norwegian_date(value) -> str:
    """Format a date as «26. november 2026»."""
    return f"{value.day}. {MONTHS[value.month - 1]} {value.year}"


def month_and_year(value: date) -> str:
    """Return «juni 2026» for a date: how the plan writes its next review."""
    return f"{MONTHS[value.month - 1]} {value.year}"


def named_month_and_year(text: str) -> tuple[int | None, int | None]:
    """Return the month (1–12) and year a text names («juni 2026», «innen 1. juni 2026»), None if not."""
    words = re.findall(r"[a-zæøå]+|\d{4}", (text or "").lower())
    months = [MONTHS.index(word) + 1 for word in words if word in MONTHS]
    years = [int(word) for word in words if word.isdigit()]
    return (months[-1] if months else None), (years[-1] if years else None)

"""Jinja filters and globals shared by every template."""

from __future__ import annotations

from flask import Flask

from backend.content.schema import ACTOR_LABELS
from backend.services import markdown, phones, vcard

MONTHS = [
    "januar", "februar", "mars", "april", "mai", "juni",
    "juli", "august", "september", "oktober", "november", "desember",
]  # fmt: skip


def norwegian_date(value) -> str:
    """Format a date as «26. november 2026»."""
    return f"{value.day}. {MONTHS[value.month - 1]} {value.year}"


def upper_first(value: str) -> str:
    """Upper-case the first letter and leave the rest as written («kontakt NAV» → «Kontakt NAV»).

    Jinja's own `capitalize` lower-cases the rest, which would turn names the school wrote into
    something the plan does not say.
    """
    text = str(value)
    return text[:1].upper() + text[1:]


def init_app(app: Flask) -> None:
    """Register the filters and globals on the app."""
    app.add_template_filter(phones.tel_href, "tel")
    app.add_template_filter(phones.display, "phone")
    app.add_template_filter(phones.spoken, "phone_spoken")
    app.add_template_filter(markdown.render, "markdown")
    app.add_template_filter(norwegian_date, "norwegian_date")
    app.add_template_filter(vcard.escape, "vcard")
    app.add_template_filter(upper_first, "upper_first")
    app.add_template_global(ACTOR_LABELS, "actor_labels")

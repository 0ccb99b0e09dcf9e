"""Jinja filters and globals shared by every template."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, g, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select

from backend.extensions import db
from backend.models import User, as_utc
from backend.services import accounts, alerts, markdown, phones, vcard
from backend.services.dates import month_name, norwegian_date
from backend.services.language import first_to_call
from backend.services.plan import revision_cache


def slash_breaks(value) -> Markup:
    """Let a line break after a slash («Taushetsplikt/<wbr>opplysningsplikt»): without it a narrow
    phone breaks such a pair somewhere inside a word."""
    return Markup("/<wbr>").join(escape(str(value)).split("/"))


def upper_first(value: str) -> str:
    """Upper-case the first letter and leave the rest as written («kontakt NAV» → «Kontakt NAV»).

    Jinja's own `capitalize` lower-cases the rest, which would turn names the school wrote into
    something the plan does not say.
    """
    text = str(value)
    return text[:1].upper() + text[1:]


try:
    SCHOOL_TIME = ZoneInfo("Europe/Oslo")
except ZoneInfoNotFoundError:  # a server without the time zone database: show UTC rather than fail
    SCHOOL_TIME = UTC


def local_time(value: datetime | None) -> str:
    """Format a stored time on the school's clock: «29. november 2026 kl. 18:22», in the page's language."""
    if value is None:
        return ""
    local = as_utc(value).astimezone(SCHOOL_TIME)
    return _("%(date)s kl. %(time)s", date=norwegian_date(local), time=local.strftime("%H:%M"))


def clock(value) -> str:
    """Format a stored time as the school's clock shows it: «10:42»."""
    return f"{as_utc(value).astimezone(SCHOOL_TIME):%H:%M}"


def person(actor: str | None) -> str:
    """Show who did something by name: an account's e-mail becomes its name (looked up once a request)."""
    if not actor:
        return _("ukjent")
    names = g.get("_names_by_email")
    if names is None:
        names = g._names_by_email = dict(db.session.execute(select(User.email, User.name)).all())
    return names.get(actor, actor)


def guide_start_url() -> str:
    """Return the first question's URL, for the "answer the questions" links on other pages."""
    return url_for("public.question", question_id=revision_cache.current().plan.guide.start)


@dataclass(frozen=True)
class ReadinessNotice:
    """What a signed-in leader or admin must know about reaching the leadership, on every page."""

    receivers: int | None  # people in the call chain who can get an alert, when fewer than two
    chain: int
    device_dropped: bool  # the push service dropped this leader's last device


# Pages where the warning would stand between a person and an emergency (or repeat the page itself).
QUIET_ENDPOINTS = {"push.new_alert", "push.show_alert", "push.readiness"}


def readiness_notice() -> ReadinessNotice | None:
    """Return the readiness warning for the signed-in leader or admin, or None when all is well."""
    if request.endpoint in QUIET_ENDPOINTS:
        return None
    if not current_user.is_authenticated or not (current_user.is_leader or current_user.is_admin):
        return None
    current = revision_cache.current()
    state = alerts.chain_readiness(current.plan if current is not None else None)
    dropped = current_user.is_leader and alerts.device_dropped(current_user)
    if not state.warning and not dropped:
        return None
    return ReadinessNotice(
        receivers=state.receivers if state.warning else None,
        chain=len(state.people),
        device_dropped=dropped,
    )


def overdue_review():
    """Return the live plan's evaluation when its next-review date has passed, else None.

    For signed-in pages only (they are rendered per request); the public evaluation page gets the same
    answer through its cache key, see routes/public.py.
    """
    current = revision_cache.current()
    if current is None:
        return None
    evaluation = current.plan.meta.evaluation
    return evaluation if evaluation.next_revision_date < accounts.now().date() else None


def init_app(app: Flask) -> None:
    """Register the filters and globals on the app."""
    app.add_template_filter(phones.tel_href, "tel")
    app.add_template_filter(phones.display, "phone")
    app.add_template_filter(phones.spoken, "phone_spoken")
    app.add_template_filter(markdown.render, "markdown")
    app.add_template_filter(norwegian_date, "norwegian_date")
    app.add_template_filter(month_name, "month_name")
    app.add_template_filter(vcard.escape, "vcard")
    app.add_template_filter(upper_first, "upper_first")
    app.add_template_filter(slash_breaks, "slash_breaks")
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(clock, "clock")
    app.add_template_filter(person, "person")
    app.add_template_global(guide_start_url, "guide_start_url")
    app.add_template_global(first_to_call, "first_to_call")
    app.add_template_global(overdue_review, "overdue_review")
    app.add_template_global(readiness_notice, "readiness_notice")

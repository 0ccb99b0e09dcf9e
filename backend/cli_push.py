"""Command-line tools for Web Push: `flask --app wsgi push send-pending|public-key`."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import AlertDelivery
from backend.services import vapid as vapid_service
from backend.services.alerts.alerts import purge_history
from backend.services.alerts.sender import outstanding, start_sender

push_cli = AppGroup("push", help="Web Push: send stored deliveries, show the public key.")


@push_cli.command("send-pending")
@click.option("--timeout", default=120.0, show_default=True, help="Give up waiting after this many seconds.")
def send_pending_command(timeout: float) -> None:
    """Send every stored delivery that is not sent yet (after a restart), waiting for retries."""
    app = current_app._get_current_object()
    sender = start_sender(app)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            left = outstanding()
            db.session.rollback()
            if left == 0 and sender.idle():
                break
            time.sleep(0.2)
    finally:
        sender.stop()
    counts = dict(
        db.session.execute(select(AlertDelivery.status, func.count()).group_by(AlertDelivery.status)).all()
    )
    summary = ", ".join(f"{status.value}: {n}" for status, n in sorted(counts.items())) or "ingen"
    left = outstanding()
    click.echo(f"Leveranser: {summary}.")
    if left:
        raise click.ClickException(f"{left} leveranser er ikke ferdige ennå; de sendes når appen kjører.")


@push_cli.command("public-key")
def public_key_command() -> None:
    """Print the VAPID public key (applicationServerKey) browsers subscribe with."""
    click.echo(vapid_service.load_keys(current_app._get_current_object()).application_server_key)


@push_cli.command("purge")
@click.option("--days", type=int, default=None, help="Keep this many days (default: ALERT_HISTORY_DAYS).")
def purge_command(days: int | None) -> None:
    """Delete alerts older than the history period, with their deliveries and answers."""
    count = purge_history(days)
    click.echo(f"Slettet {count} varsler eldre enn {days or current_app.config['ALERT_HISTORY_DAYS']} dager.")

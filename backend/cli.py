"""Command-line tools: `flask --app wsgi content ...`, `users ...`, `push ...`, `backup`, `restore`."""

from __future__ import annotations

import getpass
import os
import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from backend.content.loader import ContentError, declared_language, load_plan, write_plan
from backend.extensions import db
from backend.models import ROLES, AlertDelivery
from backend.services import accounts, content_import, diff, phones
from backend.services import backup as backup_service
from backend.services import draft as drafts
from backend.services import plan as plan_service
from backend.services import vapid as vapid_service
from backend.services.alerts.alerts import notify_review_overdue, purge_history
from backend.services.alerts.sender import outstanding, start_sender
from backend.services.db_errors import DATABASE_UNAVAILABLE, describe
from backend.services.language import school_language


class ContentCheckFailed(click.ClickException):
    """Content that does not validate: one problem a line, in Norwegian (click would say «Error:»)."""

    def __init__(self, error: ContentError, lead: str):
        super().__init__("\n".join([lead, *(f"  {line}" for line in error.lines())]))

    def show(self, file=None) -> None:
        click.echo(self.format_message(), file=file, err=file is None)


content_cli = AppGroup("content", help="Import, check and export the plan's content files.")


def content_language(folder: Path) -> str:
    """The language a school reads its content problems in: its plan.yaml's, else the current plan's."""
    return declared_language(folder) or school_language()


def school_folder() -> Path:
    """Return the content folder of the configured school."""
    return Path(current_app.config["CONTENT_DIR"]) / current_app.config["SCHOOL"]


def _cli_actor(as_email: str | None) -> str:
    """Who runs the command, for the revision and the log: an account's e-mail, or the OS user."""
    if as_email:
        user = accounts.get_by_email(as_email)
        if user is None:
            raise click.ClickException(f"Fant ingen bruker med e-post {as_email}.")
        return user.email
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container): the number still says who
        name = f"uid {os.getuid()}"
    return f"kommandolinjen ({name})"


@content_cli.command("import")
@click.option("--folder", type=click.Path(path_type=Path), help="Content folder (default: the school's).")
@click.option("--if-empty", is_flag=True, help="Only import when the database has no revision yet.")
@click.option("--replace", is_flag=True, help="Import even over newer changes made in the admin.")
@click.option("--as", "as_email", metavar="E-POST", help="Record the import as done by this account.")
def import_command(folder: Path | None, if_empty: bool, replace: bool, as_email: str | None) -> None:
    """Import the content folder as a new revision (no-op if unchanged; refuses to overwrite newer work)."""
    if if_empty and plan_service.latest_revision() is not None:
        click.echo("Planen finnes allerede i databasen; ingenting importert.")
        return
    folder = folder or school_folder()
    try:
        actor = _cli_actor(as_email)
        with force_locale(content_language(folder)):
            try:
                plan = load_plan(folder)
            except ContentError as error:
                raise ContentCheckFailed(
                    error, _("Innholdet er ikke gyldig; ingenting ble importert:")
                ) from error
        base = content_import.based_on(folder)
        found = content_import.check(plan, base=base)
        if found.unchanged:
            click.echo(f"Uendret: revisjon {found.latest.id} har allerede dette innholdet.")
            return
        if found.newer_work and not replace:
            _explain_refusal(found)
        revision, draft_note = content_import.import_plan(
            plan, folder=folder, actor=actor, via="kommandolinjen", replace=replace, base=base
        )
    except ContentError as error:  # a content problem found later (at publish): the school's language
        with force_locale(content_language(folder)):
            raise ContentCheckFailed(
                error, _("Innholdet er ikke gyldig; ingenting ble importert:")
            ) from error
    except content_import.ImportRefused as error:  # newer work arrived between the check and the import
        _explain_refusal(error.check)
    except DATABASE_UNAVAILABLE as error:
        raise click.ClickException(
            f"Databasen er ikke tilgjengelig ({describe(error)}); ingenting ble importert."
        ) from error
    click.echo(f"Importerte {folder} som revisjon {revision.id}.")
    if draft_note:
        click.echo(draft_note)
    if found.latest is not None:  # an update, as a publish in /admin: tell those who asked to know
        devices = drafts.notify_subscribers(revision, wake=False)
        if devices is None:
            click.echo("Kunne ikke legge varsel om oppdatert plan i kø (se loggen).", err=True)
        elif devices:
            click.echo(f"Varsel om oppdatert plan til {devices} enheter er lagt i kø; serveren sender dem.")


def _explain_refusal(found: content_import.ImportCheck) -> None:
    """Stop the import: say what newer work it would overwrite and what would change."""
    click.echo("Importen er stoppet, så nyere arbeid ikke blir overskrevet:", err=True)
    for line in found.newer_work:
        click.echo(f"  {line}", err=True)
    click.echo("Dette ville endret seg på nettsiden:", err=True)
    for line in diff.as_text(found.changes, found.moved) or ["(ingen endringer mot planen som vises nå)"]:
        click.echo(f"  {line}", err=True)
    if found.draft_changes:
        click.echo("Med --replace forkastes også disse endringene i utkastet:", err=True)
        for line in diff.as_text(found.draft_changes):
            click.echo(f"  {line}", err=True)
    raise click.ClickException(
        "Ingenting er importert. Last heller ned planen i administrasjonen (Innholdsfiler → «Last ned "
        "planen som zip») og rediger den, eller kjør på nytt med --replace hvis mappen skal erstatte "
        "endringene."
    )


@content_cli.command("check")
@click.option("--folder", type=click.Path(path_type=Path), help="Content folder (default: the school's).")
def check_command(folder: Path | None) -> None:
    """Validate the content folder without importing it."""
    folder = folder or school_folder()
    with force_locale(content_language(folder)):
        try:
            plan = load_plan(folder)
        except ContentError as error:
            raise ContentCheckFailed(error, _("Innholdet er ikke gyldig:")) from error
    click.echo(f"OK: {folder} ({len(plan.all_contacts())} kontakter).")


@content_cli.command("export")
@click.argument("folder", type=click.Path(path_type=Path))
def export_command(folder: Path) -> None:
    """Write the current revision to FOLDER in the content/ format."""
    current = plan_service.revision_cache.current()
    if current is None:
        raise click.ClickException("Databasen har ingen revisjon av planen ennå.")
    template = school_folder()
    # Over the school's own files: their guidance comments stay, numbers are written as printed.
    write_plan(
        current.plan, folder, template=template if template.is_dir() else None, phone_format=phones.display
    )
    revision = drafts.revision(current.revision_id)
    (folder / content_import.MARKER).write_text(content_import.marker_text(revision), encoding="utf-8")
    click.echo(f"Skrev revisjon {current.revision_id} til {folder}.")


users_cli = AppGroup("users", help="Create, list and disable staff accounts.")


@users_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="The person's name as colleagues know it.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(list(ROLES)),
    help="staff, leader or admin; repeat for several.",
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_command(email: str, name: str, roles: tuple[str, ...], password_stdin: bool) -> None:
    """Create an account with a password (asked at the prompt, or read from stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Passord", hide_input=True, confirmation_prompt="Gjenta passordet")
    try:
        user = accounts.create_user(email, name, list(roles), password=password, actor="kommandolinjen")
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Opprettet {user.email} ({', '.join(user.roles)}).")
    if user.is_admin:
        click.echo("Ved første innlogging må administratoren slå på engangskoder (tofaktor).")


@users_cli.command("list")
def list_users_command() -> None:
    """List every account with its roles and status."""
    for user in accounts.all_users():
        if user.disabled:
            status = "deaktivert"
        elif not user.is_active:  # neither a password nor a Feide/OIDC sign-in yet
            status = "invitert"
        else:
            status = "aktiv"
        two_factor = "tofaktor" if user.totp_enabled else "-"
        click.echo(f"{user.email}\t{user.name}\t{','.join(user.roles)}\t{status}\t{two_factor}")


@users_cli.command("disable")
@click.argument("email")
def disable_user_command(email: str) -> None:
    """Disable an account; its sessions and remember cookies stop working at once."""
    user = accounts.get_by_email(email)
    if user is None:
        raise click.ClickException(f"Fant ingen bruker med e-post {email}.")
    accounts.disable_user(user, actor=None)
    click.echo(f"Deaktiverte {user.email}.")


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


def _sqlite_file() -> Path:
    """Return the SQLite file of the app, or explain what to do for PostgreSQL."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        shown = url.set(drivername="postgresql").render_as_string(hide_password=True)
        raise click.ClickException(
            "Databasen er PostgreSQL: bruk PostgreSQLs egne verktøy (se README, «Backups»):\n"
            f"  pg_dump --format=custom --file=rusplan.dump '{shown}'\n"
            f"  pg_restore --clean --if-exists --no-owner --dbname='{shown}' rusplan.dump"
        )
    if not url.database or url.database == ":memory:":
        raise click.ClickException("Databasen ligger bare i minnet; den kan ikke sikkerhetskopieres.")
    return Path(url.database)


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Write a consistent copy of the database to PATH while the app keeps running."""
    try:
        info = backup_service.backup(_sqlite_file(), path, busy_timeout=current_app.config["DB_BUSY_TIMEOUT"])
    except backup_service.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"Sikkerhetskopi skrevet til {info.path} ({info.size // 1024} kB, {info.revisions} revisjoner, "
        "integrity_check: ok)."
    )


@click.command("restore")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(path: Path, yes: bool) -> None:
    """Replace the database with the backup at PATH, after checking it; the old one is kept beside it."""
    live = _sqlite_file()
    try:
        info = backup_service.inspect(path)
    except backup_service.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{path}: integrity_check ok, {info.revisions} revisjoner (nyeste: {info.newest_revision}).")
    if not yes:
        click.confirm(f"Erstatte databasen {live} med denne sikkerhetskopien?", abort=True)
    db.session.remove()
    db.engine.dispose()
    try:
        kept = backup_service.restore(path, live, busy_timeout=current_app.config["DB_BUSY_TIMEOUT"])
    except backup_service.BackupError as error:
        raise click.ClickException(str(error)) from error
    plan_service.revision_cache.clear()
    if kept:
        click.echo(f"Den gamle databasen er tatt vare på i {kept}.")
    click.echo(
        f"Gjenopprettet fra {path}. Kjør «flask --app wsgi db upgrade» hvis kopien er fra en eldre versjon."
    )


# --- E-mail (issue 16) ---------------------------------------------------------------------------

mail_cli = AppGroup("mail", help="E-mail notices: the plan's overdue review.")


@mail_cli.command("review-reminder")
def review_reminder_command() -> None:
    """Mail the admins, and push to their devices with plan notices, once when the review date has passed."""
    from backend.services import notices

    today = accounts.now().date()
    pushed = notices.queue_review_push(today, notify_review_overdue)
    if pushed.status == "sent":
        click.echo(
            f"Varsel om revisjonen {pushed.due.isoformat()} lagt i kø til {pushed.recipients} enheter."
        )
    elif pushed.status == "already_sent":
        click.echo(f"Varselet om revisjonen {pushed.due.isoformat()} er allerede sendt.")
    elif pushed.status == "no_admins":
        click.echo("Ingen administrator har slått på varsler om planen på en enhet; ingen varsler sendt.")
    result = notices.send_review_reminders(today)
    due = result.due.isoformat() if result.due else ""
    messages = {
        "no_plan": "Ingen plan i databasen; ingenting sendt.",
        "not_due": f"Planen skal revideres innen {due}; ingenting sendt.",
        "off": f"Revisjonen var forfalt {due}, men SMTP er ikke satt opp (SMTP_HOST); ingenting sendt.",
        "no_admins": f"Revisjonen var forfalt {due}, men ingen aktiv administrator finnes; ingenting sendt.",
        "already_sent": f"Påminnelsen om revisjonen {due} er allerede sendt.",
        "sent": f"Påminnelse om revisjonen {due} sendt til {result.recipients} administratorer.",
    }
    if result.status == "failed":
        raise click.ClickException(f"Kunne ikke sende påminnelsen om revisjonen {due}; prøv igjen senere.")
    click.echo(messages[result.status])

"""Command-line tools: `flask --app wsgi content import|export|check` and `users create|list|disable`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from backend.content.loader import ContentError, load_plan, write_plan
from backend.models import ROLES
from backend.services import accounts
from backend.services import plan as plan_service

content_cli = AppGroup("content", help="Import, check and export the plan's content files.")


def school_folder() -> Path:
    """Return the content folder of the configured school."""
    return Path(current_app.config["CONTENT_DIR"]) / current_app.config["SCHOOL"]


@content_cli.command("import")
@click.option("--folder", type=click.Path(path_type=Path), help="Content folder (default: the school's).")
@click.option("--if-empty", is_flag=True, help="Only import when the database has no revision yet.")
def import_command(folder: Path | None, if_empty: bool) -> None:
    """Import the content folder as a new revision of the plan (no-op if unchanged)."""
    if if_empty and plan_service.latest_revision() is not None:
        click.echo("Planen finnes allerede i databasen; ingenting importert.")
        return
    folder = folder or school_folder()
    try:
        revision, created = plan_service.import_folder(folder)
    except ContentError as error:
        raise click.ClickException(f"Innholdet er ikke gyldig: {error}") from error
    if created:
        click.echo(f"Importerte {folder} som revisjon {revision.id}.")
    else:
        click.echo(f"Uendret: revisjon {revision.id} har allerede dette innholdet.")


@content_cli.command("check")
@click.option("--folder", type=click.Path(path_type=Path), help="Content folder (default: the school's).")
def check_command(folder: Path | None) -> None:
    """Validate the content folder without importing it."""
    folder = folder or school_folder()
    try:
        plan = load_plan(folder)
    except ContentError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"OK: {folder} ({len(plan.all_contacts())} kontakter).")


@content_cli.command("export")
@click.argument("folder", type=click.Path(path_type=Path))
def export_command(folder: Path) -> None:
    """Write the current revision to FOLDER in the content/ format."""
    current = plan_service.revision_cache.current()
    if current is None:
        raise click.ClickException("Databasen har ingen revisjon av planen ennå.")
    write_plan(current.plan, folder)
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
        elif user.password_hash is None:
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

"""Command-line tools: `flask --app wsgi content import|export|check`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from backend.content.loader import ContentError, load_plan, write_plan
from backend.services import plan as plan_service
from backend.services.db_errors import DATABASE_UNAVAILABLE, describe

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
    except DATABASE_UNAVAILABLE as error:
        raise click.ClickException(
            f"Databasen er ikke tilgjengelig ({describe(error)}); ingenting ble importert."
        ) from error
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

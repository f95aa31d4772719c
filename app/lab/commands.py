"""`flask lab import FILE` and `flask lab add-lab NAME`."""

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.accounts.models import Role, User
from app.clock import utcnow
from app.errors import DomainError
from app.extensions import db
from app.lab import services as lab
from app.lab.csv_results import error_report

lab_cli = AppGroup("lab", help="Labs and their results.")


@lab_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "username", required=True, help="The analyst the results are entered as.")
def import_file(path: Path, username: str) -> None:
    """Import a results CSV (UTF-8 or GBK), all or nothing; print the error report."""
    analyst = db.session.scalars(select(User).where(User.username == username)).first()
    if analyst is None or analyst.role not in (Role.LAB_ANALYST, Role.ADMIN):
        raise click.ClickException(f"{username} is not a lab analyst")
    try:
        count = lab.import_results(path.read_bytes(), analyst, utcnow())
    except lab.ImportRejected as rejected:
        db.session.rollback()
        click.echo(error_report(rejected.errors), err=True)
        raise click.ClickException(rejected.message) from rejected
    db.session.commit()
    click.echo(f"imported {count} results")


@lab_cli.command("add-lab")
@click.argument("name")
@click.option("--retest", is_flag=True, help="On the re-test lab list.")
def add_lab(name: str, retest: bool) -> None:
    """Register a testing laboratory."""
    try:
        created = lab.add_lab(name, retest)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"lab {created.id}: {created.name}{' (re-test)' if retest else ''}")

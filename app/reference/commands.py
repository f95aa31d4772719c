"""`flask seed reference` and `flask seed demo`: both safe to run again."""

import click
from flask.cli import AppGroup

from app.extensions import db

seed_cli = AppGroup("seed", help="Load reference data or demo data (idempotent).")


@seed_cli.command("reference")
def seed_reference() -> None:
    """Load the shipped districts, venue types, food categories and test items."""
    from app.reference.services import load_reference_data

    changes = load_reference_data()
    db.session.commit()
    for table, count in changes.items():
        click.echo(f"{table}: {count} inserted or updated")


@seed_cli.command("demo")
def seed_demo() -> None:
    """Reference data plus demo venues, one staff user per role and demo rounds."""
    from app.demo import load_demo_data

    report = load_demo_data()
    db.session.commit()
    for line in report:
        click.echo(line)

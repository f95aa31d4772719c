"""`flask users create`: the first administrator of a new deployment."""

import click
from flask.cli import AppGroup

from app.accounts.models import Role
from app.accounts.services import create_user, generate_password
from app.errors import DomainError
from app.extensions import db

users_cli = AppGroup("users", help="Manage staff accounts.")


@users_cli.command("create")
@click.argument("username")
@click.option("--name", "display_name", default="", help="Display name (defaults to the username).")
@click.option("--role", type=click.Choice([role.value for role in Role]), default=Role.ADMIN.value)
@click.option("--district", default=None, help="District code, e.g. 410702.")
def create(username: str, display_name: str, role: str, district: str | None) -> None:
    """Create a staff account and print its generated password once."""
    password = generate_password()
    try:
        user = create_user(username, display_name or username, Role(role), password, district)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"created {user.username} ({user.role.value}); password: {password}")

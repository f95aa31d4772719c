"""`flask doctor`: is this deployment healthy? Database, schema, scheduler, settings."""

import click
import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask.cli import with_appcontext

from app.clock import utcnow
from app.extensions import db


def _schema_check() -> tuple[str, str]:
    config = current_app.extensions["migrate"].migrate.get_config()
    head = ScriptDirectory.from_config(config).get_current_head()
    with db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current == head:
        return "OK", f"schema at revision {head}"
    return "FAIL", f"schema at {current}, code expects {head}: run `flask db upgrade`"


def run_checks() -> list[tuple[str, str]]:
    """(level, message) per check; level is OK, WARN or FAIL."""
    from app.scheduling.services import scheduler_health

    results = []
    try:
        db.session.execute(sa.text("SELECT 1"))
        results.append(("OK", f"database reachable ({db.engine.dialect.name})"))
    except sa.exc.SQLAlchemyError as error:
        return [("FAIL", f"database unreachable: {error.__class__.__name__}")]
    results.append(_schema_check())
    alive, beat = scheduler_health(utcnow())
    if alive:
        seen = f"{beat.beat_at:%Y-%m-%d %H:%M:%S} UTC, pid {beat.pid} on {beat.hostname}"
        results.append(("OK", f"scheduler alive (last heartbeat {seen})"))
    elif beat is None:
        results.append(("WARN", "scheduler has never run: start `flask scheduler run`"))
    else:
        results.append(("FAIL", f"scheduler silent since {beat.beat_at:%Y-%m-%d %H:%M:%S} UTC"))
    config = current_app.config
    sms = config["SMS_BACKEND"]
    results.append(("OK" if sms == "http" else "WARN", f"SMS backend: {sms}"))
    if config["PUBLIC_BASE_URL"].startswith("http://127.0.0.1"):
        results.append(("WARN", "PUBLIC_BASE_URL is the development default"))
    return results


@click.command("doctor")
@with_appcontext
def doctor_command() -> None:
    """Check the database, the schema, the scheduler's heartbeat and the settings."""
    results = run_checks()
    for level, message in results:
        click.echo(f"{level:4} {message}")
    if any(level == "FAIL" for level, _message in results):
        raise SystemExit(1)

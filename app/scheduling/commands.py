"""`flask rounds open|close|allocate ROUND_ID` and `flask scheduler run`."""

import logging
import signal

import click
from flask import current_app
from flask.cli import AppGroup

from app.clock import utcnow
from app.errors import DomainError
from app.extensions import db
from app.scheduling import services as scheduling
from app.voting import services as voting

rounds_cli = AppGroup("rounds", help="Open, close or allocate a round now.")
scheduler_cli = AppGroup("scheduler", help="The scheduler process.")


def _run(action, done: str) -> None:
    try:
        action()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(done)


@rounds_cli.command("open")
@click.argument("round_id", type=int)
def open_round(round_id: int) -> None:
    """Publish a draft round (its rules freeze)."""
    _run(lambda: voting.open_round(voting.get_round(round_id), utcnow()), f"round {round_id} open")


@rounds_cli.command("close")
@click.argument("round_id", type=int)
def close_round(round_id: int) -> None:
    """Close an open round now."""
    _run(
        lambda: voting.close_round(voting.get_round(round_id), utcnow()),
        f"round {round_id} closed",
    )


@rounds_cli.command("allocate")
@click.argument("round_id", type=int)
def allocate_round(round_id: int) -> None:
    """Make the draft sampling plan of a closed round (exactly once)."""
    plan = {}

    def allocate() -> None:
        plan["plan"] = scheduling.allocate_round(round_id, utcnow(), "cli")

    _run(allocate, f"round {round_id} allocated")
    click.echo(f"plan {plan['plan'].id}: {len(plan['plan'].tasks)} tasks")


@scheduler_cli.command("run")
@click.option("--once", is_flag=True, help="Run every job once and exit.")
def run(once: bool) -> None:
    """Run the scheduler in this process until stopped (SIGTERM or Ctrl-C)."""
    from app.scheduling.scheduler import build_scheduler, run_every_job_once

    app = current_app._get_current_object()
    if once:
        for job, result in run_every_job_once(app).items():
            click.echo(f"{job}: {result}")
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    scheduler = build_scheduler(app)
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    click.echo("scheduler running (Asia/Shanghai); stop with Ctrl-C")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass

"""`flask custody verify`: every edited, inserted or deleted custody event."""

import click
from flask.cli import AppGroup

from app.sampling.services import verify_custody

custody_cli = AppGroup("custody", help="The samples' chain of custody.")


@custody_cli.command("verify")
def verify() -> None:
    """Check every sample's hash chain; exit 1 and list each problem when one is broken."""
    problems = verify_custody()
    for problem in problems:
        seq = "-" if problem.seq is None else problem.seq
        click.echo(f"sample {problem.sample_id} event {seq}: {problem.kind} ({problem.detail})")
    if problems:
        raise SystemExit(1)
    click.echo("custody chains intact")

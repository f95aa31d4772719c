"""The scheduler process (`flask scheduler run`): APScheduler 3 in its own process, never in
a web worker. Every job runs in an app context and commits its own work."""

import logging
from collections.abc import Callable

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from app.clock import SHANGHAI, utcnow
from app.scheduling import jobs

log = logging.getLogger(__name__)

JOB_DEFAULTS = {
    "coalesce": True,  # after downtime, run a missed job once, not once per missed slot
    "max_instances": 1,
    "misfire_grace_time": 300,
}
# (job, seconds between runs)
SCHEDULE: tuple[tuple[Callable, int], ...] = (
    (jobs.open_due_rounds, 60),
    (jobs.close_due_rounds, 60),
    (jobs.allocate_closed_rounds, 120),
    (jobs.watch_deadlines, 600),
)
HEARTBEAT_SECONDS = 30


def _in_app_context(app: Flask, job: Callable, *args) -> Callable[[], None]:
    def run() -> None:
        with app.app_context():
            try:
                job(*args, utcnow())
            except Exception:
                log.exception("job %s failed", job.__name__)
                raise

    run.__name__ = job.__name__
    return run


def build_scheduler(app: Flask, scheduler_class: type[BaseScheduler] = BlockingScheduler):
    """A scheduler with every job, not yet started."""
    scheduler = scheduler_class(timezone=SHANGHAI, job_defaults=JOB_DEFAULTS)
    started_at = utcnow()
    now = utcnow()
    scheduler.add_job(
        _in_app_context(app, jobs.beat, started_at),
        "interval",
        seconds=HEARTBEAT_SECONDS,
        id="heartbeat",
        next_run_time=now,
    )
    for job, seconds in SCHEDULE:
        scheduler.add_job(
            _in_app_context(app, job),
            "interval",
            seconds=seconds,
            id=job.__name__,
            next_run_time=now,
        )
    return scheduler


def run_every_job_once(app: Flask) -> dict[str, object]:
    """Each job once, in order (for `flask scheduler run --once` and for cron-style use)."""
    results = {}
    started_at = utcnow()
    with app.app_context():
        jobs.beat(started_at, utcnow())
        for job, _seconds in SCHEDULE:
            results[job.__name__] = job(utcnow())
    return results

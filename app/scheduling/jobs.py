"""The scheduler's jobs: each one a unit of work per round that commits once, safe to run
twice or in two processes at once (the services compare-and-set)."""

import logging
from collections.abc import Callable
from datetime import datetime

from flask import current_app

from app.errors import DomainError
from app.extensions import db
from app.scheduling import services as scheduling
from app.voting import services as voting

log = logging.getLogger(__name__)


def _each_round(
    round_ids: list[int], action: Callable[[int], None], alert_kind: str, now: datetime
) -> list[int]:
    done = []
    for round_id in round_ids:
        try:
            action(round_id)
        except DomainError as error:
            db.session.rollback()
            log.warning("%s for round %s: %s", alert_kind, round_id, error.message)
            scheduling.raise_alert(alert_kind, f"round:{round_id}", error.message, now)
        else:
            scheduling.resolve_alert(alert_kind, f"round:{round_id}", now)
            done.append(round_id)
        db.session.commit()
    return done


def open_due_rounds(now: datetime) -> list[int]:
    """Publish drafts marked to open automatically once their opening time has come."""
    return _each_round(
        scheduling.due_to_open(now),
        lambda round_id: voting.open_round(voting.get_round(round_id), now),
        "round_open_failed",
        now,
    )


def close_due_rounds(now: datetime) -> list[int]:
    """Close published rounds whose closing time has passed."""
    return _each_round(
        scheduling.due_to_close(now),
        lambda round_id: voting.close_round(voting.get_round(round_id), now),
        "round_close_failed",
        now,
    )


def allocate_closed_rounds(now: datetime, made_by: str = "scheduler") -> list[int]:
    """Make the draft plan of every closed round; a round that cannot be planned raises an
    alert for the planners and is tried again on the next run."""
    return _each_round(
        scheduling.due_to_allocate(),
        lambda round_id: scheduling.allocate_round(round_id, now, made_by),
        "allocation_failed",
        now,
    )


def watch_deadlines(now: datetime) -> int:
    """Every registered deadline watch (see create_app); returns how many items are late."""
    late = sum(watch(now) for watch in current_app.extensions["deadline_watches"])
    db.session.commit()
    return late


def beat(started_at: datetime, now: datetime) -> None:
    scheduling.record_heartbeat("scheduler", started_at, now)
    db.session.commit()

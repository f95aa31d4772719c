"""Attempt counters with a lockout that doubles each time, shared by every web worker."""

import math
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError

from app.accounts.models import Throttle
from app.errors import Throttled
from app.extensions import db


def _locked_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "尝试次数过多，请 %(num)d 分钟后再试。", "尝试次数过多，请 %(num)d 分钟后再试。", minutes
    )


def _row(scope: str, key: str, now: datetime, *, lock: bool) -> Throttle:
    query = sa.select(Throttle).where(Throttle.scope == scope, Throttle.key == key)
    if lock:
        query = query.with_for_update()
    row = db.session.scalars(query).first()
    if row is not None:
        return row
    try:
        with db.session.begin_nested():
            row = Throttle(scope=scope, key=key, count=0, window_started_at=now, lockouts=0)
            db.session.add(row)
    except IntegrityError:
        # Another worker created the row between our SELECT and INSERT: use theirs.
        row = db.session.scalars(query).one()
    return row


def ensure_not_locked(scope: str, key: str, now: datetime) -> None:
    """Raise Throttled while (scope, key) is locked out."""
    row = db.session.get(Throttle, (scope, key))
    if row is not None and row.locked_until is not None and row.locked_until > now:
        seconds = math.ceil((row.locked_until - now).total_seconds())
        raise Throttled(_locked_message(seconds), retry_after=seconds)


def record_attempt(scope: str, key: str, now: datetime) -> None:
    """Count one event; past the window's allowance the key locks, twice as long as last time."""
    allowed, window, first_lockout = current_app.config["THROTTLE_RULES"][scope]
    longest = current_app.config["THROTTLE_MAX_LOCKOUT_SECONDS"]
    row = _row(scope, key, now, lock=True)
    if now - row.window_started_at >= timedelta(seconds=window):
        row.count = 0
        row.window_started_at = now
    row.count += 1
    if row.count >= allowed:
        row.lockouts += 1
        seconds = min(first_lockout * 2 ** (row.lockouts - 1), longest)
        row.locked_until = now + timedelta(seconds=seconds)
        row.count = 0
        row.window_started_at = now
    db.session.flush()


def clear_attempts(scope: str, key: str) -> None:
    """Forget the counted events after a success (past lockouts still count towards the next)."""
    row = db.session.get(Throttle, (scope, key))
    if row is not None:
        row.count = 0
        row.locked_until = None
        db.session.flush()

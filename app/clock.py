"""Time in one place: UTC in the database, Asia/Shanghai on every page and form."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_shanghai(moment: datetime) -> datetime:
    return moment.astimezone(SHANGHAI)


def from_shanghai(naive: datetime) -> datetime:
    """A wall-clock time typed in Xinxiang, as an aware UTC datetime."""
    return naive.replace(tzinfo=SHANGHAI).astimezone(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """A timezone-aware UTC datetime on every engine (SQLite keeps no zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

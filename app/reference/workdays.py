"""Working days of the PRC calendar (weekends, statutory holidays, 调休) for legal deadlines."""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

import holidays

__all__ = ["Deadline", "WorkingCalendar"]

_COUNTRY = "CN"
_ONE_DAY = dt.timedelta(days=1)


@lru_cache(maxsize=64)
def _library(year: int) -> holidays.HolidayBase:
    """The `holidays` calendar for ``year`` and the year after, built once and shared.

    The following year is included because a year's State Council notice can declare a make-up
    working day at the end of the previous year (e.g. 2001-12-29 for New Year 2002); the library
    files such a day under the notice's year. ``expand=False`` keeps the cached object read-only:
    look-ups never populate further years, so sharing it between threads is safe.
    """
    years = range(year, min(year + 1, dt.MAXYEAR) + 1)
    return holidays.country_holidays(_COUNTRY, years=years, expand=False)


@lru_cache(maxsize=64)
def _library_lists_make_up_days(year: int) -> bool:
    """Whether the library lists at least one make-up working day (调休) inside ``year``.

    The library computes statutory holidays for any year, but make-up days exist only once the
    State Council has published that year's schedule, so they are the mark of official data.
    """
    return any(day.year == year for day in _library(year).weekend_workdays)


def _as_date(value: dt.date) -> dt.date:
    """Reject non-dates and reduce datetimes to their date, so look-ups and sums stay dates."""
    if isinstance(value, dt.datetime):
        return value.date()
    if not isinstance(value, dt.date):
        raise TypeError(f"expected a date, got {type(value).__name__}")
    return value


@dataclass(frozen=True)
class Deadline:
    """A computed due date, and the years whose days were counted without official data.

    ``unofficial_years`` lists, in ascending order, every year of the counted days (after the
    start day, up to and including ``due``) that is neither official in the library nor has any
    administrator override; the UI shows a warning when it is not empty.
    """

    due: dt.date
    unofficial_years: tuple[int, ...]


class WorkingCalendar:
    """Decides whether a date is a working day and counts legal deadlines in working days.

    Rule for one day, first match wins:

    1. an administrator override (``True`` working day, ``False`` day off) for that date;
    2. if the year has official library data: the library's ``is_working_day`` (weekends and
       statutory holidays off, make-up Saturdays/Sundays on);
    3. otherwise (no published schedule): Monday-Friday are working days, Saturday and Sunday
       are not. The library's computed holidays for such a year are deliberately ignored: they
       are guesses of a schedule not yet published, and administrators enter the real holidays
       as overrides instead.

    A year is *official* when it is in ``official_years`` if that argument is given, otherwise
    when the library lists at least one make-up working day in it. For warnings
    (:meth:`is_official_year`, :attr:`Deadline.unofficial_years`) a year also counts as known as
    soon as it has at least one override: the administrator has taken responsibility for it.
    Such a year is still computed by rule 3 plus its overrides, not from the library's guesses.
    """

    def __init__(
        self,
        overrides: Mapping[dt.date, bool] | None = None,
        official_years: Collection[int] | None = None,
    ) -> None:
        """Snapshot ``overrides`` and, if given, the explicit set of ``official_years``."""
        snapshot: dict[dt.date, bool] = {}
        for day, working in (overrides or {}).items():
            if not isinstance(working, bool):
                raise TypeError(f"override for {day} must be a bool, got {working!r}")
            snapshot[_as_date(day)] = working
        self._overrides: Mapping[dt.date, bool] = MappingProxyType(snapshot)
        self._override_years = frozenset(day.year for day in snapshot)
        self._official_years = None if official_years is None else frozenset(official_years)

    def _library_is_official(self, year: int) -> bool:
        """Whether the library's schedule is trusted for ``year`` (rule 2 of the class docs)."""
        if self._official_years is not None:
            return year in self._official_years
        return _library_lists_make_up_days(year)

    def is_official_year(self, year: int) -> bool:
        """Whether days of ``year`` are counted without a warning.

        True when the library (or the explicit ``official_years``) has the year's official
        schedule, or when an administrator entered at least one override in that year.
        """
        return year in self._override_years or self._library_is_official(year)

    def is_working_day(self, day: dt.date) -> bool:
        """Whether ``day`` is a working day; overrides win, see the class docs for the rules."""
        day = _as_date(day)
        if day in self._overrides:
            return self._overrides[day]
        if self._library_is_official(day.year):
            return _library(day.year).is_working_day(day)
        return day.weekday() < 5

    def add_working_days(self, start: dt.date, days: int) -> Deadline:
        """The deadline ``days`` working days after ``start``; the start day itself is day 0.

        Sampled on Friday 2026-11-27 with 5 working days, the deadline is Friday 2026-12-04.
        The start day need not be a working day, and ``days == 0`` returns ``start``.
        Raises ValueError for a negative ``days`` and TypeError for a non-integer one.
        """
        start = _as_date(start)
        days = operator.index(days)
        if days < 0:
            raise ValueError(f"days must be >= 0, got {days}")
        day = start
        touched: set[int] = set()
        remaining = days
        while remaining:
            day += _ONE_DAY
            touched.add(day.year)
            if self.is_working_day(day):
                remaining -= 1
        unofficial = tuple(sorted(year for year in touched if not self.is_official_year(year)))
        return Deadline(due=day, unofficial_years=unofficial)

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end``; 0 if ``end <= start``.

        The inverse of :meth:`add_working_days` (``working_days_between(s, add(s, n).due) == n``),
        e.g. to say how many working days a deadline is overdue.
        """
        start, end = _as_date(start), _as_date(end)
        count = 0
        day = start
        while day < end:
            day += _ONE_DAY
            count += self.is_working_day(day)
        return count

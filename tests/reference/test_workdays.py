"""Working-day deadlines follow the PRC calendar: holidays, 调休 make-up days and overrides."""

import dataclasses
from datetime import date, timedelta

import holidays
import pytest

from app.reference.workdays import Deadline, WorkingCalendar

CALENDAR = WorkingCalendar()
# The library's knowledge as of `holidays` 0.109 (official schedules 2001-2026), fixed so that
# the 2027 cases keep their meaning once a newer library learns the 2027 schedule.
AS_OF_0_109 = range(2001, 2027)


def test_national_day_2026_crosses_the_golden_week_and_the_make_up_saturday():
    # Sep 30 is day 0; Oct 1-7 are off; Oct 8 Thu = 1, Oct 9 Fri = 2, Oct 10 Sat (调休) = 3,
    # Oct 11 Sun is off, Oct 12 Mon = 4, Oct 13 Tue = 5.
    assert CALENDAR.add_working_days(date(2026, 9, 30), 5) == Deadline(date(2026, 10, 13), ())
    # The make-up Sunday before the holiday counts too: Sep 18 Fri is day 0, Sep 19 Sat is off,
    # Sep 20 Sun (调休) = 1, Sep 21 Mon = 2.
    assert CALENDAR.add_working_days(date(2026, 9, 18), 2).due == date(2026, 9, 21)


def test_spring_festival_2026_with_its_two_make_up_saturdays():
    # Feb 13 Fri is day 0; Feb 14 Sat (调休) = 1; Feb 15 Sun - Feb 23 Mon are off;
    # Feb 24 Tue = 2, Feb 25 Wed = 3.
    assert CALENDAR.add_working_days(date(2026, 2, 13), 3).due == date(2026, 2, 25)
    # Feb 24 Tue is day 0; Feb 25-27 = 1-3; Feb 28 Sat (调休) = 4 — a deadline on a Saturday.
    assert CALENDAR.add_working_days(date(2026, 2, 24), 4).due == date(2026, 2, 28)
    # Sampled on the first day of the holiday: Feb 24 is the first working day after it.
    assert CALENDAR.add_working_days(date(2026, 2, 15), 1).due == date(2026, 2, 24)


def test_a_plain_week_counts_monday_to_friday():
    assert CALENDAR.add_working_days(date(2026, 11, 27), 5) == Deadline(date(2026, 12, 4), ())
    assert CALENDAR.add_working_days(date(2026, 11, 23), 4).due == date(2026, 11, 27)
    # Sampled on a Saturday: the next Monday is day 1.
    assert CALENDAR.add_working_days(date(2026, 11, 28), 1).due == date(2026, 11, 30)


def test_zero_days_is_the_start_day_even_on_a_holiday():
    assert CALENDAR.add_working_days(date(2026, 10, 1), 0) == Deadline(date(2026, 10, 1), ())
    assert CALENDAR.add_working_days(date(2027, 3, 6), 0) == Deadline(date(2027, 3, 6), ())


def test_negative_or_non_integer_days_are_refused():
    with pytest.raises(ValueError):
        CALENDAR.add_working_days(date(2026, 11, 27), -1)
    with pytest.raises(TypeError):
        CALENDAR.add_working_days(date(2026, 11, 27), 1.5)


def test_make_up_saturday_works_and_holiday_monday_does_not():
    assert CALENDAR.is_working_day(date(2026, 10, 10))  # Saturday, 调休
    assert CALENDAR.is_working_day(date(2026, 2, 14))  # Saturday, 调休
    assert CALENDAR.is_working_day(date(2026, 1, 4))  # Sunday, 调休
    assert not CALENDAR.is_working_day(date(2026, 10, 5))  # Monday, National Day
    assert not CALENDAR.is_working_day(date(2026, 2, 16))  # Monday, Spring Festival
    assert not CALENDAR.is_working_day(date(2026, 10, 17))  # an ordinary Saturday
    assert CALENDAR.is_working_day(date(2026, 11, 27))  # an ordinary Friday


def test_every_day_of_2026_agrees_with_the_library():
    library = holidays.country_holidays("CN", years=2026)
    day = date(2026, 1, 1)
    while day.year == 2026:
        assert CALENDAR.is_working_day(day) == library.is_working_day(day), day
        day += timedelta(days=1)


def test_a_make_up_day_declared_by_the_next_years_notice_is_known():
    # The 2002 New Year notice made Saturday 2001-12-29 a working day.
    assert CALENDAR.is_working_day(date(2001, 12, 29))


def test_official_years_come_from_the_library():
    assert CALENDAR.is_official_year(2026)
    assert CALENDAR.is_official_year(2001)
    assert not CALENDAR.is_official_year(2000)
    assert not CALENDAR.is_official_year(2099)


def test_an_override_wins_over_the_library():
    calendar = WorkingCalendar(
        overrides={
            date(2026, 12, 31): False,  # a Thursday declared a day off
            date(2026, 11, 29): True,  # a Sunday declared a working day
            date(2026, 10, 10): False,  # a 调休 Saturday cancelled
            date(2026, 10, 5): True,  # a holiday Monday worked
        }
    )
    assert not calendar.is_working_day(date(2026, 12, 31))
    assert calendar.is_working_day(date(2026, 11, 29))
    assert not calendar.is_working_day(date(2026, 10, 10))
    assert calendar.is_working_day(date(2026, 10, 5))
    # Friday Nov 27 is day 0, Sunday Nov 29 = 1.
    assert calendar.add_working_days(date(2026, 11, 27), 1).due == date(2026, 11, 29)
    # Dec 28 Mon is day 0, Dec 29 = 1, Dec 30 = 2, and Dec 31 (override) does not count.
    assert calendar.working_days_between(date(2026, 12, 28), date(2026, 12, 31)) == 2


def test_overrides_must_be_booleans():
    with pytest.raises(TypeError):
        WorkingCalendar(overrides={date(2026, 12, 31): "no"})


def test_a_count_into_a_year_without_official_data_uses_weekends_and_warns():
    calendar = WorkingCalendar(official_years=AS_OF_0_109)
    # Dec 30 Wed is day 0; Dec 31 Thu = 1; Jan 1 2027 Fri = 2 (no published schedule and no
    # override, so only weekends are off); Jan 2-3 weekend; Jan 4 Mon = 3, Jan 5 = 4, Jan 6 = 5.
    deadline = calendar.add_working_days(date(2026, 12, 30), 5)
    assert deadline == Deadline(date(2027, 1, 6), (2027,))
    assert not calendar.is_official_year(2027)
    # The library's guessed 2027 holidays are not used: Monday 2027-02-08 counts as working.
    assert calendar.is_working_day(date(2027, 2, 8))
    # A count that stays within 2026 does not warn.
    assert calendar.add_working_days(date(2026, 12, 28), 3).unofficial_years == ()


def test_a_far_future_year_is_unofficial_by_default_too():
    # 2099-12-31 is a Thursday; Jan 1 2100 Fri = 1, Jan 4 Mon = 2.
    deadline = CALENDAR.add_working_days(date(2099, 12, 31), 2)
    assert deadline == Deadline(date(2100, 1, 4), (2100,))
    assert CALENDAR.add_working_days(date(2099, 12, 30), 2) == Deadline(
        date(2100, 1, 1), (2099, 2100)
    )


def test_an_override_in_an_unofficial_year_is_honoured_and_makes_the_year_known():
    calendar = WorkingCalendar(
        overrides={date(2027, 1, 1): False, date(2027, 1, 2): True},
        official_years=AS_OF_0_109,
    )
    assert calendar.is_official_year(2027)
    assert not calendar.is_working_day(date(2027, 1, 1))
    assert calendar.is_working_day(date(2027, 1, 2))  # a Saturday entered as working
    # Dec 30 Wed is day 0; Dec 31 = 1; Jan 1 off; Jan 2 Sat (override) = 2; Jan 4 Mon = 3.
    assert calendar.add_working_days(date(2026, 12, 30), 3) == Deadline(date(2027, 1, 4), ())


def test_explicit_official_years_trust_the_library_for_those_years():
    calendar = WorkingCalendar(official_years={2026, 2027})
    assert not calendar.is_working_day(date(2027, 2, 8))  # the library's 2027 Spring Festival
    assert not WorkingCalendar(official_years=()).is_working_day(date(2026, 10, 10))


def test_working_days_between():
    assert CALENDAR.working_days_between(date(2026, 9, 30), date(2026, 10, 13)) == 5
    assert CALENDAR.working_days_between(date(2026, 11, 27), date(2026, 12, 4)) == 5
    assert CALENDAR.working_days_between(date(2026, 9, 30), date(2026, 10, 7)) == 0
    assert CALENDAR.working_days_between(date(2026, 11, 27), date(2026, 11, 29)) == 0
    assert CALENDAR.working_days_between(date(2026, 12, 4), date(2026, 12, 4)) == 0
    assert CALENDAR.working_days_between(date(2026, 12, 4), date(2026, 11, 27)) == 0
    # Feb 14 Sat (调休) = 1, Feb 15-23 off, Feb 24-27 = 2-5, Feb 28 Sat (调休) = 6.
    assert CALENDAR.working_days_between(date(2026, 2, 13), date(2026, 2, 28)) == 6
    # Across into 2027 (weekends only there): Dec 31 Thu, Jan 1 Fri, Jan 4 Mon.
    calendar = WorkingCalendar(official_years=AS_OF_0_109)
    assert calendar.working_days_between(date(2026, 12, 30), date(2027, 1, 4)) == 3


@pytest.mark.parametrize("start", [date(2026, 1, 1) + timedelta(days=n) for n in range(0, 365, 9)])
def test_working_days_between_inverts_add_working_days(start):
    for days in (0, 1, 5, 15, 20):
        assert CALENDAR.working_days_between(start, CALENDAR.add_working_days(start, days).due) == (
            days
        )


def test_a_deadline_is_immutable():
    deadline = CALENDAR.add_working_days(date(2026, 11, 27), 5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        deadline.due = date(2026, 12, 5)

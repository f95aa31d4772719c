"""Administrators enter the working-day calendar for a year the library does not know."""

from datetime import date

import sqlalchemy as sa

from app.accounts.models import Role
from app.extensions import db
from app.reference.models import CalendarOverride
from app.reference.services import working_calendar
from tests.factories import make_user


def test_admin_enters_and_removes_a_calendar_override(app, client, auth):
    with app.app_context():
        make_user(Role.ADMIN, username="root")
        db.session.commit()
    auth.login("root")
    page = client.get("/staff/calendar")
    assert "工作日历" in page.text
    response = client.post(
        "/staff/calendar", data={"day": "2027-02-08", "working": "off", "note": "2027年春节"}
    )
    assert response.status_code == 302
    with app.app_context():
        assert not working_calendar().is_working_day(date(2027, 2, 8))
        assert db.session.scalars(sa.select(CalendarOverride.note)).one() == "2027年春节"
    bad = client.post("/staff/calendar", data={"day": "not-a-date", "working": "off"})
    assert bad.status_code == 400
    client.post("/staff/calendar/2027-02-08/delete")
    assert client.post("/staff/calendar/nonsense/delete").status_code == 404
    with app.app_context():
        assert working_calendar().is_working_day(date(2027, 2, 8))

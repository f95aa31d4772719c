"""Planners build a round over HTTP; times are typed in Asia/Shanghai and stored in UTC."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.accounts.models import Role
from app.extensions import db
from app.voting.models import Candidate, CandidateKind, Round, RoundStatus, VenueTypeQuota
from tests.factories import make_user, make_venue


@pytest.fixture
def planner(app, auth):
    with app.app_context():
        make_user(Role.PLANNER, username="planner")
        venue_id = make_venue("supermarket").id
        db.session.commit()
    auth.login("planner")
    return {"venue_id": venue_id}


ROUND_FORM = {
    "title": "2027年春节“你点我检”进年货市场",
    "description": "年货抽检",
    "theme": "festival",
    "opens_at": "2027-01-20T08:00",
    "closes_at": "2027-02-01T20:00",
    "max_foods": "3",
    "max_venues": "2",
    "max_test_groups": "1",
    "batch_budget": "30",
    "top_foods": "5",
}


def test_planner_builds_publishes_and_cannot_edit_a_round(app, client, planner):
    response = client.post("/staff/rounds/new", data=ROUND_FORM)
    assert response.status_code == 302
    with app.app_context():
        round_ = db.session.scalars(sa.select(Round)).one()
        round_id = round_.id
        assert round_.opens_at == datetime(2027, 1, 20, 0, 0, tzinfo=UTC)  # 08:00 in Xinxiang
        assert round_.status == RoundStatus.DRAFT
    base = f"/staff/rounds/{round_id}"
    client.post(f"{base}/candidates/food", data={"food-name": "腊肉", "food-category_code": "04"})
    client.post(f"{base}/candidates/venue", data={"venue-venue_id": planner["venue_id"]})
    client.post(f"{base}/candidates/venue-type", data={"vtype-venue_type_key": "festival_market"})
    client.post(f"{base}/candidates/test-group", data={"group-test_group_key": "additive"})
    client.post(
        f"{base}/quotas", data={"quota-venue_type_key": "festival_market", "quota-batches": "20"}
    )
    too_much = client.post(
        f"{base}/quotas",
        data={"quota-venue_type_key": "supermarket", "quota-batches": "11"},
        follow_redirects=True,
    )
    assert "配额之和不能超过批次预算" in too_much.text
    with app.app_context():
        kinds = db.session.scalars(sa.select(Candidate.kind)).all()
        assert sorted(k.value for k in kinds) == ["food", "test_group", "venue", "venue_type"]
        assert db.session.scalars(sa.select(VenueTypeQuota.batches)).all() == [20]

    assert client.post(f"{base}/open").status_code == 302
    frozen = client.post(base, data=dict(ROUND_FORM, title="改个名字"))
    assert frozen.status_code == 409 and "规则已冻结" in frozen.text
    refused = client.post(
        f"{base}/candidates/food",
        data={"food-name": "香肠", "food-category_code": "04"},
        follow_redirects=True,
    )
    assert "规则已冻结" in refused.text
    with app.app_context():
        round_ = db.session.get(Round, round_id)
        assert round_.title == ROUND_FORM["title"] and round_.status == RoundStatus.OPEN
        assert len(round_.candidates_of(CandidateKind.FOOD)) == 1


def test_bad_round_form_gets_messages_and_stores_nothing(app, client, planner):
    bad = dict(ROUND_FORM, closes_at="2027-01-19T08:00", max_foods="0")
    response = client.post("/staff/rounds/new", data=bad)
    assert response.status_code == 400
    assert "数值大小必须介于 1 到 30 之间" in response.text
    response = client.post("/staff/rounds/new", data=dict(ROUND_FORM, closes_at="2027-01-19T08:00"))
    assert response.status_code == 400 and "截止时间必须晚于开始时间" in response.text
    response = client.post("/staff/rounds/new", data=dict(ROUND_FORM, opens_at="tomorrow"))
    assert response.status_code == 400 and "不是有效的日期与时间值" in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Round)) == 0

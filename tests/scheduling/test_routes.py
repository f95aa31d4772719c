"""A planner reviews and releases a plan over HTTP; inspectors and residents see the result."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.accounts.models import Role, User
from app.clock import utcnow
from app.extensions import db
from app.scheduling.models import PlanStatus, SamplingPlan, Task, TaskStatus
from app.scheduling.services import allocate_round, release_plan
from app.voting.models import Round, RoundStatus
from app.voting.services import close_round
from tests.conftest import last_code
from tests.factories import make_user
from tests.scheduling.conftest import make_closed_round


@pytest.fixture
def setup(app):
    with app.app_context():
        make_user(Role.PLANNER, username="planner")
        inspectors = [
            make_user(Role.INSPECTOR, username=f"insp{n}", district_code="410702") for n in (1, 2)
        ]
        round_, venues = make_closed_round()
        db.session.commit()
        return {
            "round_id": round_.id,
            "inspectors": [i.id for i in inspectors],
            "venue_id": venues[-1].id,
            "food_id": round_.candidates[4].id,
        }


def _plan(app) -> SamplingPlan:
    return db.session.scalars(sa.select(SamplingPlan)).one()


def test_planner_allocates_reviews_and_releases(app, client, auth, setup):
    auth.login("planner")
    base = f"/staff/rounds/{setup['round_id']}/plan"
    page = client.get(base)
    assert "生成抽检计划" in page.text
    assert client.post(base).status_code == 302
    page = client.get(base)
    assert "待审核" in page.text and page.text.count('class="card task') == 6
    assert "居民投票的场所" in page.text or "覆盖更多区县" in page.text
    with app.app_context():
        tasks = _plan(app).tasks
        first, second = tasks[0].id, tasks[1].id
    a, b = setup["inspectors"]
    response = client.post(
        f"{base}/tasks/{first}/team",
        data={f"t{first}-inspector_a": b, f"t{first}-inspector_b": a},
        follow_redirects=True,
    )
    assert "已重新指派" in response.text
    same = client.post(
        f"{base}/tasks/{first}/team",
        data={f"t{first}-inspector_a": a, f"t{first}-inspector_b": a},
        follow_redirects=True,
    )
    assert "两名不同的抽样员" in same.text
    response = client.post(
        f"{base}/tasks/{second}/cancel", data={"reason": "商户停业"}, follow_redirects=True
    )
    assert "已取消该任务" in response.text
    response = client.post(
        f"{base}/tasks",
        data={"add-food_candidate_id": setup["food_id"], "add-venue_id": setup["venue_id"]},
        follow_redirects=True,
    )
    assert "已添加任务" in response.text
    refused = client.post(f"{base}/release", follow_redirects=True)
    assert "没有指派抽样员" in refused.text
    with app.app_context():
        added = db.session.scalars(sa.select(Task).where(Task.inspector_a_id.is_(None))).one()
        added_id = added.id
    client.post(
        f"{base}/tasks/{added_id}/team",
        data={f"t{added_id}-inspector_a": a, f"t{added_id}-inspector_b": b},
    )
    assert "计划已下达" in client.post(f"{base}/release", follow_redirects=True).text
    with app.app_context():
        plan = _plan(app)
        assert plan.status == PlanStatus.RELEASED
        assert sum(t.status == TaskStatus.CANCELLED for t in plan.tasks) == 1


def test_inspector_sees_released_tasks_only(app, client, auth, setup):
    auth.login("planner")
    base = f"/staff/rounds/{setup['round_id']}/plan"
    client.post(base)
    auth.logout()
    auth.login("insp1")
    assert "目前没有下达给您的任务" in client.get("/staff/tasks").text
    auth.logout()
    auth.login("planner")
    client.post(f"{base}/release")
    auth.logout()
    auth.login("insp1")
    page = client.get("/staff/tasks")
    assert page.text.count('<section class="card">') == 6
    assert "农药残留" in page.text  # the residents' test-item group travels with the task
    assert "完成期限" in page.text


def test_tasks_of_another_round_are_not_found(app, client, auth, setup):
    auth.login("planner")
    client.post(f"/staff/rounds/{setup['round_id']}/plan")
    with app.app_context():
        task_id = _plan(app).tasks[0].id
    response = client.post(f"/staff/rounds/999/plan/tasks/{task_id}/cancel", data={"reason": "x"})
    assert response.status_code == 404


def test_residents_see_the_outcome_of_their_votes(app, client, auth, setup, sms_outbox):
    client.post("/verify", data={"phone": "13912345678"})
    client.post("/verify/code", data={"code": last_code(sms_outbox)})
    ranking = client.get(f"/rounds/{setup['round_id']}/ranking")
    assert "抽检计划正在制定" in ranking.text
    auth.login("planner")
    client.post(f"/staff/rounds/{setup['round_id']}/plan")
    client.post(f"/staff/rounds/{setup['round_id']}/plan/release")
    ranking = client.get(f"/rounds/{setup['round_id']}/ranking")
    assert "各食品批次" in ranking.text
    batches = [int(n) for n in re.findall(r"：(\d+) 批次", ranking.text)]
    assert sum(batches) == 2 * 6  # per food and per venue type, six batches each way


def test_my_ballot_shows_which_picks_became_tasks(app, client, sms_outbox):
    with app.app_context():
        round_, _venues = make_closed_round(votes=12)
        round_.status = RoundStatus.OPEN  # reopen for one more resident
        round_.closes_at = utcnow() + timedelta(hours=1)
        db.session.commit()
        round_id = round_.id
        foods = [c.id for c in round_.candidates if c.kind.value == "food"]
        planner = make_user(Role.PLANNER)
        for n in (1, 2):
            make_user(Role.INSPECTOR, username=f"mine{n}")
        db.session.commit()
        planner_id = planner.id
    client.post("/verify", data={"phone": "13912345678"})
    client.post("/verify/code", data={"code": last_code(sms_outbox)})
    # 韭菜 (top food, becomes tasks) and 猪肉 (last, outside the top three: no task)
    assert (
        client.post(f"/rounds/{round_id}", data={"candidate": [foods[0], foods[4]]}).status_code
        == 302
    )
    assert "已安排抽检" not in client.get("/my").text
    with app.app_context():
        round_ = db.session.get(Round, round_id)
        close_round(round_, utcnow())
        plan = allocate_round(round_id, utcnow(), "test")
        release_plan(plan, db.session.get(User, planner_id), utcnow())
        db.session.commit()
    page = client.get("/my").text
    leek, pork = page.index("韭菜"), page.index("猪肉")
    badge = "已安排抽检</span>"
    assert badge in page[leek:pork] and badge not in page[pork : page.index("</ul>", pork)]

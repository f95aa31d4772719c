"""Plans from closed rounds: exactly once, reasons recorded, teams of two, review, release."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.errors import DomainError, NotAllowed
from app.extensions import db
from app.scheduling import services as scheduling
from app.scheduling.models import (
    Alert,
    PlanStatus,
    SamplingPlan,
    Task,
    TaskStatus,
    VenueRuleKind,
)
from app.voting.models import CandidateKind, RoundStatus
from app.voting.services import close_round, submit_ballot
from tests.conftest import count_rows
from tests.factories import make_resident, make_round, make_venue
from tests.scheduling.conftest import make_closed_round


def test_a_closed_round_becomes_a_plan_with_the_reasons(closed_round, now):
    plan = scheduling.allocate_round(closed_round.id, now, "test")
    assert closed_round.status == RoundStatus.ALLOCATED and plan.status == PlanStatus.DRAFT
    assert len(plan.tasks) == closed_round.batch_budget
    ranked = {t.food.label: (t.food_rank, t.food_votes) for t in plan.tasks}
    assert ranked["韭菜"] == (1, 12) and ranked["豇豆"] == (2, 6) and ranked["芹菜"] == (3, 4)
    assert {t.venue_rule for t in plan.tasks} <= set(VenueRuleKind)
    # The test-item group residents picked travels with every task.
    assert all([g.key for g in t.test_groups] == ["pesticide"] for t in plan.tasks)


def test_every_task_has_a_team_of_two_from_its_district_first(closed_round, inspectors, now):
    plan = scheduling.allocate_round(closed_round.id, now, "test")
    for task in plan.tasks:
        assert task.status == TaskStatus.ASSIGNED
        assert task.inspector_a_id != task.inspector_b_id
        local = [i.id for i in inspectors if i.district_code == task.venue.district_code]
        if local:
            assert local[0] in (task.inspector_a_id, task.inspector_b_id)
    workload = scheduling.open_workload()
    assert sum(workload.values()) == 2 * len(plan.tasks)
    assert max(workload.values()) - min(workload.values()) <= len(plan.tasks)


def test_a_round_is_allocated_exactly_once(closed_round, now):
    scheduling.allocate_round(closed_round.id, now, "test")
    with pytest.raises(NotAllowed, match="尚未生成计划"):
        scheduling.allocate_round(closed_round.id, now, "again")
    assert count_rows(SamplingPlan) == 1


def test_open_and_draft_rounds_cannot_be_allocated(ctx, now):
    for round_ in (make_round(), make_round(publish=False)):
        with pytest.raises(NotAllowed):
            scheduling.allocate_round(round_.id, now, "test")
    assert count_rows(SamplingPlan) == 0


def test_too_few_venues_give_a_clear_error_and_write_nothing(ctx, inspectors, now):
    round_, _venues = make_closed_round(budget=40, top_foods=3)
    with pytest.raises(DomainError, match="场所不足") as error:
        scheduling.allocate_round(round_.id, now, "test")
    assert "/ 40 批次" in error.value.message
    db.session.rollback()
    assert count_rows(SamplingPlan) == 0 and count_rows(Task) == 0


def test_a_pair_sampled_recently_is_not_planned_again(ctx, inspectors, now):
    first, venues = make_closed_round(budget=4, top_foods=2)
    plan = scheduling.allocate_round(first.id, now, "test")
    pairs = {(t.food.label, t.venue_id) for t in plan.tasks}
    second = make_round(batch_budget=4, top_foods=2, venues=0)
    second_foods = second.candidates_of(CandidateKind.FOOD)
    submit_ballot(second.id, make_resident().id, [second_foods[0].id, second_foods[1].id], now)
    close_round(second, now)
    again = scheduling.allocate_round(second.id, now + timedelta(days=1), "test")
    assert not pairs & {(t.food.label, t.venue_id) for t in again.tasks}


def test_planner_reassigns_cancels_adds_and_releases(closed_round, inspectors, now):
    plan = scheduling.allocate_round(closed_round.id, now, "test")
    task = plan.tasks[0]
    with pytest.raises(DomainError, match="两名不同的抽样员"):
        scheduling.reassign_task(task, inspectors[0].id, inspectors[0].id)
    scheduling.reassign_task(task, inspectors[1].id, inspectors[2].id)
    assert (task.inspector_a_id, task.inspector_b_id) == (inspectors[1].id, inspectors[2].id)
    with pytest.raises(DomainError, match="取消原因"):
        scheduling.cancel_task(plan.tasks[1], "   ")
    scheduling.cancel_task(plan.tasks[1], "市场拆迁")
    extra_venue = make_venue("supermarket", "410721")
    food = closed_round.candidates_of(CandidateKind.FOOD)[4]
    added = scheduling.add_task(plan, food.id, extra_venue.id, now)
    assert added.venue_rule == VenueRuleKind.ADDED_BY_PLANNER
    with pytest.raises(DomainError, match="已有该场所"):
        scheduling.add_task(plan, food.id, extra_venue.id, now)
    with pytest.raises(DomainError, match="没有指派抽样员"):
        scheduling.release_plan(plan, inspectors[0], now)
    scheduling.reassign_task(added, inspectors[0].id, inspectors[1].id)
    assert scheduling.inspector_tasks(inspectors[0]) == []  # not released yet
    scheduling.release_plan(plan, inspectors[0], now)
    assert plan.status == PlanStatus.RELEASED
    mine = scheduling.inspector_tasks(inspectors[0])
    assert mine and all(inspectors[0].id in (t.inspector_a_id, t.inspector_b_id) for t in mine)
    assert all(t.due_on is not None for t in mine)
    assert plan.tasks[1] not in mine  # cancelled
    with pytest.raises(NotAllowed, match="已下达"):
        scheduling.release_plan(plan, inspectors[0], now)


def test_a_task_of_another_round_or_food_cannot_be_added(closed_round, inspectors, now):
    plan = scheduling.allocate_round(closed_round.id, now, "test")
    other = make_round()
    with pytest.raises(DomainError, match="本轮投票的候选食品"):
        scheduling.add_task(
            plan, other.candidates_of(CandidateKind.FOOD)[0].id, plan.tasks[0].venue_id, now
        )
    group = closed_round.candidates_of(CandidateKind.TEST_GROUP)[0]
    with pytest.raises(DomainError, match="本轮投票的候选食品"):
        scheduling.add_task(plan, group.id, plan.tasks[0].venue_id, now)


def test_residents_see_the_released_outcome_only(closed_round, inspectors, now):
    plan = scheduling.allocate_round(closed_round.id, now, "test")
    assert scheduling.released_outcome(closed_round.id) is None
    scheduling.release_plan(plan, inspectors[0], now)
    outcome = scheduling.released_outcome(closed_round.id)
    assert sum(n for _name, n in outcome.per_food) == closed_round.batch_budget
    assert dict(outcome.per_food)["韭菜"] >= dict(outcome.per_food)["芹菜"]
    assert sum(n for _name, n in outcome.per_venue_type) == closed_round.batch_budget


def test_overdue_tasks_raise_alerts_that_resolve(closed_round, inspectors, now):
    plan = scheduling.allocate_round(closed_round.id, now, "test")
    scheduling.release_plan(plan, inspectors[0], now)
    assert scheduling.watch_deadlines(now) == 0
    later = now + timedelta(days=30)
    assert scheduling.watch_deadlines(later) == len(plan.tasks)
    assert scheduling.watch_deadlines(later) == len(plan.tasks)  # no duplicate alerts
    assert count_rows(Alert) == len(plan.tasks)
    for task in plan.tasks:
        task.status = TaskStatus.CANCELLED
    scheduling.watch_deadlines(later)
    assert scheduling.open_alerts() == []


def test_heartbeat_tells_whether_the_scheduler_is_alive(ctx, now):
    assert scheduling.scheduler_health(now) == (False, None)
    scheduling.record_heartbeat("scheduler", now, now)
    assert scheduling.scheduler_health(now + timedelta(seconds=60))[0]
    assert not scheduling.scheduler_health(now + timedelta(minutes=3))[0]


def test_no_inspectors_leaves_tasks_for_the_planner(ctx, now):
    round_, _venues = make_closed_round()
    plan = scheduling.allocate_round(round_.id, now, "test")
    assert all(t.status == TaskStatus.PLANNED and t.inspector_a_id is None for t in plan.tasks)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Task)) == len(plan.tasks)

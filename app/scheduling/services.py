"""Opening and closing rounds on time, turning closed rounds into plans exactly once, the
planner's review of a plan, inspectors' task lists, alerts and the scheduler's heartbeat."""

import os
import socket
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.accounts.models import Role, User
from app.clock import UTCDateTime, to_shanghai
from app.errors import DomainError, NotAllowed, NotFound
from app.extensions import db
from app.reference.models import TestItemGroup, Venue
from app.reference.services import sold_at
from app.scheduling.allocation import (
    AllocationError,
    AllocationInput,
    FoodChoice,
    PastSample,
    VenueChoice,
    allocate_batches,
)
from app.scheduling.models import (
    Alert,
    PlanStatus,
    SamplingPlan,
    SchedulerHeartbeat,
    Task,
    TaskStatus,
    VenueRuleKind,
)
from app.scheduling.teams import Inspector, assign_teams
from app.voting import services as voting
from app.voting.models import Candidate, CandidateKind, Round, RoundStatus

OPEN_TASK_STATUSES = (TaskStatus.PLANNED, TaskStatus.ASSIGNED)


# --- Alerts and heartbeat -----------------------------------------------------------------------


def raise_alert(kind: str, subject: str, message: str, now: datetime) -> Alert:
    """Show `message` on the staff dashboard; one open alert per (kind, subject)."""
    alert = db.session.scalars(sa.select(Alert).filter_by(kind=kind, subject=subject)).first()
    if alert is None:
        alert = Alert(kind=kind, subject=subject, message=message, created_at=now)
        db.session.add(alert)
    else:
        alert.message = message
        alert.resolved_at = None
    db.session.flush()
    return alert


def resolve_alert(kind: str, subject: str, now: datetime) -> None:
    db.session.execute(
        sa.update(Alert)
        .where(Alert.kind == kind, Alert.subject == subject, Alert.resolved_at.is_(None))
        .values(resolved_at=now)
    )


def sync_alerts(kind: str, current: dict[str, str], now: datetime) -> None:
    """Raise an alert per subject in `current` and resolve this kind's others."""
    for subject, message in current.items():
        raise_alert(kind, subject, message, now)
    for alert in db.session.scalars(
        sa.select(Alert).where(Alert.kind == kind, Alert.resolved_at.is_(None))
    ):
        if alert.subject not in current:
            alert.resolved_at = now
    db.session.flush()


def open_alerts() -> list[Alert]:
    return list(
        db.session.scalars(
            sa.select(Alert).where(Alert.resolved_at.is_(None)).order_by(Alert.created_at.desc())
        )
    )


def record_heartbeat(name: str, started_at: datetime, now: datetime) -> None:
    beat = db.session.get(SchedulerHeartbeat, name)
    if beat is None:
        beat = SchedulerHeartbeat(name=name)
        db.session.add(beat)
    beat.started_at, beat.beat_at = started_at, now
    beat.pid, beat.hostname = os.getpid(), socket.gethostname()[:120]
    db.session.flush()


def scheduler_health(now: datetime) -> tuple[bool, SchedulerHeartbeat | None]:
    """(alive, last heartbeat): alive when the scheduler wrote in the last two minutes."""
    beat = db.session.scalars(
        sa.select(SchedulerHeartbeat).order_by(SchedulerHeartbeat.beat_at.desc())
    ).first()
    return (beat is not None and now - beat.beat_at < timedelta(minutes=2)), beat


# --- Rounds on time ---------------------------------------------------------------------------


def due_to_open(now: datetime) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(Round.id).where(
                Round.status == RoundStatus.DRAFT, Round.auto_open.is_(True), Round.opens_at <= now
            )
        )
    )


def due_to_close(now: datetime) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(Round.id).where(Round.status == RoundStatus.OPEN, Round.closes_at <= now)
        )
    )


def due_to_allocate() -> list[int]:
    return list(db.session.scalars(sa.select(Round.id).where(Round.status == RoundStatus.CLOSED)))


# --- Allocation -------------------------------------------------------------------------------


def _history(round_id: int, today: date) -> dict[tuple[int, str], PastSample]:
    """The last sampling of each food (by name) at each venue in other rounds' plans."""
    rows = db.session.execute(
        sa.select(Task.venue_id, Candidate.label, sa.func.max(Task.created_at, type_=UTCDateTime()))
        .join(Candidate, Candidate.id == Task.food_candidate_id)
        .join(SamplingPlan, SamplingPlan.id == Task.plan_id)
        .where(
            SamplingPlan.round_id != round_id,
            Task.status.not_in([TaskStatus.CANCELLED, TaskStatus.NOT_SAMPLED]),
        )
        .group_by(Task.venue_id, Candidate.label)
    ).tuples()
    history = {}
    for venue_id, label, last in rows:
        history[(venue_id, label)] = PastSample(sampled_on=to_shanghai(last).date())
    return history


def allocation_input(round_: Round, today: date, counts: dict[int, int]) -> AllocationInput:
    """Everything the pure allocation needs, read from the database in a few queries;
    `counts` is the round's tally (votes per candidate id)."""
    foods = tuple(
        FoodChoice(c.id, c.label, c.food_category_code, counts.get(c.id, 0), c.position)
        for c in round_.candidates_of(CandidateKind.FOOD)
    )
    venue_votes = {
        c.venue_id: counts.get(c.id, 0) for c in round_.candidates_of(CandidateKind.VENUE)
    }
    venues = tuple(
        VenueChoice(v.id, v.district_code, v.venue_type_key, venue_votes.get(v.id, 0))
        for v in db.session.scalars(sa.select(Venue).where(Venue.active.is_(True)))
    )
    config = current_app.config
    return AllocationInput(
        foods=foods,
        venues=venues,
        budget=round_.batch_budget,
        top_foods=round_.top_foods,
        quotas={quota.venue_type_key: quota.batches for quota in round_.quotas},
        sold_at=sold_at(),
        venue_type_votes={
            c.venue_type_key: counts.get(c.id, 0)
            for c in round_.candidates_of(CandidateKind.VENUE_TYPE)
        },
        cap_per_venue=config["PLAN_CAP_PER_VENUE"],
        recent_days=config["PLAN_RESAMPLE_AFTER_DAYS"],
        today=today,
        history=_history(round_.id, today),
    )


def requested_test_groups(round_: Round, counts: dict[int, int]) -> list[str]:
    """The test-item groups residents picked: those with votes, most first, at most as many as
    one ballot may pick."""
    groups = [
        (counts.get(c.id, 0), c.position, c.test_group_key)
        for c in round_.candidates_of(CandidateKind.TEST_GROUP)
        if counts.get(c.id, 0) > 0
    ]
    groups.sort(key=lambda g: (-g[0], g[1]))
    return [key for _votes, _position, key in groups[: max(round_.max_test_groups, 0)]]


def _inspectors() -> list[Inspector]:
    return [
        Inspector(user.id, user.district_code)
        for user in db.session.scalars(
            sa.select(User)
            .where(User.role == Role.INSPECTOR, User.active.is_(True))
            .order_by(User.id)
        )
    ]


def open_workload() -> Counter:
    """Open tasks per inspector."""
    load: Counter = Counter()
    for column in (Task.inspector_a_id, Task.inspector_b_id):
        rows = db.session.execute(
            sa.select(column, sa.func.count())
            .where(column.is_not(None), Task.status.in_(OPEN_TASK_STATUSES))
            .group_by(column)
        ).tuples()
        for user_id, count in rows:
            load[user_id] += count
    return load


def allocate_round(round_id: int, now: datetime, made_by: str) -> SamplingPlan:
    """Turn a closed round's votes into a draft plan, exactly once.

    The round moves closed -> allocated by compare-and-set, and a plan is UNIQUE per round,
    so two schedulers, or the scheduler and the CLI, make one plan between them. Raises
    NotAllowed when the round is not closed (already allocated included) and DomainError
    when the venues cannot take the budget; either way nothing is written.
    """
    changed = db.session.execute(
        sa.update(Round)
        .where(Round.id == round_id, Round.status == RoundStatus.CLOSED)
        .values(status=RoundStatus.ALLOCATED)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        round_ = db.session.get(Round, round_id)
        if round_ is None:
            raise NotFound(_("未找到该轮投票。"))
        raise NotAllowed(_("只有已结束且尚未生成计划的投票可以生成抽检计划。"))
    round_ = db.session.get(Round, round_id)
    db.session.refresh(round_)
    today = to_shanghai(now).date()
    counts = voting.vote_counts(round_.id)
    data = allocation_input(round_, today, counts)
    try:
        allocation = allocate_batches(data)
    except AllocationError as error:
        if error.placed is None:
            message = _("本轮投票的规则无法生成抽检计划，请检查预算、配额和候选食品。")
        else:
            message = _(
                "场所不足：在配额、每个场所最多 %(cap)d 批次和各类食品的销售场所限制下，"
                "现有场所只能安排 %(placed)d / %(budget)d 批次。请增加场所、调整配额或减少预算。",
                cap=data.cap_per_venue,
                placed=error.placed,
                budget=data.budget,
            )
        raise DomainError(message) from error
    plan = SamplingPlan(round_id=round_.id, made_by=made_by, created_at=now)
    db.session.add(plan)
    try:
        db.session.flush()
    except IntegrityError as error:
        raise NotAllowed(_("该轮投票已生成抽检计划。")) from error
    groups = db.session.scalars(
        sa.select(TestItemGroup).where(TestItemGroup.key.in_(requested_test_groups(round_, counts)))
    ).all()
    districts = {venue.venue_id: venue.district_code for venue in data.venues}
    teams = assign_teams(
        [
            (index, districts[planned.venue.venue_id])
            for index, planned in enumerate(allocation.tasks)
        ],
        _inspectors(),
        open_workload(),
    )
    for index, planned in enumerate(allocation.tasks):
        team = teams.get(index)
        db.session.add(
            Task(
                plan=plan,
                food_candidate_id=planned.food.candidate_id,
                venue_id=planned.venue.venue_id,
                food_rank=planned.food_rank,
                food_votes=planned.food.votes,
                venue_votes=planned.venue.votes,
                venue_rule=VenueRuleKind(planned.rule.value),
                test_groups=list(groups),
                inspector_a_id=team[0] if team else None,
                inspector_b_id=team[1] if team else None,
                status=TaskStatus.ASSIGNED if team else TaskStatus.PLANNED,
                created_at=now,
            )
        )
    db.session.flush()
    return plan


# --- Review and release -------------------------------------------------------------------------


def get_plan_for_round(round_id: int) -> SamplingPlan | None:
    return db.session.scalars(
        sa.select(SamplingPlan).where(SamplingPlan.round_id == round_id)
    ).first()


def get_task(task_id: int) -> Task:
    task = db.session.get(Task, task_id)
    if task is None:
        raise NotFound(_("未找到该任务。"))
    return task


def _check_team(first_id: int, second_id: int) -> None:
    if first_id == second_id:
        raise DomainError(_("抽样需要两名不同的抽样员。"))
    for user_id in (first_id, second_id):
        user = db.session.get(User, user_id)
        if user is None or not user.active or user.role != Role.INSPECTOR:
            raise DomainError(_("请选择在岗的抽样员。"))


def _require_open(task: Task) -> None:
    if not task.is_open:
        raise NotAllowed(_("该任务已完成或已取消，不能再修改。"))


def reassign_task(task: Task, first_id: int, second_id: int) -> Task:
    """Give the task to another team of two active inspectors."""
    _require_open(task)
    _check_team(first_id, second_id)
    task.inspector_a_id, task.inspector_b_id = first_id, second_id
    task.status = TaskStatus.ASSIGNED
    db.session.flush()
    return task


def cancel_task(task: Task, reason: str) -> Task:
    _require_open(task)
    reason = " ".join(reason.split())
    if not reason:
        raise DomainError(_("请填写取消原因。"), field="reason")
    task.status = TaskStatus.CANCELLED
    task.note = reason[:500]
    db.session.flush()
    return task


def add_task(plan: SamplingPlan, food_candidate_id: int, venue_id: int, now: datetime) -> Task:
    """A planner's extra task; raises DomainError for a food of another round, an unknown or
    inactive venue, or a pair already in the plan."""
    food = db.session.get(Candidate, food_candidate_id) if food_candidate_id else None
    if food is None or food.round_id != plan.round_id or food.kind != CandidateKind.FOOD:
        raise DomainError(_("请选择本轮投票的候选食品。"), field="food_candidate_id")
    venue = db.session.get(Venue, venue_id) if venue_id else None
    if venue is None or not venue.active:
        raise DomainError(_("未知或已停用的场所。"), field="venue_id")
    if any(t.food_candidate_id == food.id and t.venue_id == venue.id for t in plan.tasks):
        raise DomainError(_("计划中已有该场所的这种食品。"))
    counts = voting.vote_counts(plan.round_id)
    groups = db.session.scalars(
        sa.select(TestItemGroup).where(
            TestItemGroup.key.in_(requested_test_groups(plan.round, counts))
        )
    ).all()
    task = Task(
        plan=plan,
        food_candidate_id=food.id,
        venue_id=venue.id,
        food_votes=counts.get(food.id, 0),
        venue_rule=VenueRuleKind.ADDED_BY_PLANNER,
        test_groups=list(groups),
        created_at=now,
    )
    if plan.status == PlanStatus.RELEASED:
        task.due_on = _due_on(now)
    db.session.add(task)
    db.session.flush()
    return task


def _due_on(now: datetime) -> date:
    return to_shanghai(now).date() + timedelta(days=current_app.config["TASK_DUE_DAYS"])


def release_plan(plan: SamplingPlan, released_by: User, now: datetime) -> SamplingPlan:
    """Put the plan on the inspectors' task lists; every open task needs a team of two."""
    unassigned = [t for t in plan.tasks if t.is_open and t.inspector_a_id is None]
    if unassigned:
        raise DomainError(_("还有 %(num)d 个任务没有指派抽样员，请先指派。", num=len(unassigned)))
    changed = db.session.execute(
        sa.update(SamplingPlan)
        .where(SamplingPlan.id == plan.id, SamplingPlan.status == PlanStatus.DRAFT)
        .values(status=PlanStatus.RELEASED, released_at=now, released_by_id=released_by.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise NotAllowed(_("该计划已下达。"))
    due = _due_on(now)
    for task in plan.tasks:
        if task.is_open:
            task.due_on = due
    db.session.refresh(plan)
    db.session.flush()
    return plan


def inspector_tasks(user: User) -> list[Task]:
    """The inspector's open tasks in released plans, soonest due first."""
    return list(
        db.session.scalars(
            sa.select(Task)
            .join(SamplingPlan)
            .where(
                SamplingPlan.status == PlanStatus.RELEASED,
                Task.status.in_(OPEN_TASK_STATUSES),
                sa.or_(Task.inspector_a_id == user.id, Task.inspector_b_id == user.id),
            )
            .order_by(Task.due_on, Task.id)
        )
    )


def inspectors() -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.role == Role.INSPECTOR, User.active.is_(True))
            .order_by(User.display_name)
        )
    )


# --- What residents see -------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanOutcome:
    per_food: list[tuple[str, int]]
    per_venue_type: list[tuple[str, int]]
    food_ids: set[int]
    venue_ids: set[int]
    venue_type_keys: set[str]
    test_group_keys: set[str]


def released_outcome(round_id: int) -> PlanOutcome | None:
    """Batches per food and venue type in the round's released plan (cancelled tasks left out)."""
    plan = get_plan_for_round(round_id)
    if plan is None or plan.status != PlanStatus.RELEASED:
        return None
    tasks = [task for task in plan.tasks if task.status != TaskStatus.CANCELLED]
    per_food = Counter(task.food.label for task in tasks)
    per_type = Counter(task.venue.venue_type.name_zh for task in tasks)
    return PlanOutcome(
        per_food=per_food.most_common(),
        per_venue_type=per_type.most_common(),
        food_ids={task.food_candidate_id for task in tasks},
        venue_ids={task.venue_id for task in tasks},
        venue_type_keys={task.venue.venue_type_key for task in tasks},
        test_group_keys={group.key for task in tasks for group in task.test_groups},
    )


# --- Deadlines ----------------------------------------------------------------------------------


def watch_deadlines(now: datetime) -> int:
    """Alert on every released task still open after its due date; returns how many."""
    today = to_shanghai(now).date()
    overdue = db.session.scalars(
        sa.select(Task)
        .join(SamplingPlan)
        .where(
            SamplingPlan.status == PlanStatus.RELEASED,
            Task.status.in_(OPEN_TASK_STATUSES),
            Task.due_on < today,
        )
    ).all()
    sync_alerts(
        "task_overdue",
        {
            f"task:{task.id}": _(
                "抽样任务逾期：%(venue)s 的 %(food)s，应于 %(due)s 前完成。",
                venue=task.venue.name,
                food=task.food.label,
                due=task.due_on.isoformat(),
            )
            for task in overdue
        },
        now,
    )
    return len(overdue)

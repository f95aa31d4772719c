"""Planners review and release a round's plan; inspectors see their released tasks."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.accounts.access import roles_required
from app.accounts.models import Role
from app.clock import utcnow
from app.errors import DomainError, NotFound
from app.extensions import db
from app.reference import services as reference
from app.scheduling import services as scheduling
from app.scheduling.forms import (
    RULE_LABELS,
    TASK_STATUS_LABELS,
    AddTaskForm,
    CancelTaskForm,
    TeamForm,
)
from app.scheduling.models import PlanStatus, TaskStatus
from app.voting import services as voting
from app.voting.models import CandidateKind, RoundStatus

bp = Blueprint("scheduling", __name__, url_prefix="/staff", template_folder="templates")
PLANNERS = (Role.ADMIN, Role.PLANNER)


@bp.app_context_processor
def scheduling_context() -> dict:
    return {
        "task_status_label": TASK_STATUS_LABELS.get,
        "rule_label": RULE_LABELS.get,
        "PlanStatus": PlanStatus,
        # Residents' pages (voting) show what their votes became, without importing this.
        "released_outcome": scheduling.released_outcome,
        "TaskStatus": TaskStatus,
    }


def _team_form(task) -> TeamForm:
    form = TeamForm(prefix=f"t{task.id}", formdata=None)
    people = [
        SelectChoice(
            u.id, f"{u.display_name}{'（' + u.district.name_zh + '）' if u.district else ''}"
        )
        for u in scheduling.inspectors()
    ]
    form.inspector_a.choices = people
    form.inspector_b.choices = people
    form.inspector_a.data = task.inspector_a_id
    form.inspector_b.data = task.inspector_b_id
    return form


def _back_to_plan(round_id: int):
    return redirect(url_for("scheduling.plan", round_id=round_id))


@bp.get("/rounds/<int:round_id>/plan")
@roles_required(*PLANNERS)
def plan(round_id: int):
    round_ = voting.get_round(round_id)
    plan = scheduling.get_plan_for_round(round_id)
    add_form = AddTaskForm(prefix="add", formdata=None)
    add_form.food_candidate_id.choices = [
        SelectChoice(c.id, c.label) for c in round_.candidates_of(CandidateKind.FOOD)
    ]
    add_form.venue_id.choices = [
        SelectChoice(v.id, f"{v.district.name_zh} · {v.venue_type.name_zh} · {v.name}")
        for v in reference.list_venues(active_only=True)
    ]
    return render_template(
        "scheduling/plan.html",
        round=round_,
        plan=plan,
        team_forms={task.id: _team_form(task) for task in plan.tasks} if plan else {},
        cancel_form=CancelTaskForm(formdata=None),
        add_form=add_form,
        can_allocate=round_.status == RoundStatus.CLOSED,
    )


@bp.post("/rounds/<int:round_id>/plan")
@roles_required(*PLANNERS)
def allocate(round_id: int):
    try:
        scheduling.allocate_round(round_id, utcnow(), current_user.username)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("已生成抽检计划草稿，请审核后下达。"), "success")
    return _back_to_plan(round_id)


def _plan_task(round_id: int, task_id: int):
    task = scheduling.get_task(task_id)
    if task.plan.round_id != round_id:
        raise NotFound(_("未找到该任务。"))
    return task


@bp.post("/rounds/<int:round_id>/plan/tasks/<int:task_id>/team")
@roles_required(*PLANNERS)
def reassign(round_id: int, task_id: int):
    task = _plan_task(round_id, task_id)
    form = TeamForm(prefix=f"t{task.id}")
    try:
        if not form.validate():
            raise DomainError(_("请选择两名抽样员。"))
        scheduling.reassign_task(task, form.inspector_a.data, form.inspector_b.data)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("已重新指派。"), "success")
    return _back_to_plan(round_id)


@bp.post("/rounds/<int:round_id>/plan/tasks/<int:task_id>/cancel")
@roles_required(*PLANNERS)
def cancel(round_id: int, task_id: int):
    task = _plan_task(round_id, task_id)
    form = CancelTaskForm()
    try:
        if not form.validate():
            raise DomainError(_("请填写取消原因。"))
        scheduling.cancel_task(task, form.reason.data)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("已取消该任务。"), "success")
    return _back_to_plan(round_id)


@bp.post("/rounds/<int:round_id>/plan/tasks")
@roles_required(*PLANNERS)
def add(round_id: int):
    plan = scheduling.get_plan_for_round(round_id)
    if plan is None:
        raise NotFound(_("该轮投票还没有抽检计划。"))
    form = AddTaskForm(prefix="add")
    try:
        if not form.validate():
            raise DomainError(_("请选择食品和场所。"))
        scheduling.add_task(plan, form.food_candidate_id.data, form.venue_id.data, utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("已添加任务，请为它指派抽样员。"), "success")
    return _back_to_plan(round_id)


@bp.post("/rounds/<int:round_id>/plan/release")
@roles_required(*PLANNERS)
def release(round_id: int):
    plan = scheduling.get_plan_for_round(round_id)
    if plan is None:
        raise NotFound(_("该轮投票还没有抽检计划。"))
    try:
        scheduling.release_plan(plan, current_user, utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("计划已下达到抽样员的任务列表。"), "success")
    return _back_to_plan(round_id)


@bp.get("/tasks")
@roles_required(Role.INSPECTOR)
def my_tasks():
    return render_template(
        "scheduling/my_tasks.html", tasks=scheduling.inspector_tasks(current_user)
    )

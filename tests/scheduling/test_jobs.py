"""The scheduler's jobs and commands: rounds open and close on time, closed rounds are
allocated, failures become alerts, everything is safe to run twice."""

from datetime import timedelta

import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler

from app.extensions import db
from app.scheduling import jobs
from app.scheduling import services as scheduling
from app.scheduling.models import SamplingPlan, SchedulerHeartbeat
from app.scheduling.scheduler import JOB_DEFAULTS, build_scheduler
from app.voting.models import Round, RoundStatus
from tests.conftest import count_rows
from tests.factories import make_round
from tests.scheduling.conftest import make_closed_round


def test_drafts_marked_auto_open_open_on_time(ctx, now):
    due = make_round(publish=False, auto_open=True, opens_at=now - timedelta(minutes=1))
    manual = make_round(publish=False, opens_at=now - timedelta(minutes=1))
    later = make_round(publish=False, auto_open=True, opens_at=now + timedelta(hours=1))
    db.session.commit()
    assert jobs.open_due_rounds(now) == [due.id]
    assert jobs.open_due_rounds(now) == []
    statuses = {r.id: r.status for r in db.session.scalars(sa.select(Round))}
    assert statuses[due.id] == RoundStatus.OPEN
    assert statuses[manual.id] == statuses[later.id] == RoundStatus.DRAFT


def test_a_draft_that_cannot_open_raises_an_alert(ctx, now):
    broken = make_round(publish=False, foods=0, auto_open=True, opens_at=now - timedelta(hours=1))
    db.session.commit()
    assert jobs.open_due_rounds(now) == []
    alerts = scheduling.open_alerts()
    assert [a.subject for a in alerts] == [f"round:{broken.id}"]
    assert "至少添加一种候选食品" in alerts[0].message


def test_rounds_close_on_time_and_are_allocated_once(ctx, inspectors, now):
    round_, _venues = make_closed_round()
    round_.status = RoundStatus.OPEN  # its time is up, but nobody has closed it yet
    round_.closes_at = now - timedelta(minutes=1)
    db.session.commit()
    assert jobs.close_due_rounds(now) == [round_.id]
    assert jobs.allocate_closed_rounds(now) == [round_.id]
    assert jobs.allocate_closed_rounds(now) == []
    assert count_rows(SamplingPlan) == 1


def test_a_failed_allocation_alerts_and_is_retried(ctx, inspectors, now):
    round_, _venues = make_closed_round(budget=40)
    db.session.commit()
    assert jobs.allocate_closed_rounds(now) == []
    assert "场所不足" in scheduling.open_alerts()[0].message
    assert db.session.get(Round, round_.id).status == RoundStatus.CLOSED
    round_.batch_budget = 6  # a planner would add venues; here the budget shrinks
    db.session.commit()
    assert jobs.allocate_closed_rounds(now) == [round_.id]
    assert scheduling.open_alerts() == []


def test_heartbeat_job_writes_a_row(ctx, now):
    jobs.beat(now, now)
    jobs.beat(now, now + timedelta(seconds=30))
    beat = db.session.scalars(sa.select(SchedulerHeartbeat)).one()
    assert beat.beat_at == now + timedelta(seconds=30) and beat.pid > 0


def test_the_scheduler_runs_every_job_once_per_slot(app):
    scheduler = build_scheduler(app, BackgroundScheduler)
    ids = {job.id for job in scheduler.get_jobs()}
    assert ids == {
        "heartbeat",
        "open_due_rounds",
        "close_due_rounds",
        "allocate_closed_rounds",
        "watch_deadlines",
    }
    assert JOB_DEFAULTS == {"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}
    assert str(scheduler.timezone) == "Asia/Shanghai"
    scheduler.start(paused=True)
    try:
        for job in scheduler.get_jobs():
            assert job.coalesce and job.max_instances == 1 and job.misfire_grace_time == 300
    finally:
        scheduler.shutdown(wait=False)


def test_cli_opens_closes_and_allocates(app, runner):
    with app.app_context():
        from app.accounts.models import Role
        from tests.factories import make_user

        make_user(Role.INSPECTOR)
        make_user(Role.INSPECTOR)
        round_, _venues = make_closed_round()
        round_.status = RoundStatus.DRAFT  # a draft again, with time left to vote
        round_.closes_at = round_.opens_at + timedelta(days=2)
        db.session.commit()
        round_id = round_.id
    opened = runner.invoke(args=["rounds", "open", str(round_id)])
    assert opened.exit_code == 0, opened.output
    again = runner.invoke(args=["rounds", "open", str(round_id)])
    assert again.exit_code == 1 and "已发布" in again.output
    assert runner.invoke(args=["rounds", "close", str(round_id)]).exit_code == 0
    result = runner.invoke(args=["rounds", "allocate", str(round_id)])
    assert result.exit_code == 0 and "6 tasks" in result.output
    twice = runner.invoke(args=["rounds", "allocate", str(round_id)])
    assert twice.exit_code == 1 and "尚未生成计划" in twice.output
    missing = runner.invoke(args=["rounds", "allocate", "999999"])
    assert missing.exit_code == 1 and "未找到" in missing.output


def test_scheduler_run_once_and_doctor(app, runner):
    result = runner.invoke(args=["scheduler", "run", "--once"])
    assert result.exit_code == 0 and "allocate_closed_rounds: []" in result.output
    doctor = runner.invoke(args=["doctor"])
    assert doctor.exit_code == 0
    assert "OK   database reachable" in doctor.output and "scheduler alive" in doctor.output

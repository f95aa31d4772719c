"""Two processes allocating one round at the same moment make one plan (PostgreSQL)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.accounts.models import Role
from app.extensions import db
from app.scheduling.models import SamplingPlan, Task
from tests.factories import make_user
from tests.scheduling.conftest import make_closed_round

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="needs PostgreSQL: .ci/run runs the suite again with DATABASE_URL set",
    ),
]
ROOT = Path(__file__).resolve().parents[2]


def _flask(app, *args: str) -> subprocess.Popen:
    env = dict(
        os.environ,
        FLASK_APP="wsgi.py",
        APP_ENV="testing",
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
    )
    return subprocess.Popen(
        [sys.executable, "-m", "flask", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _finish(process: subprocess.Popen) -> tuple[int, str]:
    output, _ = process.communicate(timeout=120)
    return process.returncode, output


def _closed_round(app) -> tuple[int, int]:
    with app.app_context():
        for name in ("one", "two"):
            make_user(Role.INSPECTOR, username=f"inspector-{name}")
        round_, _venues = make_closed_round()
        db.session.commit()
        return round_.id, round_.batch_budget


def _one_plan(app, round_id: int, budget: int) -> None:
    with app.app_context():
        plans = db.session.scalars(sa.select(SamplingPlan)).all()
        assert [plan.round_id for plan in plans] == [round_id]
        tasks = db.session.scalar(sa.select(sa.func.count()).select_from(Task))
        assert tasks == budget


def test_two_cli_processes_make_one_plan(app):
    round_id, budget = _closed_round(app)
    processes = [_flask(app, "rounds", "allocate", str(round_id)) for _ in range(2)]
    results = [_finish(p) for p in processes]
    codes = sorted(code for code, _output in results)
    assert codes == [0, 1], results
    loser = next(output for code, output in results if code == 1)
    assert "尚未生成计划" in loser or "已生成抽检计划" in loser
    _one_plan(app, round_id, budget)


def test_the_scheduler_and_the_cli_make_one_plan(app):
    round_id, budget = _closed_round(app)
    processes = [
        _flask(app, "scheduler", "run", "--once"),
        _flask(app, "rounds", "allocate", str(round_id)),
    ]
    results = [_finish(p) for p in processes]
    scheduler_code, scheduler_output = results[0]
    assert scheduler_code == 0, scheduler_output
    cli_code, cli_output = results[1]
    allocated_by_scheduler = f"allocate_closed_rounds: [{round_id}]" in scheduler_output
    assert allocated_by_scheduler == (cli_code == 1), results
    _one_plan(app, round_id, budget)

"""Reference data ships inside the project and loads idempotently; demo data covers the city."""

from collections import Counter

import sqlalchemy as sa

from app.accounts.models import Role, User
from app.demo import STAFF
from app.extensions import db
from app.lab.models import BackupDisposal, BackupFate, FollowUp, FollowUpStatus
from app.publishing.models import Notice
from app.reference.models import District, FoodCategory, TestItem, Venue, VenueType
from app.reference.services import load_reference_data
from app.sampling.models import Sample, SampleStatus
from app.scheduling.models import PlanStatus, SamplingPlan
from app.voting.models import Round, RoundStatus
from tests.conftest import count_rows


def test_reference_data_is_complete_and_loading_again_changes_nothing(ctx):
    assert count_rows(District) == 12
    assert count_rows(VenueType) == 9
    assert count_rows(FoodCategory) == 41
    assert count_rows(TestItem) == 31
    assert sum(load_reference_data().values()) == 0


def test_a_changed_limit_is_updated_in_place(ctx):
    item = db.session.scalars(sa.select(TestItem).where(TestItem.name == "腐霉利")).one()
    item.limit_value = 99
    db.session.flush()
    changes = load_reference_data()
    assert changes["test_items"] == 1
    assert float(item.limit_value) == 0.2


def test_seed_demo_is_idempotent_and_covers_every_district_and_venue_type(app, runner):
    first = runner.invoke(args=["seed", "demo"])
    assert first.exit_code == 0, first.output
    assert first.output.count("password ") == len(STAFF)  # two inspectors: a sampling team
    second = runner.invoke(args=["seed", "demo"])
    assert second.exit_code == 0 and "password " not in second.output.replace(
        "password unchanged", ""
    )
    with app.app_context():
        venues = db.session.scalars(sa.select(Venue)).all()
        assert len(venues) >= 40
        assert {v.district_code for v in venues} == set(
            db.session.scalars(sa.select(District.code))
        )
        assert {v.venue_type_key for v in venues} == set(
            db.session.scalars(sa.select(VenueType.key))
        )
        assert {u.role for u in db.session.scalars(sa.select(User))} == set(Role)
        statuses = [r.status for r in db.session.scalars(sa.select(Round))]
        assert RoundStatus.OPEN in statuses and RoundStatus.ALLOCATED in statuses
        plan = db.session.scalars(sa.select(SamplingPlan)).one()
        assert plan.status == PlanStatus.RELEASED and len(plan.tasks) == 30
        samples = Counter(s.status for s in db.session.scalars(sa.select(Sample)))
        assert samples == {
            SampleStatus.SAMPLED: 2,
            SampleStatus.PUBLISHED: 3,  # a pass, a failure, and the older pass
            SampleStatus.TESTING: 1,
            SampleStatus.REJECTED: 1,
        }
        follow_up = db.session.scalars(sa.select(FollowUp)).one()
        assert follow_up.status == FollowUpStatus.OPENED
        assert db.session.scalars(sa.select(BackupDisposal.fate)).one() == BackupFate.DONATED
        assert db.session.scalars(sa.select(Notice.issue)).one() == 1
    assert runner.invoke(args=["custody", "verify"]).exit_code == 0


def test_seed_reference_command(runner):
    result = runner.invoke(args=["seed", "reference"])
    assert result.exit_code == 0 and "test_items: 0" in result.output


def test_users_create_command_prints_the_password(app, runner):
    result = runner.invoke(args=["users", "create", "firstadmin", "--role", "admin"])
    assert result.exit_code == 0 and "password: " in result.output
    again = runner.invoke(args=["users", "create", "firstadmin"])
    assert again.exit_code != 0 and "已被使用" in again.output

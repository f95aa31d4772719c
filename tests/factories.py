"""Factory functions for tests; each needs an active app context and flushes, never commits."""

import itertools
from datetime import timedelta

import sqlalchemy as sa

from app.accounts.models import Role, User
from app.accounts.services import create_user
from app.clock import utcnow
from app.extensions import db
from app.reference.services import create_venue
from app.voting import services as voting
from app.voting.models import CandidateKind, Resident, Round, RoundTheme
from app.voting.residents import phone_hmac

PASSWORD = "correct-horse-battery"
_serial = itertools.count(1)


def make_user(role: Role = Role.ADMIN, username: str | None = None, **kwargs) -> User:
    username = username or f"{role.value.replace('_', '')}{next(_serial)}"
    return create_user(username, kwargs.pop("display_name", username), role, PASSWORD, **kwargs)


def make_venue(type_key: str = "farmers_market", district: str = "410702", name: str | None = None):
    return create_venue(
        name=name or f"测试场所{next(_serial)}",
        address="新乡市红旗区人民路1号",
        district_code=district,
        venue_type_key=type_key,
    )


def make_resident(phone: str | None = None) -> Resident:
    resident = Resident(phone_hmac=phone_hmac(phone or f"139{next(_serial):08d}"))
    db.session.add(resident)
    db.session.flush()
    return resident


def rules(**overrides) -> voting.RoundRules:
    now = utcnow()
    values = {
        "title": f"测试投票 {next(_serial)}",
        "theme": RoundTheme.GENERAL,
        "opens_at": now - timedelta(hours=1),
        "closes_at": now + timedelta(days=7),
        "max_foods": 3,
        "max_venues": 2,
        "max_test_groups": 1,
        "batch_budget": 20,
        "top_foods": 3,
        "hide_counts": False,
    }
    values.update(overrides)
    return voting.RoundRules(**values)


def make_round(*, publish: bool = True, foods: int = 5, venues: int = 2, **overrides) -> Round:
    """A round with `foods` food candidates, `venues` venue candidates, one venue type and
    two test groups; published (open) unless publish=False."""
    round_ = voting.create_round(rules(**overrides), None)
    food_names = ["韭菜", "豇豆", "芹菜", "鸡蛋", "猪肉", "大米", "香蕉", "姜"]
    categories = {"鸡蛋": "3305", "猪肉": "3301", "大米": "01", "香蕉": "3304"}
    for name in food_names[:foods]:
        voting.add_food_candidate(round_, name, categories.get(name, "3302"))
    for _ in range(venues):
        voting.add_venue_candidate(round_, make_venue().id)
    voting.add_venue_type_candidate(round_, "supermarket")
    voting.add_test_group_candidate(round_, "pesticide")
    voting.add_test_group_candidate(round_, "vet_drug")
    if publish:
        voting.open_round(round_, utcnow())
    return round_


def ids(round_: Round, kind: CandidateKind, count: int | None = None) -> list[int]:
    chosen = round_.candidates_of(kind)
    return [candidate.id for candidate in chosen[:count]]


PNG_PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf00000301010018dd8db40000000049454e44ae426082"
)


def sampling_record(**overrides):
    """A complete, valid sampling form for today."""
    from app.clock import to_shanghai
    from app.sampling.models import Packaging, SamplingStage, Storage
    from app.sampling.services import PhotoUpload, SamplingRecord

    today = to_shanghai(utcnow()).date()
    values = {
        "official_number": f"DC{today.year % 100:02d}410700{next(_serial):06d}",
        "stage": SamplingStage.CIRCULATION,
        "product_name": "韭菜",
        "packaging": Packaging.BULK,
        "storage": Storage.AMBIENT,
        "quantity": 2,
        "backup_quantity": 2,
        "quantity_unit": "kg",
        "sampled_on": today,
        "purchase_date": today,
        "business_signer": "王摊主",
        "photos": [PhotoUpload(PNG_PIXEL)],
    }
    values.update(overrides)
    return SamplingRecord(**values)


def make_released_task(inspectors=None):
    """A task of a released plan, assigned to two inspectors (created when not given)."""
    from app.scheduling.services import allocate_round, reassign_task, release_plan
    from app.voting.services import close_round, submit_ballot

    inspectors = inspectors or [make_user(Role.INSPECTOR), make_user(Role.INSPECTOR)]
    round_ = make_round(batch_budget=2, top_foods=2)
    foods = ids(round_, CandidateKind.FOOD, 2)
    submit_ballot(round_.id, make_resident().id, foods, utcnow())
    close_round(round_, utcnow())
    plan = allocate_round(round_.id, utcnow(), "test")
    for task in plan.tasks:  # other inspectors may exist: this pair takes the whole plan
        reassign_task(task, inspectors[0].id, inspectors[1].id)
    release_plan(plan, inspectors[0], utcnow())
    return plan.tasks[0], inspectors


def make_sample(**overrides):
    """A sample recorded on a released task by its first inspector."""
    from app.sampling.services import record_sample

    task, inspectors = make_released_task()
    return record_sample(task, sampling_record(**overrides), inspectors[0], utcnow())


def make_lab(name: str | None = None, retest: bool = False):
    from app.lab.services import add_lab

    return add_lab(name or f"检验所{next(_serial)}", retest)


def make_tested_sample(*, fail: str | None = None, verify: bool = True):
    """A received sample with a result for every item (all 0 mg/kg except `fail`, 1 mg/kg),
    submitted by an analyst and, with verify, verified by a reviewer."""
    from decimal import Decimal

    from app.lab import services as lab
    from app.lab.models import Lab
    from app.sampling.services import receive

    if not db.session.scalars(sa.select(Lab.id).where(Lab.retest.is_(False))).first():
        make_lab("新乡市食品检验所")
    analyst, reviewer = make_user(Role.LAB_ANALYST), make_user(Role.LAB_REVIEWER)
    sample = make_sample()
    receive(sample.portions[0], analyst, utcnow())
    report = lab.start_testing(sample, analyst, utcnow())
    for item in lab.items_for(sample):
        value = Decimal("1") if item.name == fail else Decimal("0")
        lab.enter_result(report, lab.ResultEntry(item.name, value, False, item.unit), analyst)
    lab.submit_report(report, analyst, utcnow())
    if verify:
        lab.verify_report(report, reviewer, utcnow())
    return sample, report, analyst, reviewer

"""Demo data so a newcomer's `make run` shows every role at work (idempotent)."""

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from app.accounts.models import Role, User
from app.accounts.services import create_user, generate_password
from app.clock import to_shanghai, utcnow
from app.extensions import db
from app.lab import services as lab
from app.lab.models import BackupFate, Lab, TestReport
from app.publishing import services as publishing
from app.publishing.models import Notice
from app.reference.models import District, Venue, VenueType
from app.reference.services import create_venue, load_reference_data
from app.sampling.models import (
    Packaging,
    PortionKind,
    Sample,
    SampleStatus,
    SamplingStage,
    Storage,
)
from app.sampling.services import SamplingRecord, hand_over, receive, record_sample, reject
from app.scheduling.models import PlanStatus, SamplingPlan
from app.scheduling.services import allocate_round, release_plan
from app.voting import services as voting
from app.voting.models import (
    Ballot,
    BallotPick,
    CandidateKind,
    Resident,
    Round,
    RoundStatus,
    RoundTheme,
)
from app.voting.residents import phone_hmac

VENUE_NAMES = {
    "campus_canteen": ("{d}第一实验学校食堂", "{d}育才小学食堂", "{d}第二中学食堂"),
    "campus_surroundings": ("{d}实验小学门口便利店", "{d}学府路小吃店", "{d}中学周边文具食品店"),
    "farmers_market": ("{d}东关农贸市场", "{d}城南农贸市场", "{d}平原路菜市场"),
    "supermarket": ("{d}胖东来超市", "{d}世纪联华超市", "{d}丹尼斯便利超市"),
    "festival_market": ("{d}年货大集", "{d}春节年货市场", "{d}中秋节日市场"),
    "restaurant": ("{d}人民路家常菜馆", "{d}老字号烩面馆", "{d}牧野饺子馆"),
    "online": ("{d}鲜达网店", "{d}乡味直播间", "{d}惠民生鲜网店"),
    "scenic_spot": ("{d}景区美食街", "{d}公园小吃摊区", "{d}古镇特产店"),
    "urban_rural_fringe": ("{d}城郊副食店", "{d}镇北食品批发部", "{d}城乡结合部粮油店"),
}
STREETS = ("人民路", "平原路", "胜利路", "健康路", "新中大道", "金穗大道", "宏力大道", "和平路")

STAFF = (
    ("admin", "系统管理员", Role.ADMIN, None),
    ("planner", "计划科 王科长", Role.PLANNER, None),
    ("inspector1", "抽样员 李明", Role.INSPECTOR, "410702"),
    ("inspector2", "抽样员 张华", Role.INSPECTOR, "410702"),
    ("analyst", "检验员 赵敏", Role.LAB_ANALYST, None),
    ("reviewer", "审核员 陈静", Role.LAB_REVIEWER, None),
    ("publisher", "信息发布员 刘洋", Role.PUBLISHER, None),
)

OPEN_ROUND_TITLE = "2026年新乡市“你点我检”进农贸市场、进商超"
CLOSED_ROUND_TITLE = "2026年秋季“你点我检”进校园"

OPEN_FOODS = (
    ("韭菜", "3302"),
    ("豇豆", "3302"),
    ("芹菜", "3302"),
    ("姜", "3302"),
    ("豆芽", "3302"),
    ("鸡蛋", "3305"),
    ("猪肉", "3301"),
    ("淡水鱼", "3303"),
    ("香蕉", "3304"),
    ("大米", "01"),
    ("花生油", "02"),
    ("糕点", "24"),
)
CAMPUS_FOODS = (
    ("鸡蛋", "3305"),
    ("大米", "01"),
    ("猪肉", "3301"),
    ("芹菜", "3302"),
    ("糕点", "24"),
    ("天然矿泉水", "06"),
    ("复用餐饮具", "34"),
    ("凉皮", "31"),
)


def _short(district: District) -> str:
    return district.name_zh


def _seed_venues(report: list[str]) -> None:
    districts = list(db.session.scalars(sa.select(District).order_by(District.code)))
    types = list(db.session.scalars(sa.select(VenueType).order_by(VenueType.position)))
    created = 0
    # 72 venues: every district gets six, every venue type eight.
    for index in range(72):
        district = districts[index % len(districts)]
        venue_type = types[index % len(types)]
        name = VENUE_NAMES[venue_type.key][index // len(types) % 3].format(d=_short(district))
        exists = db.session.scalars(
            sa.select(Venue.id).where(Venue.name == name, Venue.district_code == district.code)
        ).first()
        if exists:
            continue
        create_venue(
            name=name,
            address=f"新乡市{district.name_zh}{STREETS[index % len(STREETS)]}{index + 1}号",
            district_code=district.code,
            venue_type_key=venue_type.key,
        )
        created += 1
    report.append(f"venues: {created} created")


def _seed_staff(report: list[str]) -> None:
    for username, name, role, district in STAFF:
        if db.session.scalars(sa.select(User.id).where(User.username == username)).first():
            report.append(f"staff {username} ({role.value}): exists, password unchanged")
            continue
        password = generate_password()
        create_user(username, name, role, password, district)
        report.append(f"staff {username} ({role.value}): password {password}")


def _venues_of(type_key: str, count: int) -> list[Venue]:
    return list(
        db.session.scalars(
            sa.select(Venue).where(Venue.venue_type_key == type_key).order_by(Venue.id).limit(count)
        )
    )


def _round_with_candidates(
    title: str,
    theme: RoundTheme,
    opens_in: timedelta,
    lasts: timedelta,
    foods,
    quotas: dict[str, int],
    groups,
    budget: int,
) -> Round:
    now = utcnow()
    planner = db.session.scalars(sa.select(User).where(User.username == "planner")).first()
    round_ = voting.create_round(
        voting.RoundRules(
            title=title,
            theme=theme,
            opens_at=now + opens_in,
            closes_at=now + opens_in + lasts,
            max_foods=5,
            max_venues=3,
            max_test_groups=2,
            batch_budget=budget,
            top_foods=8,
            hide_counts=False,
            description="请选出您最关心的食品和场所，得票靠前的将由市场监管部门抽样检验，结果向社会公布。",
        ),
        planner,
    )
    for name, category in foods:
        voting.add_food_candidate(round_, name, category)
    for type_key, batches in quotas.items():
        voting.add_venue_type_candidate(round_, type_key)
        for venue in _venues_of(type_key, 3):
            voting.add_venue_candidate(round_, venue.id)
        voting.set_quota(round_, type_key, batches)
    for group in groups:
        voting.add_test_group_candidate(round_, group)
    return round_


def _demo_ballots(round_: Round, count: int) -> None:
    """Ballots from demo residents (phones 1990000xxxx, never real numbers)."""
    foods = round_.candidates_of(CandidateKind.FOOD)
    venues = round_.candidates_of(CandidateKind.VENUE)
    groups = round_.candidates_of(CandidateKind.TEST_GROUP)
    voting_time = round_.opens_at + timedelta(hours=1)
    for number in range(count):
        digest = phone_hmac(f"1990000{number:04d}")
        resident = db.session.scalars(
            sa.select(Resident).where(Resident.phone_hmac == digest)
        ).first()
        if resident is None:
            resident = Resident(phone_hmac=digest)
            db.session.add(resident)
            db.session.flush()
        # A skewed but varied pattern, so the ranking has a clear top and some ties.
        picks = [foods[(number * k) % len(foods)] for k in (1, 2, 3)]
        picks = list(dict.fromkeys(picks))[: round_.max_foods]
        picks += [venues[number % len(venues)]] if venues else []
        picks += [groups[number % len(groups)]] if groups else []
        ballot = Ballot(
            round_id=round_.id,
            resident_id=resident.id,
            created_at=voting_time,
            updated_at=voting_time,
        )
        db.session.add(ballot)
        db.session.flush()
        ballot.picks.extend(BallotPick(round_id=round_.id, candidate_id=c.id) for c in picks)
    db.session.flush()


def _seed_rounds(report: list[str]) -> None:
    now = utcnow()
    if not db.session.scalars(sa.select(Round.id).where(Round.title == OPEN_ROUND_TITLE)).first():
        round_ = _round_with_candidates(
            OPEN_ROUND_TITLE,
            RoundTheme.MARKET,
            -timedelta(days=2),
            timedelta(days=21),
            OPEN_FOODS,
            {"farmers_market": 12, "supermarket": 12},
            ("pesticide", "vet_drug", "contaminant"),
            budget=40,
        )
        voting.open_round(round_, now)
        _demo_ballots(round_, 60)
        report.append(f"round {round_.id}: open, {OPEN_ROUND_TITLE}")
    if not db.session.scalars(sa.select(Round.id).where(Round.title == CLOSED_ROUND_TITLE)).first():
        round_ = _round_with_candidates(
            CLOSED_ROUND_TITLE,
            RoundTheme.CAMPUS,
            -timedelta(days=30),
            timedelta(days=14),
            CAMPUS_FOODS,
            {"campus_canteen": 12, "campus_surroundings": 10},
            ("microbe", "additive"),
            budget=30,
        )
        round_.status = RoundStatus.OPEN
        round_.opened_at = round_.opens_at
        _demo_ballots(round_, 80)
        voting.close_round(round_, round_.closes_at)
        plan = allocate_round(round_.id, round_.closes_at + timedelta(hours=1), "scheduler")
        planner = db.session.scalars(sa.select(User).where(User.username == "planner")).one()
        release_plan(plan, planner, utcnow())
        report.append(
            f"round {round_.id}: closed, plan of {len(plan.tasks)} tasks released,"
            f" {CLOSED_ROUND_TITLE}"
        )


def _seed_samples(report: list[str]) -> None:
    """Six tasks of the released plan sampled: two in transit (one handed to a courier), three
    received by the lab, one refused for a broken seal; the rest stay on the task lists."""
    if db.session.scalars(sa.select(Sample.id)).first():
        return
    plan = db.session.scalars(
        sa.select(SamplingPlan).where(SamplingPlan.status == PlanStatus.RELEASED)
    ).first()
    if plan is None:
        return
    analyst = db.session.scalars(sa.select(User).where(User.username == "analyst")).one()
    now = utcnow()
    today = to_shanghai(now).date()
    for index, task in enumerate(plan.tasks[:6]):
        inspector = task.inspector_a
        day = today - timedelta(days=index % 3)
        record = SamplingRecord(
            official_number=f"DC{day.year % 100:02d}410700{index + 1:06d}",
            stage=SamplingStage.CATERING,
            product_name=task.food.label,
            packaging=Packaging.BULK,
            storage=Storage.AMBIENT,
            quantity=2,
            backup_quantity=2,
            quantity_unit="kg",
            sampled_on=day,
            purchase_date=day,
            batch_number=f"{today:%Y%m%d}-{index + 1}",
            business_signer="",
            business_refused_to_sign=index == 5,
        )
        if index != 5:
            record.business_signer = "食堂负责人"
        sample = record_sample(task, record, inspector, now - timedelta(hours=6 - index))
        test_portion = sample.portion(PortionKind.TEST)
        if index == 1:
            hand_over(test_portion, inspector, "冷链物流 张师傅", now - timedelta(hours=3))
        elif index in (2, 3, 4):
            receive(test_portion, analyst, now - timedelta(hours=1))
        elif index == 5:
            reject(test_portion, analyst, "封条破损，无法确认样品完整", now - timedelta(minutes=30))
    report.append("samples: 6 recorded (2 in transit, 3 received, 1 refused)")


LABS = (
    ("新乡市食品药品检验所", False),
    ("河南省食品检验研究院", True),
    ("郑州市食品药品检验所", True),
)


def _results(report, analyst, fail: str | None) -> None:
    """Not detected everywhere, except `fail`: ten times its limit (or detected, when the
    limit is "not detected")."""
    for item in lab.items_for(report.sample):
        failed = item.name == fail
        value = None
        if failed:
            value = item.limit_value.normalize() * 10 if item.limit_value else Decimal("0.5")
        lab.enter_result(
            report,
            lab.ResultEntry(
                item.name,
                value,
                not failed,
                item.unit,
                Decimal("0.001"),
                item.unit,
                "GB 23200.113-2018",
                item.standard,
            ),
            analyst,
        )


def _seed_lab(report: list[str]) -> None:
    """Labs; a verified pass, a verified failure with its open follow-up, one in testing, and
    an older pass whose backup was donated."""
    for name, retest in LABS:
        if not db.session.scalars(sa.select(Lab.id).where(Lab.name == name)).first():
            lab.add_lab(name, retest)
    if db.session.scalars(sa.select(TestReport.id)).first():
        return
    users = {u.username: u for u in db.session.scalars(sa.select(User))}
    analyst, reviewer = users["analyst"], users["reviewer"]
    received = db.session.scalars(
        sa.select(Sample).where(Sample.status == SampleStatus.RECEIVED).order_by(Sample.id)
    ).all()
    if len(received) < 3:
        return
    now = utcnow()
    for sample, fail in ((received[0], None), (received[1], "腐霉利")):
        items = lab.items_for(sample)
        fail = fail if fail in {i.name for i in items} else (items[0].name if fail else None)
        test = lab.start_testing(sample, analyst, now - timedelta(minutes=50))
        _results(test, analyst, fail)
        lab.submit_report(test, analyst, now - timedelta(minutes=40))
        lab.verify_report(test, reviewer, now - timedelta(minutes=30))
    lab.start_testing(received[2], analyst, now - timedelta(minutes=20))
    _seed_donated_backup(analyst, reviewer, now)
    report.append("lab: 1 pass, 1 failure with an open follow-up, 1 in testing, 1 backup donated")


def _seed_donated_backup(analyst: User, reviewer: User, now) -> None:
    plan = db.session.scalars(
        sa.select(SamplingPlan).where(SamplingPlan.status == PlanStatus.RELEASED)
    ).first()
    task = next((t for t in plan.tasks if t.is_open), None)
    if task is None:
        return
    long_ago = now - timedelta(days=110)
    day = to_shanghai(long_ago).date()
    record = SamplingRecord(
        official_number=f"DC{day.year % 100:02d}410700{900001:06d}",
        stage=SamplingStage.CATERING,
        product_name=task.food.label,
        packaging=Packaging.PREPACKAGED,
        storage=Storage.AMBIENT,
        quantity=2,
        backup_quantity=2,
        quantity_unit="袋",
        sampled_on=day,
        production_date=day - timedelta(days=10),
        shelf_life="12个月",
        batch_number="B20260801",
        business_signer="食堂负责人",
    )
    sample = record_sample(task, record, task.inspector_a, long_ago)
    receive(sample.portion(PortionKind.TEST), analyst, long_ago + timedelta(days=1))
    test = lab.start_testing(sample, analyst, long_ago + timedelta(days=2))
    _results(test, analyst, None)
    lab.submit_report(test, analyst, long_ago + timedelta(days=8))
    lab.verify_report(test, reviewer, long_ago + timedelta(days=9))
    lab.dispose_backup(
        sample,
        BackupFate.DONATED,
        to_shanghai(now).date(),
        analyst,
        now,
        recipient="新乡市社会福利院",
        quantity="2 袋",
        receipt_signed_by="福利院 李院长",
    )


def _seed_notice(report: list[str]) -> None:
    """A published notice of every verified sample, so a label leads to a published result."""
    if db.session.scalars(sa.select(Notice.id)).first():
        return
    samples = publishing.publishable_samples(publishing.NoticeFilters())
    if not samples:
        return
    publisher = db.session.scalars(sa.select(User).where(User.username == "publisher")).one()
    now = utcnow()
    notice = publishing.publish_notice(
        samples,
        publishing.NoticeDraft(
            title="食品安全监督抽检信息",
            task_source=CLOSED_ROUND_TITLE,
            published_on=to_shanghai(now).date(),
        ),
        publisher,
        now,
    )
    report.append(f"notice: {notice.number} ({len(samples)} samples)")


def load_demo_data() -> list[str]:
    """Reference data, 72 venues over every district and venue type, staff, an open round and
    a closed one with its released plan."""
    changes = load_reference_data()
    report = [f"reference: {sum(changes.values())} rows inserted or updated"]
    _seed_venues(report)
    _seed_staff(report)
    _seed_rounds(report)
    _seed_samples(report)
    _seed_lab(report)
    _seed_notice(report)
    return report

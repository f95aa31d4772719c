"""Composing and publishing notices, verifying a notice PDF, and what the public may see of a
sample (RULES.md § Publication: published results only, never personal names)."""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.clock import to_shanghai
from app.errors import DomainError, NotAllowed, NotFound
from app.extensions import db
from app.lab.models import ReportStatus, TestReport
from app.lab.services import current_report, items_for
from app.publishing.models import Notice, NoticeEntry, NoticeStatus, PublishedSample, Rating
from app.publishing.notice_pdf import NoticeData, NoticeRow, render_notice
from app.reference.models import District, FoodCategory, Venue, VenueType
from app.sampling.models import PortionKind, Sample, SampleStatus
from app.sampling.services import record_custody_event
from app.scheduling.models import SamplingPlan, Task
from app.voting.models import Candidate

BUREAU = "新乡市市场监督管理局"
STATEMENT = "以下信息仅指本次抽检标称的生产企业相关产品的生产日期/批号和所检项目。"
MAX_SAMPLES_PER_NOTICE = 2000


@dataclass(frozen=True)
class NoticeFilters:
    round_id: int | None = None
    verified_from: date | None = None
    verified_to: date | None = None
    category_code: str | None = None
    venue_type_key: str | None = None


def publishable_samples(filters: NoticeFilters) -> list[Sample]:
    """Verified samples not yet published, matching the filters, oldest first."""
    query = (
        sa.select(Sample)
        .join(Task, Task.id == Sample.task_id)
        .join(SamplingPlan, SamplingPlan.id == Task.plan_id)
        .join(Candidate, Candidate.id == Task.food_candidate_id)
        .join(TestReport, TestReport.sample_id == Sample.id)
        .where(Sample.status == SampleStatus.VERIFIED, TestReport.status == ReportStatus.VERIFIED)
        .order_by(TestReport.verified_at, Sample.id)
    )
    if filters.round_id:
        query = query.where(SamplingPlan.round_id == filters.round_id)
    if filters.category_code:
        codes = [filters.category_code] + list(
            db.session.scalars(
                sa.select(FoodCategory.code).where(
                    FoodCategory.parent_code == filters.category_code
                )
            )
        )
        query = query.where(Candidate.food_category_code.in_(codes))
    if filters.venue_type_key:
        query = query.join(Venue, Venue.id == Task.venue_id).where(
            Venue.venue_type_key == filters.venue_type_key
        )
    samples = list(db.session.scalars(query))
    if filters.verified_from or filters.verified_to:
        samples = [s for s in samples if _within(current_report(s), filters)]
    return samples


def _within(report: TestReport, filters: NoticeFilters) -> bool:
    day = to_shanghai(report.verified_at).date()
    return (filters.verified_from is None or day >= filters.verified_from) and (
        filters.verified_to is None or day <= filters.verified_to
    )


def _or_slash(text: str | None) -> str:
    return (text or "").strip() or "/"


def notice_row(sample: Sample, task_source: str) -> NoticeRow:
    report = current_report(sample)
    venue = sample.task.venue
    batch = " ".join(
        part
        for part in (
            sample.production_date.isoformat() if sample.production_date else "",
            sample.batch_number,
        )
        if part
    )
    base = current_app.config["PUBLIC_BASE_URL"]
    return NoticeRow(
        sample_number=sample.official_number,
        producer_name=_or_slash(sample.producer_name),
        producer_address=_or_slash(sample.producer_address),
        business_name=venue.name,
        business_address=venue.address,
        food_name=sample.product_name,
        specification=_or_slash(sample.specification),
        brand=_or_slash(sample.brand),
        batch=_or_slash(batch),
        category=sample.task.food.food_category.name_zh,
        task_source=task_source,
        lab=report.lab.name,
        remark="/",
        failed_items=report.failed_text,
        url=f"{base}/t/{sample.portion(PortionKind.TEST).code}",
    )


@dataclass(frozen=True)
class NoticeDraft:
    title: str
    task_source: str
    published_on: date
    introduction: str = ""
    items_explanation: str = ""


def _check_samples(samples: list[Sample]) -> None:
    if not samples:
        raise DomainError(_("请至少选择一个已审核的样品。"))
    if len(samples) > MAX_SAMPLES_PER_NOTICE:
        raise DomainError(_("一期公告最多 %(num)d 个样品。", num=MAX_SAMPLES_PER_NOTICE))


def _notice_data(
    number: str, draft: NoticeDraft, samples: list[Sample], supersedes: str | None
) -> NoticeData:
    rows = [notice_row(sample, draft.task_source) for sample in samples]
    base = current_app.config["PUBLIC_BASE_URL"]
    return NoticeData(
        number=number,
        title=draft.title,
        published_on=draft.published_on,
        task_source=draft.task_source,
        introduction=draft.introduction or _default_introduction(len(rows), draft.task_source),
        passed=[row for row in rows if not row.failed_items],
        failed=[row for row in rows if row.failed_items],
        items_explanation=draft.items_explanation or _items_explanation(samples),
        verify_url=f"{base}/notices/verify?number={number}",
        supersedes_number=supersedes,
    )


def _default_introduction(count: int, task_source: str) -> str:
    return (
        f"根据“{task_source}”安排，{BUREAU}组织抽检食品 {count} 批次，检验结果公告如下。"
        "抽检结果仅代表所抽样品。"
    )


def _items_explanation(samples: list[Sample]) -> str:
    per_food: dict[str, list[str]] = {}
    for sample in samples:
        names = per_food.setdefault(sample.product_name, [])
        for item in items_for(sample):
            if item.name not in names:
                names.append(item.name)
    return "；".join(f"{food}：{'、'.join(items)}" for food, items in per_food.items()) + "。"


def _number(year: int, issue: int) -> str:
    return f"{BUREAU}食品安全抽检信息公告 {year}年第{issue}期"


def next_issue(year: int) -> int:
    latest = db.session.scalar(sa.select(sa.func.max(Notice.issue)).where(Notice.year == year))
    return (latest or 0) + 1


def preview_pdf(samples: list[Sample], draft: NoticeDraft) -> bytes:
    """The notice as it would be published (marked as a draft number)."""
    _check_samples(samples)
    year = draft.published_on.year
    number = _number(year, next_issue(year)) + "（预览）"
    return render_notice(
        _notice_data(number, draft, samples, None), current_app.config.get("CJK_FONT_PATH")
    )


def publish_notice(
    samples: list[Sample],
    draft: NoticeDraft,
    publisher: User,
    now: datetime,
    supersedes: Notice | None = None,
) -> Notice:
    """Render, store the bytes and SHA-256, list the samples and mark them published, all in
    the caller's one transaction: a crash leaves nothing half-published and it can be run
    again. A correction (`supersedes`) marks the earlier notice superseded; both stay."""
    _check_samples(samples)
    if supersedes is None and any(s.status != SampleStatus.VERIFIED for s in samples):
        raise NotAllowed(_("只有已审核且尚未公告的样品可以公告。"))
    for sample in samples:
        report = current_report(sample)
        if report is None or report.status != ReportStatus.VERIFIED:
            raise NotAllowed(_("样品 %(number)s 的结果尚未审核。", number=sample.official_number))
    year = draft.published_on.year
    issue = next_issue(year)
    number = _number(year, issue)
    pdf = render_notice(
        _notice_data(number, draft, samples, supersedes.number if supersedes else None),
        current_app.config.get("CJK_FONT_PATH"),
    )
    notice = Notice(
        year=year,
        issue=issue,
        number=number,
        title=draft.title.strip(),
        task_source=draft.task_source.strip(),
        published_on=draft.published_on,
        pdf=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(),
        supersedes_id=supersedes.id if supersedes else None,
        published_by_id=publisher.id,
        published_at=now,
    )
    db.session.add(notice)
    try:
        db.session.flush()
    except IntegrityError as error:
        raise NotAllowed(_("另一位发布员刚刚发布了同一期公告，请重新发布。")) from error
    for position, sample in enumerate(samples, start=1):
        db.session.add(NoticeEntry(notice_id=notice.id, sample_id=sample.id, position=position))
        if sample.status == SampleStatus.VERIFIED:
            record_custody_event(sample, "published", publisher, now, note=number)
        _index_for_search(sample)
    if supersedes is not None:
        supersedes.status = NoticeStatus.SUPERSEDED
    db.session.flush()
    return notice


def _index_for_search(sample: Sample) -> None:
    """Copy what the public search filters on into its one-table index (see PublishedSample)."""
    venue, food = sample.task.venue, sample.task.food
    row = db.session.get(PublishedSample, sample.id) or PublishedSample(sample_id=sample.id)
    row.sampled_on = sample.sampled_on
    row.district_code = venue.district_code
    row.venue_type_key = venue.venue_type_key
    row.category_code = food.food_category_code
    row.category_parent = food.food_category.parent_code
    row.passed = bool(current_report(sample).passed)
    row.search_text = " ".join(
        part
        for part in (sample.product_name, sample.producer_name, venue.name, sample.brand)
        if part
    )
    db.session.add(row)


def get_notice(notice_id: int) -> Notice:
    notice = db.session.get(Notice, notice_id)
    if notice is None:
        raise NotFound(_("未找到该公告。"))
    return notice


def notices() -> list[Notice]:
    return list(
        db.session.scalars(sa.select(Notice).order_by(Notice.published_on.desc(), Notice.id.desc()))
    )


def find_notice(*, pdf: bytes | None = None, sha256: str | None = None) -> Notice | None:
    """The published notice whose PDF is exactly this file, or has this SHA-256."""
    if pdf is not None:
        sha256 = hashlib.sha256(pdf).hexdigest()
    digest = (sha256 or "").strip().lower()
    if len(digest) != 64 or any(ch not in "0123456789abcdef" for ch in digest):
        raise DomainError(_("SHA-256 应为 64 位十六进制字符。"))
    return db.session.scalars(sa.select(Notice).where(Notice.sha256 == digest)).first()


def published_report(sample: Sample) -> tuple[TestReport, Notice] | None:
    """The sample's results and the latest notice that published them; None before that."""
    entry = db.session.scalars(
        sa.select(NoticeEntry)
        .join(Notice)
        .where(NoticeEntry.sample_id == sample.id)
        .order_by(Notice.published_at.desc())
    ).first()
    if entry is None or sample.status != SampleStatus.PUBLISHED:
        return None
    report = current_report(sample)
    if report is None or report.status != ReportStatus.VERIFIED:
        return None
    return report, entry.notice


# --- The public results site --------------------------------------------------------------------


@dataclass(frozen=True)
class SearchFilters:
    food: str = ""
    category: str = ""
    venue_type: str = ""
    district: str = ""
    verdict: str = ""  # "pass", "fail" or ""
    date_from: date | None = None
    date_to: date | None = None
    text: str = ""


def _published_query():
    return (
        sa.select(Sample, TestReport)
        .join(TestReport, TestReport.sample_id == Sample.id)
        .join(Task, Task.id == Sample.task_id)
        .join(Venue, Venue.id == Task.venue_id)
        .join(Candidate, Candidate.id == Task.food_candidate_id)
        .where(Sample.status == SampleStatus.PUBLISHED, TestReport.status == ReportStatus.VERIFIED)
    )


def _search_where(filters: SearchFilters) -> list:
    row = PublishedSample
    conditions = []
    if filters.verdict in ("pass", "fail"):
        conditions.append(row.passed.is_(filters.verdict == "pass"))
    if filters.district:
        conditions.append(row.district_code == filters.district)
    if filters.category:
        conditions.append(
            sa.or_(row.category_code == filters.category, row.category_parent == filters.category)
        )
    if filters.venue_type:
        conditions.append(row.venue_type_key == filters.venue_type)
    if filters.date_from:
        conditions.append(row.sampled_on >= filters.date_from)
    if filters.date_to:
        conditions.append(row.sampled_on <= filters.date_to)
    for text in (filters.food, filters.text):
        if text:
            conditions.append(row.search_text.contains(text, autoescape=True))
    return conditions


@dataclass(frozen=True)
class Page:
    items: list[tuple[Sample, TestReport]]
    total: int
    page: int
    per_page: int
    capped: bool = False  # more than COUNT_CAP matches: the total is "at least"

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


COUNT_CAP = 10_000


def search_published(filters: SearchFilters, page: int = 1, per_page: int = 20) -> Page:
    """Published samples matching the filters, newest first. Counting stops at COUNT_CAP:
    an exact total over a million samples would cost seconds and tell a reader nothing."""
    conditions = _search_where(filters)
    matching = sa.select(PublishedSample.sample_id).where(*conditions)
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(matching.limit(COUNT_CAP + 1).subquery())
    )
    page = max(1, page)
    ids = list(
        db.session.scalars(
            matching.order_by(PublishedSample.sampled_on.desc(), PublishedSample.sample_id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    rows = db.session.execute(_published_query().where(Sample.id.in_(ids))).all() if ids else []
    order = {sample_id: index for index, sample_id in enumerate(ids)}
    items = sorted(((row[0], row[1]) for row in rows), key=lambda pair: order[pair[0].id])
    return Page(items, min(total, COUNT_CAP), page, per_page, capped=total > COUNT_CAP)


@dataclass(frozen=True)
class Rate:
    label: str
    passed: int
    total: int

    @property
    def percent(self) -> float:
        return round(100 * self.passed / self.total, 1) if self.total else 0.0


def pass_rates(by: str) -> list[Rate]:
    """Pass rate of published samples by category, venue_type, district or month."""
    groups = {
        "category": (FoodCategory.name_zh, Candidate.food_category_code == FoodCategory.code),
        "venue_type": (VenueType.name_zh, Venue.venue_type_key == VenueType.key),
        "district": (District.name_zh, Venue.district_code == District.code),
    }
    base = _published_query().with_only_columns(TestReport.passed)
    if by == "month":
        rows = db.session.execute(base.add_columns(Sample.sampled_on)).all()
        counts: dict[str, list[int]] = {}
        for passed, day in rows:
            bucket = counts.setdefault(f"{day:%Y-%m}", [0, 0])
            bucket[0] += bool(passed)
            bucket[1] += 1
        return [Rate(month, p, t) for month, (p, t) in sorted(counts.items())]
    label, join = groups[by]
    table = label.class_
    rows = db.session.execute(
        base.join(table, join)
        .with_only_columns(
            label, sa.func.sum(sa.case((TestReport.passed.is_(True), 1), else_=0)), sa.func.count()
        )
        .group_by(label)
        .order_by(sa.func.count().desc(), label)
    ).all()
    return [Rate(name, int(passed or 0), total) for name, passed, total in rows]


def overall_pass_rate() -> Rate:
    row = db.session.execute(
        _published_query().with_only_columns(
            sa.func.sum(sa.case((TestReport.passed.is_(True), 1), else_=0)), sa.func.count()
        )
    ).one()
    return Rate("", int(row[0] or 0), row[1])


def latest_notices(limit: int = 5) -> list[Notice]:
    return list(
        db.session.scalars(
            sa.select(Notice).order_by(Notice.published_at.desc(), Notice.id.desc()).limit(limit)
        )
    )


# --- Satisfaction -------------------------------------------------------------------------------

RATING_PAGES = ("sample", "search", "notice", "stats")


def add_rating(page: str, score: int, comment: str, now: datetime) -> Rating:
    """Keep one 1-5 rating (and an optional comment of up to 300 characters)."""
    if page not in RATING_PAGES:
        raise DomainError(_("无效的页面。"))
    if score not in range(1, 6):
        raise DomainError(_("请选择 1 到 5 分。"))
    comment = " ".join((comment or "").split())
    if len(comment) > 300:
        raise DomainError(_("意见不能超过 300 个字。"))
    rating = Rating(page=page, score=score, comment=comment, created_at=now)
    db.session.add(rating)
    db.session.flush()
    return rating


def rating_summary() -> list[tuple[str, int, float]]:
    """(page, number of ratings, average score) per page."""
    rows = db.session.execute(
        sa.select(Rating.page, sa.func.count(), sa.func.avg(Rating.score))
        .group_by(Rating.page)
        .order_by(Rating.page)
    ).all()
    return [(page, count, round(float(average), 2)) for page, count, average in rows]


def recent_comments(limit: int = 50) -> list[Rating]:
    return list(
        db.session.scalars(
            sa.select(Rating).where(Rating.comment != "").order_by(Rating.id.desc()).limit(limit)
        )
    )

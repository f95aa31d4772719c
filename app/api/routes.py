"""The open-data API (GET only, public): published samples, results, notices, venues, rounds."""

import csv
import io
import json
import math
import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, request
from sqlalchemy.orm import aliased, contains_eager, joinedload, selectinload

from app.api import serializers
from app.api.openapi import COUNT_FIELDS, MAX_ID, MAX_PAGE, MAX_TEXT, openapi_document
from app.clock import utcnow
from app.extensions import db, limiter
from app.lab.models import ReportStatus, Result, TestReport
from app.publishing.models import Notice, NoticeEntry, NoticeStatus
from app.publishing.services import BUREAU
from app.reference.models import District, FoodCategory, TestItem, Venue, VenueType
from app.sampling.models import Sample, SampleStatus
from app.scheduling.models import Task
from app.voting.models import Ballot, BallotPick, Candidate, CandidateKind, Round, RoundStatus
from app.voting.services import counts_visible, public_phase

bp = Blueprint("api", __name__, url_prefix="/api/v1")

CSV_MAX_ROWS = 10_000
FEED_ENTRIES = 50
FEED_TAG_DATE = "2026"
ATOM = "http://www.w3.org/2005/Atom"
_DIGITS = re.compile(r"[0-9]{1,9}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ApiError(Exception):
    """An answer other than 200. Messages are plain Chinese (machine clients read the status);
    they are kept out of the Babel catalogue on purpose."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _json(data: dict, status: int = 200) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Response(body, status=status, mimetype="application/json")


@bp.errorhandler(ApiError)
def api_error(error: ApiError) -> Response:
    return _json({"error": {"status": error.status, "message": error.message}}, error.status)


@bp.after_request
def open_data_headers(response: Response) -> Response:
    """Public data, the same for everyone: any site may read it, caches may keep it briefly."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers.setdefault("Cache-Control", "public, max-age=60")
    return response


def _base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"]


# --- Query parameters --------------------------------------------------------------------------


def _arg(name: str) -> str | None:
    """A parameter's value; an empty value counts as absent."""
    value = request.args.get(name, "")
    return value if value != "" else None


def _int_arg(name: str, default: int | None, low: int, high: int) -> int | None:
    raw = _arg(name)
    if raw is None:
        return default
    if not _DIGITS.fullmatch(raw) or not low <= int(raw) <= high:
        raise ApiError(400, f"参数 {name} 应为 {low} 到 {high} 的整数")
    return int(raw)


def _text_arg(name: str) -> str | None:
    raw = _arg(name)
    if raw is None:
        return None
    if len(raw) > MAX_TEXT:
        raise ApiError(400, f"参数 {name} 不能超过 {MAX_TEXT} 个字符")
    if _CONTROL.search(raw):
        raise ApiError(400, f"参数 {name} 含有无效字符")
    return raw.strip() or None


def _date_arg(name: str) -> date | None:
    raw = _arg(name)
    if raw is None:
        return None
    try:
        if not _ISO_DATE.fullmatch(raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, f"参数 {name} 应为 YYYY-MM-DD 格式的日期") from None


def _choice_arg(name: str, choices: tuple[str, ...]) -> str | None:
    raw = _arg(name)
    if raw is not None and raw not in choices:
        raise ApiError(400, f"参数 {name} 只能是 {'、'.join(choices)} 之一")
    return raw


def _verdict_arg() -> bool | None:
    verdict = _choice_arg("verdict", ("pass", "fail"))
    return None if verdict is None else verdict == "pass"


@dataclass(frozen=True)
class Page:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    def meta(self, total: int) -> dict:
        pages = math.ceil(total / self.size)
        return {"total": total, "page": self.number, "per_page": self.size, "pages": pages}


def _page_arg() -> Page:
    return Page(_int_arg("page", 1, 1, MAX_PAGE), _int_arg("per_page", 20, 1, 100))


def _category_codes(code: str | None) -> list[str] | None:
    """The code and every category below it (the table is small: read it once)."""
    if code is None:
        return None
    children: dict[str, list[str]] = {}
    for child, parent in db.session.execute(sa.select(FoodCategory.code, FoodCategory.parent_code)):
        children.setdefault(parent, []).append(child)
    codes, pending = [], [code]
    while pending:
        current = pending.pop()
        if current not in codes:
            codes.append(current)
            pending.extend(children.get(current, []))
    return codes


# --- Published samples ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleFilters:
    food: str | None = None
    categories: list[str] | None = None
    venue_type: str | None = None
    district: str | None = None
    passed: bool | None = None
    date_from: date | None = None
    date_to: date | None = None
    q: str | None = None
    round_id: int | None = None
    number: str | None = None


def _sample_filters() -> SampleFilters:
    return SampleFilters(
        food=_text_arg("food"),
        categories=_category_codes(_text_arg("category")),
        venue_type=_text_arg("venue_type"),
        district=_text_arg("district"),
        passed=_verdict_arg(),
        date_from=_date_arg("from"),
        date_to=_date_arg("to"),
        q=_text_arg("q"),
        round_id=_int_arg("round", None, 1, MAX_ID),
    )


def _published(query: sa.Select) -> sa.Select:
    """Only samples listed in a notice and still published, with the verified report that the
    notice published (a later, non-invalidated report would mean a correction is under way)."""
    later = aliased(TestReport)
    return query.where(
        Sample.status == SampleStatus.PUBLISHED,
        sa.exists().where(NoticeEntry.sample_id == Sample.id),
        TestReport.status == ReportStatus.VERIFIED,
        ~sa.exists().where(
            later.sample_id == TestReport.sample_id,
            later.id > TestReport.id,
            later.status != ReportStatus.INVALIDATED,
        ),
    )


def _samples_select(columns: list, filters: SampleFilters) -> sa.Select:
    query = (
        sa.select(*columns)
        .select_from(Sample)
        .join(Task, Task.id == Sample.task_id)
        .join(Candidate, Candidate.id == Task.food_candidate_id)
        .join(Venue, Venue.id == Task.venue_id)
        .join(TestReport, TestReport.sample_id == Sample.id)
    )
    query = _published(query)
    if filters.number is not None:
        number = filters.number
        query = query.where(Sample.official_number.in_(sorted({number, number.upper()})))
    if filters.food:
        query = query.where(Sample.product_name.icontains(filters.food, autoescape=True))
    if filters.categories is not None:
        query = query.where(Candidate.food_category_code.in_(filters.categories))
    if filters.venue_type:
        query = query.where(Venue.venue_type_key == filters.venue_type)
    if filters.district:
        query = query.where(Venue.district_code == filters.district)
    if filters.passed is not None:
        query = query.where(TestReport.passed.is_(filters.passed))
    if filters.date_from:
        query = query.where(Sample.sampled_on >= filters.date_from)
    if filters.date_to:
        query = query.where(Sample.sampled_on <= filters.date_to)
    if filters.q:
        query = query.where(
            sa.or_(
                Sample.product_name.icontains(filters.q, autoescape=True),
                Sample.producer_name.icontains(filters.q, autoescape=True),
                Venue.name.icontains(filters.q, autoescape=True),
            )
        )
    if filters.round_id is not None:
        query = query.where(Candidate.round_id == filters.round_id)
    return query


def _sample_rows(filters: SampleFilters, limit: int, offset: int = 0, *, results: bool = False):
    """(sample, report, latest notice) for one page, in the same few queries whatever its size."""
    venue = contains_eager(Sample.task).contains_eager(Task.venue)
    options = [
        venue.joinedload(Venue.district),
        venue.joinedload(Venue.venue_type),
        contains_eager(Sample.task).contains_eager(Task.food).joinedload(Candidate.food_category),
        selectinload(Sample.portions),
        joinedload(TestReport.lab),
    ]
    if results:
        options.append(selectinload(TestReport.results).joinedload(Result.test_item))
    query = (
        _samples_select([Sample, TestReport], filters)
        .options(*options)
        .order_by(Sample.sampled_on.desc(), Sample.id.desc())
        .limit(limit)
        .offset(offset)
    )
    rows = db.session.execute(query).unique().all()
    latest = _latest_notices([sample.id for sample, _ in rows])
    return [(sample, report, latest[sample.id]) for sample, report in rows]


def _latest_notices(sample_ids: list[int]) -> dict[int, Notice]:
    """Each sample's latest notice (a correction notice lists a sample again)."""
    if not sample_ids:
        return {}
    query = (
        sa.select(NoticeEntry.sample_id, Notice)
        .join(Notice, Notice.id == NoticeEntry.notice_id)
        .where(NoticeEntry.sample_id.in_(sample_ids))
        .order_by(Notice.published_at, Notice.id)
    )
    return {sample_id: notice for sample_id, notice in db.session.execute(query)}


def _count(query: sa.Select) -> int:
    return db.session.scalar(query)


def _facet(field: str, filters: SampleFilters) -> list[dict]:
    count = sa.func.count(Sample.id)
    if field == "verdict":
        rows = db.session.execute(
            _samples_select([TestReport.passed, count], filters).group_by(TestReport.passed)
        )
        terms = [("pass" if passed else "fail", None, n) for passed, n in rows]
    elif field == "month":
        year = sa.extract("year", Sample.sampled_on)
        month = sa.extract("month", Sample.sampled_on)
        rows = db.session.execute(
            _samples_select([year, month, count], filters).group_by(year, month)
        )
        terms = [(f"{int(y):04d}-{int(m):02d}", None, n) for y, m, n in rows]
    else:
        model, key, join_on = {
            "category": (FoodCategory, FoodCategory.code, Candidate.food_category_code),
            "venue_type": (VenueType, VenueType.key, Venue.venue_type_key),
            "district": (District, District.code, Venue.district_code),
        }[field]
        rows = db.session.execute(
            _samples_select([key, model.name_zh, count], filters)
            .join(model, key == join_on)
            .group_by(key, model.name_zh)
        )
        terms = list(rows)
    if field == "month":
        terms.sort(key=lambda term: term[0])
    else:
        terms.sort(key=lambda term: (-term[2], term[0]))
    return [{"term": term, "name": name, "count": n} for term, name, n in terms]


@bp.get("/samples")
def samples():
    filters = _sample_filters()
    page = _page_arg()
    field = _choice_arg("count", COUNT_FIELDS)
    total = _count(_samples_select([sa.func.count(Sample.id)], filters))
    if field is not None:
        return _json({"meta": {"total": total, "field": field}, "results": _facet(field, filters)})
    base = _base_url()
    rows = _sample_rows(filters, page.size, page.offset)
    return _json(
        {
            "meta": page.meta(total),
            "results": [serializers.sample(s, r, n, base) for s, r, n in rows],
        }
    )


@bp.get("/samples/<sample_number>")
def sample(sample_number: str):
    number = sample_number.strip()
    rows = []
    if len(number) <= 40 and not _CONTROL.search(number):
        rows = _sample_rows(SampleFilters(number=number), 1, results=True)
    if not rows:
        raise ApiError(404, f"未找到已公告的样品 {sample_number[:40]}")
    return _json(serializers.sample_detail(*rows[0], _base_url()))


@bp.get("/samples.csv")
@limiter.limit("30/minute")
def samples_csv():
    filters = _sample_filters()
    total = _count(_samples_select([sa.func.count(Sample.id)], filters))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(serializers.csv_headers())
    base, chunk = _base_url(), 1000
    for offset in range(0, min(total, CSV_MAX_ROWS), chunk):
        size = min(chunk, CSV_MAX_ROWS - offset)
        for row in _sample_rows(filters, size, offset):
            writer.writerow(serializers.csv_row(serializers.sample(*row, base)))
        db.session.expunge_all()  # keep memory flat over 10,000 rows
    response = Response(buffer.getvalue().encode("utf-8-sig"), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="samples.csv"'
    response.headers["X-Total-Count"] = str(total)
    if total > CSV_MAX_ROWS:
        response.headers["X-Truncated"] = str(CSV_MAX_ROWS)
    return response


# --- Item results --------------------------------------------------------------------------------


@bp.get("/results")
def results():
    item = _text_arg("item")
    food = _text_arg("food")
    passed = _verdict_arg()
    categories = _category_codes(_text_arg("category"))
    number = _text_arg("sample_number")
    page = _page_arg()

    def select(columns: list) -> sa.Select:
        query = (
            sa.select(*columns)
            .select_from(Result)
            .join(TestReport, TestReport.id == Result.report_id)
            .join(Sample, Sample.id == TestReport.sample_id)
            .join(Task, Task.id == Sample.task_id)
            .join(Candidate, Candidate.id == Task.food_candidate_id)
            .join(TestItem, TestItem.id == Result.test_item_id)
        )
        query = _published(query)
        if item:
            query = query.where(TestItem.name.icontains(item, autoescape=True))
        if food:
            query = query.where(Sample.product_name.icontains(food, autoescape=True))
        if passed is not None:
            query = query.where(Result.passed.is_(passed))
        if categories is not None:
            query = query.where(Candidate.food_category_code.in_(categories))
        if number:
            query = query.where(Sample.official_number.in_(sorted({number, number.upper()})))
        return query

    total = _count(select([sa.func.count(Result.id)]))
    query = (
        select([Result, Sample])
        .options(
            contains_eager(Result.test_item),
            contains_eager(Sample.task)
            .contains_eager(Task.food)
            .joinedload(Candidate.food_category),
        )
        .order_by(Sample.sampled_on.desc(), Sample.id.desc(), Result.id)
        .limit(page.size)
        .offset(page.offset)
    )
    rows = db.session.execute(query).unique().all()
    return _json(
        {
            "meta": page.meta(total),
            "results": [serializers.result_row(result, s) for result, s in rows],
        }
    )


# --- Notices -------------------------------------------------------------------------------------


def _notice_rows(where: list, limit: int, offset: int = 0) -> list[tuple]:
    """(notice, number of samples, the correction that superseded it) for one page."""
    entries = (
        sa.select(sa.func.count(NoticeEntry.id))
        .where(NoticeEntry.notice_id == Notice.id)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(Notice, entries)
        .where(*where)
        .options(joinedload(Notice.supersedes))
        .order_by(Notice.published_on.desc(), Notice.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    ids = [notice.id for notice, _ in rows]
    later = {
        notice.supersedes_id: notice
        for notice in db.session.scalars(
            sa.select(Notice).where(Notice.supersedes_id.in_(ids)).order_by(Notice.id)
        )
    }
    return [(notice, count, later.get(notice.id)) for notice, count in rows]


def _notices(where: list, limit: int, offset: int = 0) -> list[dict]:
    base = _base_url()
    return [serializers.notice(*row, base) for row in _notice_rows(where, limit, offset)]


@bp.get("/notices")
def notices():
    where = []
    status = _choice_arg("status", tuple(status.value for status in NoticeStatus))
    if status is not None:
        where.append(Notice.status == NoticeStatus(status))
    year = _int_arg("year", None, 2000, 9999)
    if year is not None:
        where.append(Notice.year == year)
    page = _page_arg()
    total = _count(sa.select(sa.func.count(Notice.id)).where(*where))
    return _json({"meta": page.meta(total), "results": _notices(where, page.size, page.offset)})


@bp.get("/notices/<int:notice_id>")
def notice(notice_id: int):
    found = _notices([Notice.id == notice_id], 1) if notice_id <= MAX_ID else []
    if not found:
        raise ApiError(404, "未找到该公告。")
    numbers = db.session.scalars(
        sa.select(Sample.official_number)
        .join(NoticeEntry, NoticeEntry.sample_id == Sample.id)
        .where(NoticeEntry.notice_id == notice_id)
        .order_by(NoticeEntry.position)
    )
    return _json(found[0] | {"sample_numbers": list(numbers)})


def _tag(day: str, specific: str) -> str:
    host = urlsplit(_base_url()).hostname or "localhost"
    return f"tag:{host},{day}:{specific}"


def _atom(parent: ET.Element, tag: str, text: str | None = None, **attributes) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = text
    return element


@bp.get("/notices.atom")
def notices_atom():
    base = _base_url()
    rows = _notice_rows([], FEED_ENTRIES)
    feed = ET.Element("feed", {"xmlns": ATOM, "xml:lang": "zh-CN"})
    _atom(feed, "id", _tag(FEED_TAG_DATE, "notices"))
    _atom(feed, "title", f"{BUREAU}食品安全抽检信息公告")
    # A notice changes once: when a correction supersedes it.
    changed = {notice_.id: (later or notice_).published_at for notice_, _, later in rows}
    _atom(feed, "updated", serializers.iso_datetime(max(changed.values(), default=utcnow())))
    _atom(feed, "link", rel="self", type="application/atom+xml", href=f"{base}{request.path}")
    _atom(feed, "link", rel="alternate", type="text/html", href=f"{base}/notices")
    _atom(_atom(feed, "author"), "name", BUREAU)
    for notice_, count, superseded_by in rows:
        data = serializers.notice(notice_, count, superseded_by, base)
        entry = _atom(feed, "entry")
        _atom(entry, "id", _tag(notice_.published_on.isoformat(), f"notice/{notice_.id}"))
        title = data["number"]
        if data["status"] == NoticeStatus.SUPERSEDED.value:
            title += "（已被更正）"
        _atom(entry, "title", title)
        _atom(entry, "updated", serializers.iso_datetime(changed[notice_.id]))
        _atom(entry, "published", serializers.iso_datetime(notice_.published_at))
        _atom(entry, "link", rel="alternate", type="text/html", href=data["html_url"])
        _atom(entry, "link", rel="enclosure", type="application/pdf", href=data["pdf_url"])
        summary = (
            f"{data['title']}。任务来源：{data['task_source']}。共 {data['sample_count']} 批次。"
        )
        if data["supersedes"]:
            summary += f"更正并替代：{data['supersedes']['number']}。"
        _atom(entry, "summary", summary, type="text")
    body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return Response(body, mimetype="application/atom+xml")


# --- Venues and rounds ---------------------------------------------------------------------------


@bp.get("/venues")
def venues():
    where = [Venue.active.is_(True)]
    district = _text_arg("district")
    if district:
        where.append(Venue.district_code == district)
    kind = _text_arg("venue_type")
    if kind:
        where.append(Venue.venue_type_key == kind)
    q = _text_arg("q")
    if q:
        where.append(
            sa.or_(
                Venue.name.icontains(q, autoescape=True),
                Venue.address.icontains(q, autoescape=True),
            )
        )
    page = _page_arg()
    total = _count(sa.select(sa.func.count(Venue.id)).where(*where))
    rows = db.session.scalars(
        sa.select(Venue)
        .where(*where)
        .options(joinedload(Venue.district), joinedload(Venue.venue_type))
        .order_by(Venue.created_at.desc(), Venue.id.desc())
        .limit(page.size)
        .offset(page.offset)
    )
    return _json({"meta": page.meta(total), "results": [serializers.venue(v) for v in rows]})


@bp.get("/rounds")
def rounds():
    where = [Round.status != RoundStatus.DRAFT]
    page = _page_arg()
    total = _count(sa.select(sa.func.count(Round.id)).where(*where))
    page_rounds = db.session.scalars(
        sa.select(Round)
        .where(*where)
        .options(selectinload(Round.candidates).joinedload(Candidate.food_category))
        .order_by(Round.opens_at.desc(), Round.id.desc())
        .limit(page.size)
        .offset(page.offset)
    ).all()
    now = utcnow()
    phases = {r.id: public_phase(r, now) for r in page_rounds}
    visible = [r.id for r in page_rounds if counts_visible(r, now)]
    counts: dict[int, dict[int, int]] = {round_id: {} for round_id in visible}
    ballots: dict[int, int] = dict.fromkeys(visible, 0)
    if visible:
        food_picks = (
            sa.select(BallotPick.round_id, BallotPick.candidate_id, sa.func.count())
            .join(Candidate, Candidate.id == BallotPick.candidate_id)
            .where(BallotPick.round_id.in_(visible), Candidate.kind == CandidateKind.FOOD)
            .group_by(BallotPick.round_id, BallotPick.candidate_id)
        )
        for round_id, candidate_id, n in db.session.execute(food_picks):
            counts[round_id][candidate_id] = n
        ballots.update(
            db.session.execute(
                sa.select(Ballot.round_id, sa.func.count())
                .where(Ballot.round_id.in_(visible))
                .group_by(Ballot.round_id)
            ).all()
        )
    return _json(
        {
            "meta": page.meta(total),
            "results": [
                serializers.round_(r, phases[r.id], counts.get(r.id), ballots.get(r.id))
                for r in page_rounds
            ],
        }
    )


@bp.get("/openapi.json")
def openapi():
    return _json(openapi_document())

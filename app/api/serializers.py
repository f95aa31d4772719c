"""Plain functions turning published records into the open-data API's JSON-ready dicts."""

from datetime import UTC, date, datetime

from app.lab.models import Result, TestReport
from app.publishing.models import Notice
from app.reference.models import District, FoodCategory, Venue, VenueType
from app.sampling.models import PortionKind, Sample
from app.voting.models import Candidate, CandidateKind, Round

# The CSV export's columns: (Chinese header, key of the sample dict or a function of it).
CSV_COLUMNS = [
    ("抽样编号", lambda s: s["sample_number"]),
    ("标称生产企业名称", lambda s: s["producer_name"]),
    ("标称生产企业地址", lambda s: s["producer_address"]),
    ("被抽样单位名称", lambda s: s["business_name"]),
    ("被抽样单位地址", lambda s: s["business_address"]),
    ("食品名称", lambda s: s["food_name"]),
    ("规格型号", lambda s: s["specification"]),
    ("商标", lambda s: s["brand"]),
    ("生产日期/批号", lambda s: s["batch"]),
    ("分类代码", lambda s: s["category"]["code"]),
    ("分类", lambda s: s["category"]["name"]),
    ("区县", lambda s: s["district"]["name"]),
    ("抽样场所类型", lambda s: s["venue_type"]["name"]),
    ("抽样日期", lambda s: s["sampled_on"]),
    ("检验结论", lambda s: "合格" if s["verdict"] == "pass" else "不合格"),
    ("不合格项目║检验结果║标准值", lambda s: s["failed_items"]),
    ("公告号", lambda s: s["notice"]["number"]),
    ("公告日期", lambda s: s["notice"]["published_on"]),
    ("任务来源/项目名称", lambda s: s["notice"]["task_source"]),
    ("检验机构", lambda s: s["lab"]),
    ("追溯链接", lambda s: s["tracking_url"]),
]
# Spreadsheet programs run a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_or_none(value: str | None) -> str | None:
    """An empty form field is published as null (the notice PDF writes "/")."""
    return (value or "").strip() or None


def iso_date(value: date | None) -> str | None:
    return value.isoformat() if value else None


def iso_datetime(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def category(value: FoodCategory) -> dict:
    return {"code": value.code, "name": value.name_zh}


def district(value: District) -> dict:
    return {"code": value.code, "name": value.name_zh}


def venue_type(value: VenueType) -> dict:
    return {"key": value.key, "name": value.name_zh}


def batch(sample: Sample) -> str | None:
    """生产日期/批号 as the notice prints it: the production date, then the batch number."""
    parts = [iso_date(sample.production_date) or "", sample.batch_number.strip()]
    return " ".join(part for part in parts if part) or None


def tracking_url(sample: Sample, base_url: str) -> str:
    return f"{base_url}/t/{sample.portion(PortionKind.TEST).code}"


def notice_reference(notice: Notice) -> dict:
    return {
        "id": notice.id,
        "number": notice.number,
        "published_on": iso_date(notice.published_on),
        "task_source": notice.task_source,
    }


def sample(sample: Sample, report: TestReport, notice: Notice, base_url: str) -> dict:
    """One published sample: the fields RULES.md § Publication lists, nothing personal."""
    venue = sample.task.venue
    return {
        "sample_number": sample.official_number,
        "producer_name": text_or_none(sample.producer_name),
        "producer_address": text_or_none(sample.producer_address),
        "business_name": venue.name,
        "business_address": venue.address,
        "food_name": sample.product_name,
        "specification": text_or_none(sample.specification),
        "brand": text_or_none(sample.brand),
        "batch": batch(sample),
        "category": category(sample.task.food.food_category),
        "district": district(venue.district),
        "venue_type": venue_type(venue.venue_type),
        "sampled_on": iso_date(sample.sampled_on),
        "verdict": "pass" if report.passed else "fail",
        "failed_items": text_or_none(report.failed_text),
        "notice": notice_reference(notice),
        "lab": report.lab.name,
        "tracking_url": tracking_url(sample, base_url),
    }


def item_result(result: Result) -> dict:
    return {
        "item": result.test_item.name,
        "result_text": result.result_text,
        "limit_text": result.limit_text,
        "passed": result.passed,
    }


def sample_detail(sample_: Sample, report: TestReport, notice: Notice, base_url: str) -> dict:
    return sample(sample_, report, notice, base_url) | {
        "results": [item_result(result) for result in report.results]
    }


def result_row(result: Result, sample_: Sample) -> dict:
    """One test item's published result, with the sample it belongs to."""
    return {
        "sample_number": sample_.official_number,
        "food_name": sample_.product_name,
        "category": category(sample_.task.food.food_category),
        "sampled_on": iso_date(sample_.sampled_on),
    } | item_result(result)


def _notice_link(notice: Notice | None) -> dict | None:
    return None if notice is None else {"id": notice.id, "number": notice.number}


def notice(notice_: Notice, sample_count: int, superseded_by: Notice | None, base_url: str) -> dict:
    return {
        "id": notice_.id,
        "number": notice_.number,
        "title": notice_.title,
        "task_source": notice_.task_source,
        "published_on": iso_date(notice_.published_on),
        "status": notice_.status.value,
        "sha256": notice_.sha256,
        "supersedes": _notice_link(notice_.supersedes),
        "superseded_by": _notice_link(superseded_by),
        "sample_count": sample_count,
        "html_url": f"{base_url}/notices/{notice_.id}",
        "pdf_url": f"{base_url}/notices/{notice_.id}.pdf",
    }


def venue(value: Venue) -> dict:
    """Registry information only: no credit code, licence or contact."""
    return {
        "id": value.id,
        "name": value.name,
        "address": value.address,
        "district": district(value.district),
        "venue_type": venue_type(value.venue_type),
    }


def food_candidate(candidate: Candidate, votes: int | None) -> dict:
    return {
        "id": candidate.id,
        "label": candidate.label,
        "category": category(candidate.food_category),
        "votes": votes,
    }


def round_(value: Round, phase: str, counts: dict[int, int] | None, ballots: int | None) -> dict:
    """A published round; counts is None while the round hides them."""
    return {
        "id": value.id,
        "title": value.title,
        "description": text_or_none(value.description),
        "theme": value.theme.value,
        "status": value.status.value,
        "phase": phase,
        "opens_at": iso_datetime(value.opens_at),
        "closes_at": iso_datetime(value.closes_at),
        "counts_visible": counts is not None,
        "ballots": ballots,
        "foods": [
            food_candidate(candidate, None if counts is None else counts.get(candidate.id, 0))
            for candidate in value.candidates_of(CandidateKind.FOOD)
        ],
    }


def csv_cell(value: str | None) -> str:
    """A cell as the notice writes it ("/" when empty), defused against formula injection."""
    text = value or "/"
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_row(sample_dict: dict) -> list[str]:
    return [csv_cell(column(sample_dict)) for _, column in CSV_COLUMNS]


def csv_headers() -> list[str]:
    return [header for header, _ in CSV_COLUMNS]

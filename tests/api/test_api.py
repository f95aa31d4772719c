"""The open-data API: published information only, filters, pages, facets, CSV, Atom, errors,
privacy, and every response against the OpenAPI document."""

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from xml.etree import ElementTree as ET

import pytest
import sqlalchemy as sa
from jsonschema import Draft202012Validator

from app import create_app
from app.accounts.models import Role, User
from app.api.routes import bp
from app.clock import utcnow
from app.extensions import db
from app.lab import services as lab
from app.lab.models import Result
from app.publishing import services as publishing
from app.publishing.models import Notice
from app.sampling.models import PortionKind, SamplePhoto
from app.sampling.services import receive, record_sample
from app.voting.models import CandidateKind, Resident
from app.voting.services import submit_ballot
from tests.factories import (
    ids,
    make_lab,
    make_released_task,
    make_resident,
    make_round,
    make_user,
    make_venue,
    sampling_record,
)

ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "http://127.0.0.1:5000"  # PUBLIC_BASE_URL in the test configuration


# --- Fixtures (shared with test_schemathesis.py, which imports them) -----------------------------


@pytest.fixture(scope="session")
def api_app(app):
    """The session app once create_app() registers the API; until then an app of our own on
    the same database (Flask refuses a blueprint after the session app's first request)."""
    if "api" in app.blueprints:
        yield app
        return
    own = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "PHOTO_DIR": app.config["PHOTO_DIR"],
        },
    )
    own.register_blueprint(bp)
    yield own
    with own.app_context():
        db.engine.dispose()


@pytest.fixture
def api(api_app):
    return api_app.test_client()


@dataclass
class World:
    numbers: dict[str, str] = field(default_factory=dict)  # name → official number
    rounds_of: dict[str, int] = field(default_factory=dict)  # name → round the sample came from
    notices: dict[str, int] = field(default_factory=dict)
    round_ids: dict[str, int] = field(default_factory=dict)
    venue_ids: dict[str, int] = field(default_factory=dict)
    private: list[str] = field(default_factory=list)


DRAFT = publishing.NoticeDraft(
    title="食品安全监督抽检信息",
    task_source="2026年秋季“你点我检”",
    published_on=date(2026, 11, 27),
)
SIGNER, STALL, LICENCE = "李秘密摊主", "秘摊位17号", "SC10741070299887"
CREDIT_CODE, VENUE_LICENCE, PHONE = "91410700MASECRET01", "JY41070200000017", "13912345678"


def _sample(staff, *, fail: bool, venue, category: str, sampled_on: date, verify=True, **form):
    """A sample taken by the two samplers and tested; `fail` fails its first test item."""
    inspectors, analyst, reviewer = staff
    task, _ = make_released_task(inspectors)
    task.venue_id = venue.id
    task.food.food_category_code = category
    record = sampling_record(
        business_signer=SIGNER, stall_no=STALL, producer_licence=LICENCE, **form
    )
    sample = record_sample(task, record, inspectors[0], utcnow())
    sample.sampled_on = sampled_on
    receive(sample.portion(PortionKind.TEST), analyst, utcnow())
    report = lab.start_testing(sample, analyst, utcnow())
    items = lab.items_for(sample)
    for item in items:
        value = Decimal("1") if fail and item is items[0] else Decimal("0")
        lab.enter_result(report, lab.ResultEntry(item.name, value, False, item.unit), analyst)
    lab.submit_report(report, analyst, utcnow())
    if verify:
        lab.verify_report(report, reviewer, utcnow())
    db.session.flush()
    return sample


SAMPLES = {
    "chives": dict(
        fail=False,
        venue="market",
        category="3302",
        sampled_on=date(2026, 9, 10),
        product_name="韭菜",
        producer_name="新乡绿源农业有限公司",
        producer_address="新乡市牧野区",
        brand="绿源",
        batch_number="B2026",
    ),
    "chives_bad": dict(
        fail=True,
        venue="mall",
        category="3302",
        sampled_on=date(2026, 10, 5),
        product_name="韭菜（散装）",
    ),
    "pork": dict(
        fail=False,
        venue="canteen",
        category="3301",
        sampled_on=date(2026, 10, 20),
        product_name="猪肉",
        producer_name="卫辉肉联厂",
        specification="500g",
    ),
    "rice": dict(
        fail=False,
        venue="mall",
        category="01",
        sampled_on=date(2026, 11, 2),
        product_name="大米",
        producer_name="原阳米业",
        production_date=date(2026, 8, 1),
    ),
    "beans_bad": dict(
        fail=True,
        venue="market",
        category="3302",
        sampled_on=date(2026, 11, 15),
        product_name="豇豆",
    ),
}
NEWEST_FIRST = ["beans_bad", "rice", "pork", "chives_bad", "chives"]


@pytest.fixture
def world(api_app) -> World:
    """Five published samples in three notices (the third corrects the first), a verified but
    unpublished sample and an unverified one; an inactive venue; draft, hidden and open rounds."""
    world = World()
    with api_app.app_context():
        make_lab("新乡市食品药品检验所")
        inspectors = [
            make_user(Role.INSPECTOR, username="sampler-jia", display_name="抽样员甲秘"),
            make_user(Role.INSPECTOR, username="sampler-yi", display_name="抽样员乙秘"),
        ]
        analyst = make_user(Role.LAB_ANALYST, username="analyst-bing", display_name="化验员丙秘")
        reviewer = make_user(Role.LAB_REVIEWER, username="reviewer-ding", display_name="审核丁秘")
        publisher = make_user(Role.PUBLISHER, username="publisher-wu", display_name="发布员戊秘")
        staff = (inspectors, analyst, reviewer)
        venues = {
            "market": make_venue("farmers_market", "410702", name="平原农贸市场"),
            "mall": make_venue("supermarket", "410703", name="胖东来超市"),
            "canteen": make_venue("campus_canteen", "410704", name="新乡一中食堂"),
            "closed": make_venue("supermarket", "410702", name="已停用场所秘"),
        }
        venues["market"].credit_code, venues["market"].licence_no = CREDIT_CODE, VENUE_LICENCE
        venues["closed"].active = False
        world.venue_ids = {name: venue.id for name, venue in venues.items()}

        samples = {
            name: _sample(staff, **(spec | {"venue": venues[spec["venue"]]}))
            for name, spec in SAMPLES.items()
        }
        hidden = _sample(
            staff,
            fail=False,
            venue=venues["market"],
            category="3302",
            sampled_on=date(2026, 11, 20),
            product_name="秘密未公告食品甲",
        )
        unverified = _sample(
            staff,
            fail=True,
            venue=venues["market"],
            category="3302",
            sampled_on=date(2026, 11, 21),
            product_name="秘密未审核食品乙",
            verify=False,
        )
        first = publishing.publish_notice(
            [samples["chives"], samples["chives_bad"], samples["pork"]], DRAFT, publisher, utcnow()
        )
        second = publishing.publish_notice(
            [samples["rice"], samples["beans_bad"]], DRAFT, publisher, utcnow()
        )
        correction = publishing.publish_notice(
            [samples["chives_bad"]], DRAFT, publisher, utcnow(), supersedes=first
        )
        world.notices = {"first": first.id, "second": second.id, "correction": correction.id}
        world.numbers = {name: s.official_number for name, s in samples.items()}
        world.numbers |= {
            "hidden": hidden.official_number,
            "unverified": unverified.official_number,
        }
        world.rounds_of = {name: s.task.food.round_id for name, s in samples.items()}

        draft_round = make_round(publish=False, title="草稿轮次秘")
        hidden_round = make_round(title="隐藏票数轮次", hide_counts=True)
        open_round = make_round(title="公开票数轮次")
        for round_, phone in ((hidden_round, None), (open_round, PHONE)):
            foods = ids(round_, CandidateKind.FOOD, 2)
            submit_ballot(round_.id, make_resident(phone).id, foods, utcnow())
        world.round_ids = {
            "draft": draft_round.id,
            "hidden": hidden_round.id,
            "open": open_round.id,
        }

        everyone = [*samples.values(), hidden, unverified]
        users = db.session.scalars(sa.select(User)).all()
        world.private = [
            *(value for user in users for value in (user.username, user.display_name)),
            SIGNER, STALL, LICENCE, CREDIT_CODE, VENUE_LICENCE, PHONE,
            "已停用场所秘", "草稿轮次秘", "秘密未公告食品甲", "秘密未审核食品乙",
            hidden.official_number, unverified.official_number,
            *(s.portion(PortionKind.BACKUP).code for s in everyone),
            hidden.portion(PortionKind.TEST).code, unverified.portion(PortionKind.TEST).code,
            *db.session.scalars(sa.select(SamplePhoto.stored_name)),
            *db.session.scalars(sa.select(SamplePhoto.sha256)),
            *db.session.scalars(sa.select(Resident.phone_hmac)),
        ]  # fmt: skip
        db.session.commit()
    return world


# --- Helpers -------------------------------------------------------------------------------------


def _get(api, url: str, status: int = 200) -> dict:
    response = api.get(url)
    assert response.status_code == status, (url, response.get_data(as_text=True))
    assert response.mimetype == "application/json"
    return response.get_json()


def _names(world: World, results: list[dict]) -> list[str]:
    by_number = {number: name for name, number in world.numbers.items()}
    return [by_number[result["sample_number"]] for result in results]


def _all_pages(api, url: str) -> list[dict]:
    results, page = [], 1
    while True:
        body = _get(api, f"{url}{'&' if '?' in url else '?'}per_page=100&page={page}")
        results += body["results"]
        if page >= body["meta"]["pages"]:
            return results
        page += 1


# --- Samples -------------------------------------------------------------------------------------


def test_only_published_samples_are_listed_newest_first(api, world):
    body = _get(api, "/api/v1/samples")
    assert body["meta"] == {"total": 5, "page": 1, "per_page": 20, "pages": 1}
    assert _names(world, body["results"]) == NEWEST_FIRST
    chives = body["results"][4]
    assert chives == {
        "sample_number": world.numbers["chives"],
        "producer_name": "新乡绿源农业有限公司",
        "producer_address": "新乡市牧野区",
        "business_name": "平原农贸市场",
        "business_address": "新乡市红旗区人民路1号",
        "food_name": "韭菜",
        "specification": None,
        "brand": "绿源",
        "batch": "B2026",
        "category": {"code": "3302", "name": "蔬菜"},
        "district": {"code": "410702", "name": "红旗区"},
        "venue_type": {"key": "farmers_market", "name": "农贸市场"},
        "sampled_on": "2026-09-10",
        "verdict": "pass",
        "failed_items": None,
        "notice": {
            "id": world.notices["first"],
            "number": "新乡市市场监督管理局食品安全抽检信息公告 2026年第1期",
            "published_on": "2026-11-27",
            "task_source": "2026年秋季“你点我检”",
        },
        "lab": "新乡市食品药品检验所",
        "tracking_url": chives["tracking_url"],
    }
    assert re.fullmatch(rf"{re.escape(BASE)}/t/[0-9A-Z]+", chives["tracking_url"])
    bad = body["results"][3]
    assert bad["verdict"] == "fail" and "║" in bad["failed_items"]
    assert bad["notice"]["id"] == world.notices["correction"]  # the latest notice listing it
    assert bad["producer_name"] is None and bad["venue_type"]["key"] == "supermarket"
    rice = body["results"][1]
    assert rice["batch"] == "2026-08-01" and rice["category"] == {
        "code": "01",
        "name": "粮食加工品",
    }
    assert body["results"][2]["specification"] == "500g"


def test_one_sample_with_its_item_results(api, world):
    body = _get(api, f"/api/v1/samples/{world.numbers['beans_bad']}")
    assert body["sample_number"] == world.numbers["beans_bad"] and body["verdict"] == "fail"
    assert body["results"] and set(body["results"][0]) == {
        "item",
        "result_text",
        "limit_text",
        "passed",
    }
    assert [r["passed"] for r in body["results"]] == [False] + [True] * (len(body["results"]) - 1)
    assert body["results"][0]["item"] in body["failed_items"]
    lower = _get(api, f"/api/v1/samples/{world.numbers['rice'].lower()}")
    assert lower["sample_number"] == world.numbers["rice"]


@pytest.mark.parametrize("which", ["hidden", "unverified", "unknown"])
def test_unpublished_or_unknown_samples_are_404(api, world, which):
    number = world.numbers.get(which, "DC26410700999999")
    body = _get(api, f"/api/v1/samples/{number}", 404)
    assert body["error"]["status"] == 404 and "未找到" in body["error"]["message"]


FILTERS = [
    ("food=韭菜", {"chives", "chives_bad"}),
    ("category=33", {"chives", "chives_bad", "pork", "beans_bad"}),
    ("category=3302", {"chives", "chives_bad", "beans_bad"}),
    ("category=01", {"rice"}),
    ("category=99", set()),
    ("venue_type=supermarket", {"chives_bad", "rice"}),
    ("district=410702", {"chives", "beans_bad"}),
    ("verdict=fail", {"chives_bad", "beans_bad"}),
    ("verdict=pass&venue_type=supermarket", {"rice"}),
    ("from=2026-10-01&to=2026-11-02", {"chives_bad", "pork", "rice"}),
    ("from=2026-11-03", {"beans_bad"}),
    ("from=2026-12-01&to=2026-01-01", set()),
    ("q=胖东来", {"chives_bad", "rice"}),
    ("q=原阳", {"rice"}),
    ("q=猪", {"pork"}),
    ("q=%25", set()),  # LIKE wildcards are matched literally
    ("q=_", set()),
    ("food=&q=", set(NEWEST_FIRST)),  # empty parameters are ignored
]


def test_sample_filters(api, world):
    for query, expected in FILTERS:
        body = _get(api, f"/api/v1/samples?{query}")
        assert set(_names(world, body["results"])) == expected, query
        assert body["meta"]["total"] == len(expected), query


def test_the_round_filter(api, world):
    body = _get(api, f"/api/v1/samples?round={world.rounds_of['pork']}")
    assert _names(world, body["results"]) == ["pork"]
    assert _get(api, "/api/v1/samples?round=999999")["results"] == []


def test_pages_are_stable_and_complete(api, world):
    pages = [_get(api, f"/api/v1/samples?per_page=2&page={n}") for n in (1, 2, 3, 4)]
    assert [p["meta"] for p in pages] == [
        {"total": 5, "page": n, "per_page": 2, "pages": 3} for n in (1, 2, 3, 4)
    ]
    names = [name for page in pages for name in _names(world, page["results"])]
    assert names == NEWEST_FIRST


def test_facets_count_the_filtered_samples(api, world):
    def facet(query):
        body = _get(api, f"/api/v1/samples?{query}")
        return body["meta"], [(r["term"], r["name"], r["count"]) for r in body["results"]]

    assert facet("count=verdict") == (
        {"total": 5, "field": "verdict"},
        [("pass", None, 3), ("fail", None, 2)],
    )
    assert facet("count=category")[1] == [
        ("3302", "蔬菜", 3),
        ("01", "粮食加工品", 1),
        ("3301", "畜禽肉及副产品", 1),
    ]
    assert facet("count=venue_type&verdict=pass")[1] == [
        ("campus_canteen", "学校食堂", 1),
        ("farmers_market", "农贸市场", 1),
        ("supermarket", "商场超市", 1),
    ]
    assert facet("count=district")[1] == [
        ("410702", "红旗区", 2),
        ("410703", "卫滨区", 2),
        ("410704", "凤泉区", 1),
    ]
    assert facet("count=month")[1] == [
        ("2026-09", None, 1),
        ("2026-10", None, 2),
        ("2026-11", None, 2),
    ]
    assert facet("count=month&food=韭菜&verdict=fail") == (
        {"total": 1, "field": "month"},
        [("2026-10", None, 1)],
    )


BAD_REQUESTS = [
    ("/api/v1/samples?page=0", "参数 page 应为 1 到 1000000 的整数"),
    ("/api/v1/samples?page=abc", "参数 page"),
    ("/api/v1/samples?page=1.5", "参数 page"),
    ("/api/v1/samples?page=-1", "参数 page"),
    ("/api/v1/samples?page=99999999999999999999999", "参数 page"),
    ("/api/v1/samples?per_page=101", "参数 per_page 应为 1 到 100 的整数"),
    ("/api/v1/samples?per_page=0", "参数 per_page 应为 1 到 100 的整数"),
    ("/api/v1/samples?from=2026-13-01", "参数 from 应为 YYYY-MM-DD 格式的日期"),
    ("/api/v1/samples?to=20261101", "参数 to 应为 YYYY-MM-DD 格式的日期"),
    ("/api/v1/samples?verdict=maybe", "参数 verdict 只能是 pass、fail 之一"),
    ("/api/v1/samples?count=brand", "参数 count 只能是"),
    ("/api/v1/samples?round=x", "参数 round"),
    ("/api/v1/samples?q=" + "长" * 101, "参数 q 不能超过 100 个字符"),
    ("/api/v1/samples?food=a%00b", "参数 food 含有无效字符"),
    ("/api/v1/samples.csv?verdict=ok", "参数 verdict"),
    ("/api/v1/results?verdict=ok", "参数 verdict"),
    ("/api/v1/results?per_page=1000", "参数 per_page"),
    ("/api/v1/notices?status=draft", "参数 status"),
    ("/api/v1/notices?year=1999", "参数 year"),
    ("/api/v1/venues?page=x", "参数 page"),
    ("/api/v1/rounds?per_page=-5", "参数 per_page"),
]


def test_bad_parameters_are_400_with_a_chinese_message(api, world):
    for url, message in BAD_REQUESTS:
        body = _get(api, url, 400)
        assert body["error"]["status"] == 400 and message in body["error"]["message"], url


# --- Results, notices, venues, rounds ------------------------------------------------------------


def test_item_results(api, api_app, world):
    with api_app.app_context():
        published = db.session.scalar(sa.select(sa.func.count(Result.id)))
    everything = _all_pages(api, "/api/v1/results")
    numbers = {r["sample_number"] for r in everything}
    assert numbers == {world.numbers[name] for name in NEWEST_FIRST}
    assert 0 < len(everything) < published  # the hidden and unverified samples' results are out
    failed = _get(api, "/api/v1/results?verdict=fail")["results"]
    assert {r["sample_number"] for r in failed} == {
        world.numbers["chives_bad"],
        world.numbers["beans_bad"],
    }
    assert all(not r["passed"] for r in failed)
    item = failed[0]["item"]
    by_item = _get(api, f"/api/v1/results?item={item}")["results"]
    assert by_item and all(item in r["item"] for r in by_item)
    rice = _get(api, "/api/v1/results?category=01")["results"]
    assert {r["sample_number"] for r in rice} == {world.numbers["rice"]}
    one = _get(api, f"/api/v1/results?sample_number={world.numbers['pork']}")
    assert {r["food_name"] for r in one["results"]} == {"猪肉"}
    assert _get(api, "/api/v1/results?per_page=1")["meta"]["pages"] == len(everything)


def test_notices_and_corrections(api, api_app, world):
    body = _get(api, "/api/v1/notices")
    ids_ = [n["id"] for n in body["results"]]
    assert ids_ == [world.notices[k] for k in ("correction", "second", "first")]
    correction, second, first = body["results"]
    assert first["status"] == "superseded" and correction["status"] == "published"
    assert first["superseded_by"] == {"id": correction["id"], "number": correction["number"]}
    assert correction["supersedes"] == {"id": first["id"], "number": first["number"]}
    assert second["supersedes"] is None and second["superseded_by"] is None
    assert [n["sample_count"] for n in body["results"]] == [1, 2, 3]
    assert first["pdf_url"] == f"{BASE}/notices/{first['id']}.pdf"
    assert first["html_url"] == f"{BASE}/notices/{first['id']}"
    with api_app.app_context():
        assert first["sha256"] == db.session.get(Notice, first["id"]).sha256
    detail = _get(api, f"/api/v1/notices/{first['id']}")
    assert detail["sample_numbers"] == [world.numbers[n] for n in ("chives", "chives_bad", "pork")]
    assert _get(api, "/api/v1/notices?status=superseded")["meta"]["total"] == 1
    assert _get(api, "/api/v1/notices?year=2026&per_page=1")["meta"]["pages"] == 3
    assert _get(api, "/api/v1/notices?year=2025")["results"] == []
    for missing in (999999, 2**31, 10**30):
        assert _get(api, f"/api/v1/notices/{missing}", 404)["error"]["status"] == 404


def test_active_venues_only_registry_fields(api, world):
    body = _get(api, "/api/v1/venues?per_page=100")
    listed = {v["id"]: v for v in body["results"]}
    assert world.venue_ids["closed"] not in listed
    assert listed[world.venue_ids["market"]] == {
        "id": world.venue_ids["market"],
        "name": "平原农贸市场",
        "address": "新乡市红旗区人民路1号",
        "district": {"code": "410702", "name": "红旗区"},
        "venue_type": {"key": "farmers_market", "name": "农贸市场"},
    }
    malls = _get(api, "/api/v1/venues?venue_type=supermarket&district=410703")["results"]
    assert [v["name"] for v in malls] == ["胖东来超市"]
    assert [v["name"] for v in _get(api, "/api/v1/venues?q=一中")["results"]] == ["新乡一中食堂"]


def test_rounds_are_public_once_published_and_hide_counts_while_open(api, world):
    rounds = {r["id"]: r for r in _all_pages(api, "/api/v1/rounds")}
    assert world.round_ids["draft"] not in rounds
    hidden, open_ = rounds[world.round_ids["hidden"]], rounds[world.round_ids["open"]]
    assert hidden["counts_visible"] is False and hidden["ballots"] is None
    assert hidden["phase"] == "voting" and hidden["status"] == "open"
    assert hidden["foods"] and all(food["votes"] is None for food in hidden["foods"])
    assert open_["counts_visible"] is True and open_["ballots"] == 1
    assert [food["votes"] for food in open_["foods"]] == [1, 1, 0, 0, 0]
    assert open_["foods"][0]["category"] == {"code": "3302", "name": "蔬菜"}
    allocated = rounds[world.rounds_of["rice"]]
    assert allocated["status"] == "allocated" and allocated["phase"] == "closed"
    assert sum(food["votes"] for food in allocated["foods"]) == 2


# --- CSV and Atom --------------------------------------------------------------------------------


def test_csv_export_opens_in_excel(api, world):
    response = api.get("/api/v1/samples.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    header, *data = rows
    assert header[:6] == [
        "抽样编号",
        "标称生产企业名称",
        "标称生产企业地址",
        "被抽样单位名称",
        "被抽样单位地址",
        "食品名称",
    ]
    assert "不合格项目║检验结果║标准值" in header and "追溯链接" in header
    assert [row[0] for row in data] == [world.numbers[name] for name in NEWEST_FIRST]
    chives_bad = dict(zip(header, data[3], strict=True))
    assert chives_bad["标称生产企业名称"] == "/" and chives_bad["检验结论"] == "不合格"
    assert chives_bad["公告号"].endswith("2026年第3期")
    failed = api.get("/api/v1/samples.csv?verdict=fail&food=豇豆").data.decode("utf-8-sig")
    assert [row[0] for row in list(csv.reader(io.StringIO(failed)))[1:]] == [
        world.numbers["beans_bad"]
    ]


def test_atom_feed_lists_the_notices(api, world):
    response = api.get("/api/v1/notices.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}id").startswith("tag:127.0.0.1,")
    assert feed.findtext(f"{ATOM}updated") and feed.find(f"{ATOM}author/{ATOM}name") is not None
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 3
    by_id = {}
    for entry in entries:
        links = {link.get("rel"): link.get("href") for link in entry.findall(f"{ATOM}link")}
        notice_id = int(links["alternate"].rsplit("/", 1)[1])
        assert links["enclosure"] == f"{BASE}/notices/{notice_id}.pdf"
        assert entry.findtext(f"{ATOM}id").startswith("tag:127.0.0.1,2026-11-27:notice/")
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry.findtext(f"{ATOM}updated"))
        by_id[notice_id] = entry.findtext(f"{ATOM}title")
    assert by_id[world.notices["first"]].endswith("（已被更正）")
    assert by_id[world.notices["correction"]].endswith("2026年第3期")


# --- Privacy -------------------------------------------------------------------------------------


def _strings(value):
    """Every key and every value, recursively, as text."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    else:
        yield str(value)


PRIVATE_KEYS = (
    "sampler",
    "signer",
    "stall",
    "phone",
    "photo",
    "custody",
    "actor",
    "resident",
    "licence",
    "credit",
    "analyst",
    "reviewer",
    "username",
    "email",
    "ballot_id",
)


def test_no_private_value_appears_in_any_response(api, world):
    urls = [
        "/api/v1/samples?per_page=100",
        *(f"/api/v1/samples?count={field}" for field in ("category", "venue_type", "district",
                                                          "verdict", "month")),
        *(f"/api/v1/samples/{world.numbers[name]}" for name in NEWEST_FIRST),
        *(f"/api/v1/notices/{notice_id}" for notice_id in world.notices.values()),
        "/api/v1/notices?per_page=100",
        "/api/v1/venues?per_page=100",
        "/api/v1/rounds?per_page=100",
        "/api/v1/openapi.json",
    ]  # fmt: skip
    bodies = [_get(api, url) for url in urls] + [_all_pages(api, "/api/v1/results")]
    texts = [api.get(url).get_data(as_text=True) for url in urls]
    texts += [
        api.get(url).data.decode("utf-8-sig")
        for url in ("/api/v1/samples.csv", "/api/v1/notices.atom")
    ]
    assert len(world.private) > 30
    leaks = []
    for body in bodies:
        strings = list(_strings(body))
        leaks += [value for value in world.private if any(value in s for s in strings)]
        keys = [s for s in strings if s.isidentifier()]
        leaks += [key for key in keys if any(word in key for word in PRIVATE_KEYS)]
    for text in texts:
        leaks += [value for value in world.private if value in text]
    assert not leaks


# --- The OpenAPI document ------------------------------------------------------------------------


@pytest.fixture
def openapi(api):
    document = _get(api, "/api/v1/openapi.json")
    assert document["openapi"].startswith("3.1")
    return document


def _response_schema(document: dict, url: str, status: int) -> dict:
    path = url.split("?")[0]
    for template, item in document["paths"].items():
        pattern = re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            response = item["get"]["responses"][str(status)]
            if "$ref" in response:
                response = document["components"]["responses"][response["$ref"].split("/")[-1]]
            return response["content"]["application/json"]["schema"]
    raise AssertionError(f"{path} is not in the OpenAPI document")


def test_the_document_is_valid_and_covers_every_route(api_app, openapi):
    for schema in openapi["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    routes = {
        re.sub(r"<(?:int:)?(\w+)>", r"{\1}", rule.rule)
        for rule in api_app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.rule != "/api/v1/openapi.json"
    }
    assert routes == set(openapi["paths"])
    for item in openapi["paths"].values():
        assert set(item) == {"get"}


def test_every_response_matches_its_schema(api, world, openapi):
    urls = [
        "/api/v1/samples",
        "/api/v1/samples?per_page=1&page=2&verdict=fail",
        "/api/v1/samples?page=9",
        *(f"/api/v1/samples?count={field}" for field in ("category", "venue_type", "district",
                                                          "verdict", "month")),
        *(f"/api/v1/samples/{world.numbers[name]}" for name in NEWEST_FIRST),
        f"/api/v1/samples/{world.numbers['hidden']}",
        "/api/v1/results",
        "/api/v1/results?verdict=fail",
        "/api/v1/notices",
        *(f"/api/v1/notices/{notice_id}" for notice_id in world.notices.values()),
        "/api/v1/notices/999999",
        "/api/v1/venues",
        "/api/v1/rounds",
        *(url for url, _ in BAD_REQUESTS if ".csv" not in url),
    ]  # fmt: skip
    for url in urls:
        response = api.get(url)
        schema = _response_schema(openapi, url, response.status_code)
        validator = Draft202012Validator(
            schema | {"components": openapi["components"]},
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
        errors = [error.message for error in validator.iter_errors(response.get_json())]
        assert not errors, (url, errors)


def test_a_page_of_samples_costs_the_same_queries_as_one(api, api_app, world):
    statements = []

    def count(*args):
        statements.append(args[2])

    with api_app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        api.get("/api/v1/samples?per_page=1")
        one = len(statements)
        statements.clear()
        api.get("/api/v1/samples?per_page=100")
        assert len(statements) == one <= 6
        statements.clear()
        api.get("/api/v1/results?per_page=100")
        assert len(statements) <= 4
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def test_read_only_and_open_to_other_sites(api, world):
    assert api.post("/api/v1/samples").status_code == 405
    response = api.get("/api/v1/venues")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert json.loads(response.get_data(as_text=True))["meta"]["total"] >= 3

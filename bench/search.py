"""Public search at scale: /results's query over 10 thousand and over 1 million published samples.

Run with `.venv/bin/python bench/search.py` (add `--explain` for the query plans). It needs
PostgreSQL at 127.0.0.1:5432 with trust auth for user postgres (BENCH_POSTGRES_URL, default
postgresql://postgres@127.0.0.1:5432, names another server) and takes about a minute, most
of it loading a million samples with their tasks, portions and reports.

1. It creates a scratch database, applies the schema with `flask db upgrade` and loads the
   reference data with `flask seed reference`.
2. Through the app's services it adds 108 venues (every district × every venue type), two
   inspectors, an analyst, a reviewer, a publisher and three labs.
3. With set-based SQL (INSERT ... SELECT over generate_series, not the ORM) it fills the
   database to 10,000 published samples, in the shape the app gives them: one allocated round
   per 100 samples (20 food candidates, half of them in 食用农产品 (33) and its sub-categories,
   half in other categories), its released plan and 100 sampled tasks (each food at 5 venues,
   spread over the districts), one published sample per task (sampled over five years, two
   distinct samplers, quantities > 0, a unique official number), its test and backup portions
   (unique 10-character codes, 'T'/'B' and the sample id: they need not carry a valid check
   symbol here), and its verified test report (about 5% failed, with failed-item text; one
   sample in 200 also keeps the invalidated report its verified one supersedes). Notices are
   not loaded: the search does not read them. The load transaction sets
   session_replication_role = replica, which skips the foreign-key triggers; anti-joins then
   prove every one of those references holds, and counts prove the shape. NOT NULL, CHECK and
   unique constraints and the indexes are maintained as usual. Then VACUUM ANALYZE (the whole
   database: the venues and reference tables need their statistics too) and a CHECKPOINT, so
   neither hint bits, autovacuum nor the load's dirty pages land inside a measurement.
4. It times `app.publishing.services.search_published` as /results calls it, in an app context
   of create_app("development"): category 33 (with its sub-categories), verdict fail, one
   district (红旗区), page 1, 20 per page. One warm-up call checks the total against a plain SQL
   count and the page's order and size; then WARMUPS more calls and REPEATS measured calls,
   each followed by a rollback (the connection goes back to the pool, as after a request).
5. It adds samples in the same shape up to 1,000,000 (VACUUM ANALYZE, CHECKPOINT) and measures
   again, on the same process and database.
6. It prints one line per size with the median, fastest and slowest call, and drops the
   database (also on error). With --explain it prints, per size, EXPLAIN (ANALYZE, BUFFERS) of
   the count and page statements exactly as search_published sends them.

Its last line is `RESULT search_scaling ratio=<median at 1M / median at 10k> target<=1.5`; it
exits non-zero, with no RESULT line, when a check fails.
"""

import os
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from scratch import (  # noqa: E402
    BenchError,
    migrated_database,
    vacuum_analyze,
)

from app import create_app  # noqa: E402
from app.accounts.models import Role  # noqa: E402
from app.accounts.services import create_user, generate_password  # noqa: E402
from app.extensions import db  # noqa: E402
from app.lab.models import Lab  # noqa: E402
from app.publishing.services import SearchFilters, search_published  # noqa: E402
from app.reference.models import District, VenueType  # noqa: E402
from app.reference.services import create_venue  # noqa: E402

BENCH_KEY = "bench-search-fixed-key-for-a-scratch-database-only"

SIZES = (("10k", 10_000), ("1m", 1_000_000))
SAMPLES_PER_ROUND = 100  # a round's batch budget: 20 foods x 5 venues
VENUES_PER_FOOD = 5
WARMUPS = 10
REPEATS = 61  # a few milliseconds each: many calls steady the median
PER_PAGE = 20
TARGET_RATIO = 1.5
FILTERS = SearchFilters(category="33", verdict="fail", district="410702")

# Twenty foods, one candidate each per round: ten in 33 (食用农产品) and its sub-categories.
FOODS = (
    ("韭菜", "3302"),
    ("豇豆", "3302"),
    ("芹菜", "3302"),
    ("生姜", "3302"),
    ("鸡蛋", "3305"),
    ("猪肉", "3301"),
    ("鸡肉", "3301"),
    ("淡水鱼", "3303"),
    ("香蕉", "3304"),
    ("花生", "3307"),
    ("大米", "01"),
    ("小麦粉", "01"),
    ("花生油", "02"),
    ("酱油", "03"),
    ("火腿肠", "04"),
    ("纯牛奶", "05"),
    ("饮用天然矿泉水", "06"),
    ("月饼", "24"),
    ("豆腐", "25"),
    ("油条", "31"),
)
PRODUCERS = (
    "新乡市丰源食品有限公司",
    "河南金谷粮油有限公司",
    "中原鑫盛调味品有限公司",
    "牧野华康乳业有限公司",
    "新乡市红旗区宏达豆制品厂",
    "河南瑞丰食品有限公司",
    "郑州绿源饮品有限公司",
    "新乡县万家肉制品有限公司",
    "山东恒信食品有限公司",
    "新乡市牧野区王村镇某某食品有限责任公司第二分公司（原新乡市红旗区洪门镇食品加工厂）",
)
BRANDS = ("金龙鱼", "鲁花", "五得利", "海天", "双汇", "伊利", "农夫山泉", "思念", "三全", "白象")
FAILED_TEXTS = (
    "腐霉利║0.52mg/kg║≤0.2mg/kg；毒死蜱║0.08mg/kg║≤0.02mg/kg",
    "恩诺沙星║38.6μg/kg║不得检出",
    "镉（以Cd计）║0.31mg/kg║≤0.2mg/kg",
    "苯甲酸及其钠盐（以苯甲酸计）║1.2g/kg║≤1.0g/kg",
    "菌落总数║3.1×10⁵CFU/g║n=5,c=2,m=10⁴,M=10⁵CFU/g",
    "铝的残留量（干样品，以Al计）║286mg/kg║≤100mg/kg",
)
LABS = ("新乡市食品药品检验所", "河南省食品药品检验所", "河南省产品质量监督检验院")

# Rounds :first..:last, sampled over five years (a hash of the number spreads the dates).
FILL_ROUNDS = """
    INSERT INTO rounds (title, description, theme, status, opens_at, closes_at, max_foods,
                        max_venues, max_test_groups, batch_budget, top_foods, hide_counts,
                        auto_open, created_by_id, created_at, opened_at, closed_at)
    SELECT '压测轮次 ' || i, '', 'general', 'allocated', o, o + interval '7 days', 5, 3, 3,
           :budget, 20, false, false, NULL, o - interval '3 days', o, o + interval '7 days'
    FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS i
    CROSS JOIN LATERAL (
        SELECT timestamptz '2021-01-01 08:00+08' + (i::bigint * 7919 % 1790) * interval '1 day'
    ) AS t(o)
"""
FILL_CANDIDATES = """
    INSERT INTO candidates (round_id, kind, label, position, food_category_code)
    SELECT r.id, 'food', f.label, f.position, f.code
    FROM rounds r
    CROSS JOIN unnest(CAST(:labels AS text[]), CAST(:codes AS text[]))
        WITH ORDINALITY AS f(label, code, position)
    WHERE r.id > :after
"""
FILL_PLANS = """
    INSERT INTO sampling_plans (round_id, status, made_by, created_at, released_at)
    SELECT id, 'released', 'bench', closes_at, closes_at + interval '1 day'
    FROM rounds WHERE id > :after
"""
# Each food candidate at VENUES_PER_FOOD venues: offsets 0, 23, 46, 69 and 92 (mod 108) from a
# start that moves with plan and food, so (plan, food, venue) is unique and districts even.
FILL_TASKS = """
    INSERT INTO tasks (plan_id, food_candidate_id, venue_id, status, inspector_a_id,
                       inspector_b_id, due_on, food_rank, food_votes, venue_votes, venue_rule,
                       note, created_at, updated_at)
    SELECT p.id, c.id,
           (CAST(:venues AS integer[]))[1 + (p.id * 37 + c.position * 11 + j * 23) % :nvenues],
           'sampled', :inspector_a, :inspector_b, (p.released_at + interval '10 days')::date,
           c.position, 1000 - 40 * c.position, 0, 'district_spread', '', p.created_at,
           p.released_at
    FROM sampling_plans p
    JOIN candidates c ON c.round_id = p.round_id AND c.kind = 'food'
    CROSS JOIN generate_series(0, CAST(:per_food AS integer) - 1) AS j
    WHERE p.id > :after
"""
FILL_SAMPLES = """
    INSERT INTO samples (task_id, status, official_number, stage, sampled_at, sampled_on,
                         stall_no, product_name, brand, specification, batch_number,
                         production_date, purchase_date, shelf_life, packaging, unit_price,
                         sampling_base, quantity, backup_quantity, quantity_unit, storage,
                         standard, producer_name, producer_address, producer_licence,
                         business_signer, business_refused_to_sign, sampler_a_id, sampler_b_id,
                         recorded_by_id, lab_due_on, lab_due_unofficial, received_at,
                         report_due_on, seals_intact, rejection_reason, custody_count,
                         custody_head, created_at)
    SELECT t.id, 'published',
           'NCP' || to_char(d.day, 'YY') || '4107' || lpad(t.id::text, 10, '0'),
           CASE WHEN t.id % 10 = 0 THEN 'catering' ELSE 'circulation' END,
           (d.day + time '09:30' + (t.id % 360) * interval '1 minute') AT TIME ZONE :tz, d.day,
           CASE WHEN a.bulk THEN (t.id % 200 + 1)::text || '号摊位' ELSE '' END,
           c.label,
           CASE WHEN a.bulk THEN '' ELSE (CAST(:brands AS text[]))[1 + t.id % :nbrands] END,
           CASE WHEN a.bulk THEN '' ELSE '500g/袋' END,
           CASE WHEN a.bulk THEN '' ELSE 'B' || to_char(d.day - 30, 'YYYYMMDD') END,
           CASE WHEN a.bulk THEN NULL ELSE d.day - 30 END, d.day,
           CASE WHEN a.bulk THEN '' ELSE '12个月' END,
           CASE WHEN a.bulk THEN 'bulk' ELSE 'prepackaged' END,
           round((5 + t.id % 50)::numeric / 2, 2), '50kg', 2, 2,
           CASE WHEN a.bulk THEN 'kg' ELSE '袋' END,
           CASE WHEN c.food_category_code IN ('3301', '3303') THEN 'chilled' ELSE 'ambient' END,
           CASE WHEN a.bulk THEN 'GB 2763-2021' ELSE 'GB 2760-2024' END,
           CASE WHEN a.bulk THEN ''
                ELSE (CAST(:producers AS text[]))[1 + t.id % :nproducers] END,
           CASE WHEN a.bulk THEN '' ELSE '河南省新乡市红旗区工业大道' || (t.id % 300) || '号' END,
           CASE WHEN a.bulk THEN '' ELSE 'SC1014107' || lpad((t.id % 100000)::text, 8, '0') END,
           '王秀英', false, :inspector_a, :inspector_b, :inspector_a, d.day + 7, false,
           (d.day + time '15:00' + interval '1 day') AT TIME ZONE :tz, d.day + 31, true, '', 0,
           NULL, (d.day + time '18:00') AT TIME ZONE :tz
    FROM tasks t
    JOIN candidates c ON c.id = t.food_candidate_id
    CROSS JOIN LATERAL (SELECT (t.due_on - 1 - t.id % 7) AS day) AS d
    CROSS JOIN LATERAL (SELECT c.food_category_code LIKE '33%' AS bulk) AS a
    WHERE t.id > :after
"""
FILL_PORTIONS = """
    INSERT INTO portions (sample_id, kind, code)
    SELECT s.id, k.kind, k.prefix || lpad(s.id::text, 9, '0')
    FROM samples s
    CROSS JOIN (VALUES ('test', 'T'), ('backup', 'B')) AS k(kind, prefix)
    WHERE s.id > :after
"""
# One sample in 200 keeps an invalidated first report that its verified report supersedes.
FILL_INVALIDATED = """
    INSERT INTO test_reports (sample_id, lab_id, status, passed, failed_text, analyst_id,
                              reported_at, reviewer_id, verified_at, return_reason,
                              supersedes_id, correction_reason, created_at)
    SELECT s.id, (CAST(:labs AS integer[]))[1 + s.id % :nlabs], 'invalidated', true, '',
           :analyst, s.received_at + interval '9 days', :reviewer,
           s.received_at + interval '10 days', '', NULL, '', s.received_at
    FROM samples s WHERE s.id > :after AND s.id % 200 = 0
"""
# About 5% fail, from a hash of the sample id (independent of district and food).
FILL_REPORTS = """
    INSERT INTO test_reports (sample_id, lab_id, status, passed, failed_text, analyst_id,
                              reported_at, reviewer_id, verified_at, return_reason,
                              supersedes_id, correction_reason, created_at)
    SELECT s.id, (CAST(:labs AS integer[]))[1 + s.id % :nlabs], 'verified', NOT h.failed,
           CASE WHEN h.failed
                THEN (CAST(:failed_texts AS text[]))[1 + s.id % :nfailed_texts] ELSE '' END,
           :analyst, s.received_at + interval '12 days', :reviewer,
           s.received_at + interval '13 days', '', old.id,
           CASE WHEN old.id IS NULL THEN '' ELSE '复核更正检验结果' END, s.received_at
    FROM samples s
    CROSS JOIN LATERAL (
        SELECT (s.id::bigint * 2654435761 % 1000003) < 50000 AS failed
    ) AS h
    LEFT JOIN test_reports old ON old.sample_id = s.id AND old.status = 'invalidated'
    WHERE s.id > :after
"""

# The public search reads one table filled at publication (see PublishedSample).
FILL_SEARCH_ROWS = """
    INSERT INTO published_samples (sample_id, sampled_on, district_code, venue_type_key,
                                   category_code, category_parent, passed, search_text)
    SELECT s.id, s.sampled_on, v.district_code, v.venue_type_key, c.food_category_code,
           fc.parent_code, r.passed,
           s.product_name || ' ' || s.producer_name || ' ' || v.name || ' ' || s.brand
    FROM samples s
    JOIN tasks t ON t.id = s.task_id
    JOIN venues v ON v.id = t.venue_id
    JOIN candidates c ON c.id = t.food_candidate_id
    JOIN food_categories fc ON fc.code = c.food_category_code
    JOIN test_reports r ON r.sample_id = s.id AND r.status = 'verified'
    WHERE s.id > :after
"""

# Rows that would break a foreign key the load skipped (or a task outside its plan's round).
ORPHANS = {
    "a candidate of no round": """
        SELECT count(*) FROM candidates c LEFT JOIN rounds r ON r.id = c.round_id
        WHERE r.id IS NULL""",
    "a candidate of no food category": """
        SELECT count(*) FROM candidates c
        LEFT JOIN food_categories f ON f.code = c.food_category_code
        WHERE c.food_category_code IS NOT NULL AND f.code IS NULL""",
    "a plan of no round": """
        SELECT count(*) FROM sampling_plans p LEFT JOIN rounds r ON r.id = p.round_id
        WHERE r.id IS NULL""",
    "a task of no plan, or a food candidate outside its plan's round": """
        SELECT count(*) FROM tasks t
        LEFT JOIN sampling_plans p ON p.id = t.plan_id
        LEFT JOIN candidates c ON c.id = t.food_candidate_id
        WHERE p.id IS NULL OR c.id IS NULL OR c.round_id <> p.round_id OR c.kind <> 'food'""",
    "a task at no venue": """
        SELECT count(*) FROM tasks t LEFT JOIN venues v ON v.id = t.venue_id
        WHERE v.id IS NULL""",
    "a task of unknown inspectors": """
        SELECT count(*) FROM tasks t
        LEFT JOIN users a ON a.id = t.inspector_a_id
        LEFT JOIN users b ON b.id = t.inspector_b_id
        WHERE (t.inspector_a_id IS NOT NULL AND a.id IS NULL)
           OR (t.inspector_b_id IS NOT NULL AND b.id IS NULL)""",
    "a sample of no task": """
        SELECT count(*) FROM samples s LEFT JOIN tasks t ON t.id = s.task_id
        WHERE t.id IS NULL""",
    "a sample of unknown samplers": """
        SELECT count(*) FROM samples s
        LEFT JOIN users a ON a.id = s.sampler_a_id
        LEFT JOIN users b ON b.id = s.sampler_b_id
        LEFT JOIN users r ON r.id = s.recorded_by_id
        WHERE a.id IS NULL OR b.id IS NULL OR r.id IS NULL""",
    "a portion of no sample": """
        SELECT count(*) FROM portions o LEFT JOIN samples s ON s.id = o.sample_id
        WHERE s.id IS NULL""",
    "a report of no sample or lab": """
        SELECT count(*) FROM test_reports r
        LEFT JOIN samples s ON s.id = r.sample_id
        LEFT JOIN labs l ON l.id = r.lab_id
        WHERE s.id IS NULL OR l.id IS NULL""",
    "a report of unknown staff": """
        SELECT count(*) FROM test_reports r
        LEFT JOIN users a ON a.id = r.analyst_id
        LEFT JOIN users v ON v.id = r.reviewer_id
        WHERE (r.analyst_id IS NOT NULL AND a.id IS NULL)
           OR (r.reviewer_id IS NOT NULL AND v.id IS NULL)""",
    "a report superseding no report of its sample": """
        SELECT count(*) FROM test_reports r
        LEFT JOIN test_reports o ON o.id = r.supersedes_id
        WHERE r.supersedes_id IS NOT NULL AND (o.id IS NULL OR o.sample_id <> r.sample_id)""",
}
SHAPE = {
    "tasks": "SELECT count(*) FROM tasks",
    "published samples": "SELECT count(*) FROM samples WHERE status = 'published'",
    "portions / 2": "SELECT count(*) / 2 FROM portions",
    "test portions": "SELECT count(*) FROM portions WHERE kind = 'test'",
    "verified reports": "SELECT count(*) FROM test_reports WHERE status = 'verified'",
    "samples with one verified report": """
        SELECT count(*) FROM (
            SELECT sample_id FROM test_reports WHERE status = 'verified'
            GROUP BY sample_id HAVING count(*) = 1) AS one""",
}
# The search's total, written out by hand, to check search_published's.
BARE_COUNT = """
    SELECT count(*)
    FROM samples s
    JOIN test_reports r ON r.sample_id = s.id AND r.status = 'verified'
    JOIN tasks t ON t.id = s.task_id
    JOIN venues v ON v.id = t.venue_id
    JOIN candidates c ON c.id = t.food_candidate_id
    JOIN food_categories f ON f.code = c.food_category_code
    WHERE s.status = 'published' AND r.passed IS false AND v.district_code = :district
      AND (f.code = :category OR f.parent_code = :category)
"""


@dataclass
class Fixture:
    venues: list[int]
    labs: list[int]
    inspectors: tuple[int, int]
    analyst: int
    reviewer: int
    rounds: int = 0  # rounds loaded so far


# --- Database -----------------------------------------------------------------------------------


def scalar(statement: str, **params: object) -> int:
    return db.session.scalar(sa.text(statement), params)


# --- Fixture ------------------------------------------------------------------------------------


def add_venues_staff_and_labs() -> Fixture:
    """A venue per district and venue type, the staff a published sample names, three labs."""
    districts = list(db.session.scalars(sa.select(District).order_by(District.code)))
    types = list(db.session.scalars(sa.select(VenueType).order_by(VenueType.position)))
    venue_ids = []
    for index in range(len(districts) * len(types)):
        district = districts[index % len(districts)]
        venue_type = types[index // len(districts)]
        venue = create_venue(
            name=f"{district.name_zh}{venue_type.name_zh}压测{index + 1:03d}",
            address=f"河南省新乡市{district.name_zh}压测路{index + 1}号",
            district_code=district.code,
            venue_type_key=venue_type.key,
        )
        venue_ids.append(venue.id)

    def user(username: str, name: str, role: Role, district: str | None = None) -> int:
        return create_user(username, name, role, generate_password(), district).id

    inspectors = (
        user("bench-inspector1", "压测抽样员一", Role.INSPECTOR, districts[0].code),
        user("bench-inspector2", "压测抽样员二", Role.INSPECTOR, districts[0].code),
    )
    analyst = user("bench-analyst", "压测检验员", Role.LAB_ANALYST)
    reviewer = user("bench-reviewer", "压测审核员", Role.LAB_REVIEWER)
    user("bench-publisher", "压测发布员", Role.PUBLISHER)
    labs = [Lab(name=name, retest=index == 1) for index, name in enumerate(LABS)]
    db.session.add_all(labs)
    db.session.flush()
    return Fixture(venue_ids, [lab.id for lab in labs], inspectors, analyst, reviewer)


def fill(fixture: Fixture, samples: int) -> None:
    """Add rounds, plans, tasks and published samples until there are `samples` of them."""
    if samples % SAMPLES_PER_ROUND:
        raise BenchError(f"{samples} samples is not a whole number of rounds")
    rounds = samples // SAMPLES_PER_ROUND
    if len(FOODS) * VENUES_PER_FOOD != SAMPLES_PER_ROUND:
        raise BenchError("each round's foods times venues per food must be its budget")
    after = {
        table: scalar(f"SELECT coalesce(max(id), 0) FROM {table}")
        for table in ("rounds", "sampling_plans", "tasks", "samples")
    }
    # Foreign keys are triggers; replica mode skips them for this transaction only, and
    # check_references proves them after.
    db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))
    steps = (
        (FILL_ROUNDS, {"first": fixture.rounds + 1, "last": rounds, "budget": SAMPLES_PER_ROUND}),
        (
            FILL_CANDIDATES,
            {
                "after": after["rounds"],
                "labels": [label for label, _code in FOODS],
                "codes": [code for _label, code in FOODS],
            },
        ),
        (FILL_PLANS, {"after": after["rounds"]}),
        (
            FILL_TASKS,
            {
                "after": after["sampling_plans"],
                "venues": fixture.venues,
                "nvenues": len(fixture.venues),
                "per_food": VENUES_PER_FOOD,
                "inspector_a": fixture.inspectors[0],
                "inspector_b": fixture.inspectors[1],
            },
        ),
        (
            FILL_SAMPLES,
            {
                "after": after["tasks"],
                "brands": list(BRANDS),
                "nbrands": len(BRANDS),
                "producers": list(PRODUCERS),
                "nproducers": len(PRODUCERS),
                "tz": "Asia/Shanghai",
                "inspector_a": fixture.inspectors[0],
                "inspector_b": fixture.inspectors[1],
            },
        ),
        (FILL_PORTIONS, {"after": after["samples"]}),
    )
    staff = {"labs": fixture.labs, "nlabs": len(fixture.labs), "after": after["samples"]}
    staff |= {"analyst": fixture.analyst, "reviewer": fixture.reviewer}
    report_steps = (
        (FILL_INVALIDATED, staff),
        (
            FILL_REPORTS,
            staff | {"failed_texts": list(FAILED_TEXTS), "nfailed_texts": len(FAILED_TEXTS)},
        ),
        (FILL_SEARCH_ROWS, {"after": after["samples"]}),
    )
    for statement, params in (*steps, *report_steps):
        db.session.execute(sa.text(statement), params)
    db.session.commit()
    fixture.rounds = rounds


def check_references() -> None:
    """Every foreign key the fast load skipped holds."""
    for name, query in ORPHANS.items():
        orphans = scalar(query)
        if orphans:
            raise BenchError(f"the load left {orphans} rows with {name}")


def check_shape(samples: int) -> None:
    for name, query in SHAPE.items():
        found = scalar(query)
        if found != samples:
            raise BenchError(f"{name}: {found}, expected {samples}")


def load(flask_app: Flask, database: str, fixture: Fixture, samples: int) -> None:
    with flask_app.app_context():
        started = time.perf_counter()
        fill(fixture, samples)
        filled = time.perf_counter() - started
        check_references()
        check_shape(samples)
        db.session.rollback()
        db.session.remove()
    started = time.perf_counter()
    vacuum_analyze(database)
    vacuumed = time.perf_counter() - started
    print(
        f"loaded up to {samples} published samples in {filled:.1f}s (checked);"
        f" VACUUM ANALYZE + CHECKPOINT {vacuumed:.1f}s",
        flush=True,
    )


# --- Measurement --------------------------------------------------------------------------------


@contextmanager
def captured_statements() -> Iterator[list[tuple[str, object]]]:
    """The SQL statements (and parameters) the engine sends while the block runs."""
    statements: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _executemany) -> None:
        statements.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


def one_search() -> float:
    started = time.perf_counter()
    search_published(FILTERS, 1, PER_PAGE)
    elapsed = time.perf_counter() - started
    db.session.rollback()
    return elapsed


def check_search() -> tuple[int, list[tuple[str, object]]]:
    """One search, checked against a bare count; returns the total and the statements sent."""
    with captured_statements() as statements:
        page = search_published(FILTERS, 1, PER_PAGE)
    expected = scalar(BARE_COUNT, district=FILTERS.district, category=FILTERS.category)
    if page.total != expected:
        raise BenchError(f"search_published counts {page.total}, the bare count {expected}")
    if len(page.items) != min(PER_PAGE, expected):
        raise BenchError(f"the first page holds {len(page.items)} of {expected} matches")
    keys = [(sample.sampled_on, sample.id) for sample, _report in page.items]
    if keys != sorted(keys, reverse=True):
        raise BenchError("the first page is not newest first")
    for sample, report in page.items:
        if report.passed or report.sample_id != sample.id:
            raise BenchError(f"sample {sample.id} is on the page of failed samples")
    db.session.rollback()
    return page.total, statements


def explain(statements: list[tuple[str, object]]) -> None:
    """EXPLAIN ANALYZE of the search's count and page statements, as sent."""
    for statement, parameters in statements:
        if "samples" not in statement:
            continue  # the category's sub-categories
        plan = db.session.connection().exec_driver_sql(
            "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
        )
        print("  " + statement.split("\n")[0][:90] + " ...")
        for (line,) in plan:
            print("    " + line)
        db.session.rollback()


def measure(label: str, show_plans: bool) -> tuple[int, list[float]]:
    total, statements = check_search()
    if show_plans:
        print(f"plans at {label}:")
        explain(statements)
    for _ in range(WARMUPS):
        one_search()
    times = [one_search() for _ in range(REPEATS)]
    return total, times


def main() -> int:
    show_plans = "--explain" in sys.argv[1:]
    database = f"ynwj_bench_search_{os.getpid()}"
    try:
        with migrated_database(database, BENCH_KEY) as version:
            print(f"PostgreSQL {version}, database {database}")
            flask_app = create_app("development")
            with flask_app.app_context():
                fixture = add_venues_staff_and_labs()
                db.session.commit()
                db.session.remove()
            medians = {}
            for label, samples in SIZES:
                load(flask_app, database, fixture, samples)
                with flask_app.app_context():
                    total, times = measure(label, show_plans)
                    db.session.remove()
                    db.engine.dispose()
                medians[label] = statistics.median(times)
                print(
                    f"samples={samples} matches={total} median_ms={medians[label] * 1000:.1f}"
                    f" min_ms={min(times) * 1000:.1f} max_ms={max(times) * 1000:.1f}"
                    f" calls={len(times)}",
                    flush=True,
                )
            ratio = medians["1m"] / medians["10k"]
            print(f"RESULT search_scaling ratio={ratio:.2f} target<={TARGET_RATIO}")
    except BenchError as error:
        print(f"bench-search failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

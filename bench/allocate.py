"""Allocation at scale: a closed round's tally + plan beside a bare GROUP BY over its ballots.

Run with `.venv/bin/python bench/allocate.py`. It needs PostgreSQL at 127.0.0.1:5432 with
trust auth for user postgres (BENCH_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432,
names another server) and takes about a minute, most of it loading 1.1 million ballots and
5.55 million picks.

1. It creates a scratch database, applies the schema with `flask db upgrade` and loads the
   reference data with `flask seed reference`.
2. Through the app's services it adds 200 venues (every district, every venue type), two
   inspectors and three rounds, one per size (10k, 100k and 1M ballots). Each round has 20
   foods, 10 venues, 2 venue types with quotas and 3 test-item groups; budget 100, top 10 foods.
3. It opens the rounds, then fills them with set-based SQL (INSERT ... SELECT over
   generate_series, not the ORM): one resident per ballot (shared by the rounds) and five picks
   per ballot, all valid for the round: three distinct foods drawn with a skew (so the ranking
   has a clear top), one venue and one test-item group. The load transaction sets
   session_replication_role = replica, which skips the foreign-key triggers (row-by-row checks
   that would quadruple the load time); anti-joins then prove every one of those references
   holds. Primary keys, unique constraints and indexes are maintained as usual. It closes the
   rounds and runs VACUUM ANALYZE and a CHECKPOINT, so neither hint bits, autovacuum nor the
   load's dirty pages land inside a measurement.
4. For each size, on the same database session:
   - bare: `SELECT candidate_id, count(*) FROM ballot_picks WHERE round_id = :r
     GROUP BY candidate_id`, all rows fetched;
   - ours: `app.scheduling.services.allocate_round` (compare-and-set, tally, venues and
     history, the pure allocation, the plan and its tasks written and flushed, teams assigned),
     then ROLLBACK so the round is closed again for the next repetition.
   One warm-up of each (it also checks that both tallies agree and that the plan has exactly
   `budget` tasks), then REPEATS measured runs, bare and ours interleaved (the order alternates).
5. It prints one line per size with the medians, and drops the database (also on error).

Its last line is `RESULT allocate_1m ratio=<ours median / bare median at 1M> target<=2.0`; it
exits non-zero, with no RESULT line, when a check fails.
"""

import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

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
from app.clock import utcnow  # noqa: E402
from app.extensions import db  # noqa: E402
from app.reference.models import District, VenueType  # noqa: E402
from app.reference.services import create_venue  # noqa: E402
from app.scheduling.models import Task  # noqa: E402
from app.scheduling.services import allocate_round  # noqa: E402
from app.voting import services as voting  # noqa: E402
from app.voting.models import CandidateKind, RoundTheme  # noqa: E402

BENCH_KEY = "bench-allocate-fixed-key-for-a-scratch-database-only"

SIZES = (("10k", 10_000), ("100k", 100_000), ("1m", 1_000_000))
REPEATS = 5
TARGET_RATIO = 2.0

VENUES = 200
BUDGET = 100
TOP_FOODS = 10
QUOTAS = {"farmers_market": 30, "supermarket": 30}
TEST_GROUPS = ("pesticide", "vet_drug", "contaminant")
VENUE_CANDIDATES = 10
# Twenty foods: the pick generator below relies on 20 for three distinct foods per ballot.
FOODS = (
    ("韭菜", "3302"),
    ("豇豆", "3302"),
    ("芹菜", "3302"),
    ("姜", "3302"),
    ("豆芽", "3302"),
    ("菠菜", "3302"),
    ("油麦菜", "3302"),
    ("鸡蛋", "3305"),
    ("猪肉", "3301"),
    ("牛肉", "3301"),
    ("鸡肉", "3301"),
    ("淡水鱼", "3303"),
    ("虾", "3303"),
    ("香蕉", "3304"),
    ("苹果", "3304"),
    ("大米", "01"),
    ("面粉", "01"),
    ("花生油", "02"),
    ("糕点", "24"),
    ("饮用天然矿泉水", "06"),
)
PICKS_PER_BALLOT = 5

BARE_TALLY = sa.text(
    "SELECT candidate_id, count(*) FROM ballot_picks WHERE round_id = :r GROUP BY candidate_id"
)

FILL_RESIDENTS = """
    INSERT INTO residents (phone_hmac, created_at, last_verified_at)
    SELECT md5(i::text) || md5((i + 1)::text), now(), now()
    FROM generate_series(1, :n) AS i
"""
FILL_BALLOTS = """
    INSERT INTO ballots (round_id, resident_id, version, created_at, updated_at)
    SELECT :r, id, 1, now(), now() FROM residents ORDER BY id LIMIT :n
"""
# Per ballot, from hashes of its id: a first food skewed towards the top of the list (u^2),
# two more at offsets 1-7 and 8-18 from it (distinct among 20), a skewed venue and test group.
FILL_PICKS = """
    WITH b AS (
        SELECT id,
               1 + floor({nf} * power((id::bigint * 2654435761 % 1000003) / 1000003.0, 2))::int
                   AS f,
               id % 7 AS a,
               id % 11 AS c,
               1 + floor({nv} * power((id::bigint * 40503 % 65537) / 65537.0, 2))::int AS v,
               1 + floor({ng} * power((id::bigint * 69069 % 99991) / 99991.0, 2))::int AS g
        FROM ballots WHERE round_id = :r
    )
    INSERT INTO ballot_picks (ballot_id, round_id, candidate_id)
    SELECT b.id, :r, p.candidate_id
    FROM b CROSS JOIN LATERAL (VALUES
        ((ARRAY[{foods}])[b.f]),
        ((ARRAY[{foods}])[1 + (b.f + b.a) % {nf}]),
        ((ARRAY[{foods}])[1 + (b.f + 7 + b.c) % {nf}]),
        ((ARRAY[{venues}])[b.v]),
        ((ARRAY[{groups}])[b.g])
    ) AS p(candidate_id)
"""

# Rows that would break a foreign key (or put a pick in another round than its ballot's).
ORPHANS = {
    "an unknown resident": """
        SELECT count(*) FROM ballots b LEFT JOIN residents r ON r.id = b.resident_id
        WHERE r.id IS NULL""",
    "an unknown round": """
        SELECT count(*) FROM ballots b LEFT JOIN rounds r ON r.id = b.round_id
        WHERE r.id IS NULL""",
    "a pick outside its ballot or round": """
        SELECT count(*) FROM ballot_picks p LEFT JOIN ballots b ON b.id = p.ballot_id
        WHERE b.id IS NULL OR b.round_id <> p.round_id""",
    "a pick of no candidate of its round": """
        SELECT count(*) FROM ballot_picks p
        LEFT JOIN candidates c ON c.id = p.candidate_id AND c.round_id = p.round_id
        WHERE c.id IS NULL""",
}


@dataclass
class BenchRound:
    label: str
    ballots: int
    round_id: int
    foods: list[int]
    venues: list[int]
    groups: list[int]
    picks: int = 0


# --- Database -----------------------------------------------------------------------------------


# --- Fixture ------------------------------------------------------------------------------------


def add_venues_and_staff() -> list[int]:
    """VENUES venues spread over every district and venue type, and two inspectors."""
    districts = list(db.session.scalars(sa.select(District).order_by(District.code)))
    types = list(db.session.scalars(sa.select(VenueType).order_by(VenueType.position)))
    venue_ids = []
    for index in range(VENUES):
        district = districts[index % len(districts)]
        venue_type = types[index // len(districts) % len(types)]
        venue = create_venue(
            name=f"压测场所{index + 1:03d}",
            address=f"新乡市{district.name_zh}压测路{index + 1}号",
            district_code=district.code,
            venue_type_key=venue_type.key,
        )
        venue_ids.append(venue.id)
    for number, district in ((1, districts[0]), (2, districts[1])):
        create_user(
            f"bench-inspector{number}",
            f"压测抽样员{number}",
            Role.INSPECTOR,
            generate_password(),
            district.code,
        )
    return venue_ids


def add_round(label: str, ballots: int, venue_ids: list[int]) -> BenchRound:
    """A published round with the candidates and quotas described at the top."""
    now = utcnow()
    rules = voting.RoundRules(
        title=f"压测分配 {label}",
        theme=RoundTheme.GENERAL,
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=1),
        max_foods=5,
        max_venues=3,
        max_test_groups=2,
        batch_budget=BUDGET,
        top_foods=TOP_FOODS,
        hide_counts=False,
    )
    round_ = voting.create_round(rules, None)
    for name, code in FOODS:
        voting.add_food_candidate(round_, name, code)
    step = len(venue_ids) // VENUE_CANDIDATES
    for venue_id in venue_ids[::step][:VENUE_CANDIDATES]:
        voting.add_venue_candidate(round_, venue_id)
    for type_key, batches in QUOTAS.items():
        voting.add_venue_type_candidate(round_, type_key)
        voting.set_quota(round_, type_key, batches)
    for key in TEST_GROUPS:
        voting.add_test_group_candidate(round_, key)
    voting.open_round(round_, utcnow())

    def ids(kind: CandidateKind) -> list[int]:
        return [candidate.id for candidate in round_.candidates_of(kind)]

    return BenchRound(
        label,
        ballots,
        round_.id,
        ids(CandidateKind.FOOD),
        ids(CandidateKind.VENUE),
        ids(CandidateKind.TEST_GROUP),
    )


def fill_round(bench_round: BenchRound) -> None:
    """Ballots from the first `ballots` residents, PICKS_PER_BALLOT valid picks each."""
    if len(bench_round.foods) != 20:
        raise BenchError("the pick generator needs exactly 20 food candidates")
    params = {"r": bench_round.round_id, "n": bench_round.ballots}
    db.session.execute(sa.text(FILL_BALLOTS), params)

    def array(values: list[int]) -> str:
        return ",".join(str(int(value)) for value in values)

    statement = FILL_PICKS.format(
        nf=len(bench_round.foods),
        nv=len(bench_round.venues),
        ng=len(bench_round.groups),
        foods=array(bench_round.foods),
        venues=array(bench_round.venues),
        groups=array(bench_round.groups),
    )
    bench_round.picks = db.session.execute(sa.text(statement), params).rowcount
    if bench_round.picks != PICKS_PER_BALLOT * bench_round.ballots:
        raise BenchError(f"round {bench_round.label}: {bench_round.picks} picks inserted")


def check_references() -> None:
    """Every foreign key the fast load skipped holds, and every pick is in its ballot's round."""
    for name, query in ORPHANS.items():
        orphans = db.session.scalar(sa.text(query))
        if orphans:
            raise BenchError(f"the load left {orphans} rows with {name}")


def prepare(flask_app: Flask, database: str) -> list[BenchRound]:
    """Venues, staff, three filled and closed rounds, committed and analysed."""
    with flask_app.app_context():
        venue_ids = add_venues_and_staff()
        rounds = [add_round(label, ballots, venue_ids) for label, ballots in SIZES]
        db.session.commit()
        started = time.perf_counter()
        # Foreign keys are triggers; replica mode skips them for this transaction only (the
        # row-by-row checks would take most of the load), and check_references proves them after.
        db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))
        db.session.execute(sa.text(FILL_RESIDENTS), {"n": max(size for _label, size in SIZES)})
        for bench_round in rounds:
            fill_round(bench_round)
        db.session.commit()
        check_references()
        db.session.rollback()
        filled = time.perf_counter() - started
        now = utcnow()
        for bench_round in rounds:
            voting.close_round(voting.get_round(bench_round.round_id), now)
        db.session.commit()
        db.session.remove()
    started = time.perf_counter()
    vacuum_analyze(database, ("residents", "ballots", "ballot_picks"))
    vacuumed = time.perf_counter() - started
    total = sum(r.ballots for r in rounds), sum(r.picks for r in rounds)
    print(
        f"loaded {total[0]} ballots, {total[1]} picks in {filled:.1f}s;"
        f" VACUUM ANALYZE + CHECKPOINT {vacuumed:.1f}s"
    )
    return rounds


# --- Measurement --------------------------------------------------------------------------------


def bare_tally(round_id: int) -> tuple[float, dict[int, int]]:
    started = time.perf_counter()
    rows = db.session.execute(BARE_TALLY, {"r": round_id}).all()
    elapsed = time.perf_counter() - started
    db.session.rollback()
    return elapsed, dict(rows)


def our_allocation(round_id: int, check_budget: bool = False) -> float:
    now = utcnow()
    started = time.perf_counter()
    plan = allocate_round(round_id, now, "bench")
    elapsed = time.perf_counter() - started
    if check_budget:
        tasks = db.session.scalar(
            sa.select(sa.func.count()).select_from(Task).where(Task.plan_id == plan.id)
        )
        if tasks != BUDGET:
            raise BenchError(f"round {round_id}: the plan has {tasks} tasks, not {BUDGET}")
    db.session.rollback()
    return elapsed


def backend_pid() -> int:
    pid = db.session.scalar(sa.text("SELECT pg_backend_pid()"))
    db.session.rollback()
    return pid


def measure(bench_round: BenchRound) -> tuple[float, float]:
    """(bare median, ours median) in seconds, after a checked warm-up of each."""
    _elapsed, bare_counts = bare_tally(bench_round.round_id)
    if sum(bare_counts.values()) != bench_round.picks:
        raise BenchError(f"round {bench_round.label}: the bare tally misses picks")
    if voting.vote_counts(bench_round.round_id) != bare_counts:
        raise BenchError(f"round {bench_round.label}: vote_counts disagrees with the bare tally")
    db.session.rollback()
    our_allocation(bench_round.round_id, check_budget=True)
    pid = backend_pid()
    bare: list[float] = []
    ours: list[float] = []
    runs: tuple[Callable[[], None], Callable[[], None]] = (
        lambda: bare.append(bare_tally(bench_round.round_id)[0]),
        lambda: ours.append(our_allocation(bench_round.round_id)),
    )
    for repeat in range(REPEATS):
        for run in runs if repeat % 2 == 0 else runs[::-1]:
            run()
    if backend_pid() != pid:
        raise BenchError("the measurements did not all run on one database connection")
    return statistics.median(bare), statistics.median(ours)


def main() -> int:
    database = f"ynwj_bench_alloc_{os.getpid()}"
    try:
        with migrated_database(database, BENCH_KEY) as version:
            print(f"PostgreSQL {version}, database {database}")
            flask_app = create_app("development")
            rounds = prepare(flask_app, database)
            ratios = {}
            with flask_app.app_context():
                for bench_round in rounds:
                    bare, ours = measure(bench_round)
                    ratios[bench_round.label] = ours / bare
                    print(
                        f"ballots={bench_round.ballots} picks={bench_round.picks}"
                        f" bare_median_ms={bare * 1000:.1f} ours_median_ms={ours * 1000:.1f}"
                        f" ratio={ours / bare:.2f}",
                        flush=True,
                    )
                db.session.remove()
                db.engine.dispose()
            print(f"RESULT allocate_1m ratio={ratios['1m']:.2f} target<={TARGET_RATIO}")
    except BenchError as error:
        print(f"bench-allocate failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

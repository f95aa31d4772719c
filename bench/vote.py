"""Ballot throughput: how close a ballot comes to the fastest write the same stack can do.

Run with `make bench-vote` or `.venv/bin/python bench/vote.py`. It needs PostgreSQL at
127.0.0.1:5432 with trust auth for user postgres (BENCH_POSTGRES_URL, default
postgresql://postgres@127.0.0.1:5432, names another server) and takes about a minute.

1. It creates a scratch database, applies the schema with `flask db upgrade` and loads the
   reference data with `flask seed reference`.
2. It opens one round with food, venue-type and test-group candidates, creates one verified
   resident per ballot to cast and, for each, a signed session cookie and its CSRF token.
3. gunicorn serves bench/vote_app.py (the app plus POST /bench/baseline, one INSERT with no
   rules) with 2 gthread workers on a free port of 127.0.0.1.
4. A second process (bench/vote_load.py) loads both endpoints with the same client: keep-alive
   connections in threads; every ballot comes from a different resident (a first ballot) and
   the baseline gets the same cookies and form bodies. After a warm-up of each, the measured
   requests run in blocks alternating baseline and ballot, so drift hits both alike.
5. It prints requests, errors, requests/s and p50/p99 latency per endpoint, checks that the
   database holds one row per successful request, and drops the database (also on error).

It exits non-zero, with no RESULT line, when more than 1% of an endpoint's requests fail or the
database disagrees with the client. Otherwise its last line is
`RESULT vote_throughput ratio=<ballot requests/s / baseline requests/s> target>=0.5`.
"""

import http.client
import json
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Flask, session
from flask_wtf.csrf import generate_csrf

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))

from scratch import (  # noqa: E402
    BenchError,
    migrated_database,
)

from app import create_app  # noqa: E402
from app.clock import utcnow  # noqa: E402
from app.extensions import db  # noqa: E402
from app.voting import services as voting  # noqa: E402
from app.voting.models import Ballot, Resident, RoundTheme  # noqa: E402
from app.voting.residents import phone_hmac  # noqa: E402

BENCH_KEY = "bench-vote-fixed-key-for-a-scratch-database-only"

WORKERS = 2
THREADS_PER_WORKER = 4
CONNECTIONS = 8
WARMUP_REQUESTS = 200
BLOCKS = 3
BLOCK_REQUESTS = 1000
LOAD_DEADLINE_SECONDS = 120
READY_TIMEOUT_SECONDS = 30
MAX_ERROR_RATE = 0.01
TARGET_RATIO = 0.5

FOODS = [
    ("韭菜", "3302"),
    ("豇豆", "3302"),
    ("芹菜", "3302"),
    ("鸡蛋", "3305"),
    ("猪肉", "3301"),
    ("大米", "01"),
]
VENUE_TYPES = ["supermarket", "farmers_market"]
TEST_GROUPS = ["pesticide", "vet_drug"]
CREATE_BASELINE_TABLE = """
    CREATE TABLE bench_baseline (
        id serial PRIMARY KEY,
        resident int,
        payload text,
        created_at timestamptz DEFAULT now()
    )
"""


@dataclass
class Fixture:
    round_id: int
    foods: list[int]
    venue_types: list[int]
    test_groups: list[int]
    resident_ids: list[int]

    def picks(self, index: int) -> list[int]:
        """A valid ballot, varied by index: 1-3 foods, at most one venue type and one test group."""
        chosen = [self.foods[(index + k) % len(self.foods)] for k in range(1 + index % 3)]
        if index % 2:
            chosen.append(self.venue_types[index // 2 % len(self.venue_types)])
        if index % 3:
            chosen.append(self.test_groups[index % len(self.test_groups)])
        return chosen


@dataclass
class Summary:
    requests: int
    errors: int
    failures: Counter
    seconds: float
    latencies_ms: list[float]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def percentile_ms(self, share: float) -> float:
        """Nearest-rank percentile of the latencies."""
        ordered = sorted(self.latencies_ms)
        return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


# --- Database and server ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn_server(port: int, log_path: Path) -> Iterator[None]:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(WORKERS),
        "--worker-class",
        "gthread",
        "--threads",
        str(THREADS_PER_WORKER),
        "--bind",
        f"127.0.0.1:{port}",
        "--pythonpath",
        str(BENCH_DIR),
        "--log-level",
        "warning",
        "vote_app:app",
    ]
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_ready(server, port, log_path)
        yield
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def wait_until_ready(server: subprocess.Popen, port: int, log_path: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise BenchError(f"gunicorn exited with {server.returncode}:\n{log_path.read_text()}")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", "/")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.2)
    raise BenchError(f"gunicorn not ready after {READY_TIMEOUT_SECONDS}s:\n{log_path.read_text()}")


# --- Fixture ----------------------------------------------------------------------------------


def prepare_fixture(flask_app: Flask, residents: int) -> Fixture:
    """One open round, the baseline's table and `residents` verified residents, committed."""
    with flask_app.app_context():
        now = utcnow()
        rules = voting.RoundRules(
            title="压测投票",
            theme=RoundTheme.GENERAL,
            opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(days=1),
            max_foods=3,
            max_venues=1,
            max_test_groups=1,
            batch_budget=20,
            top_foods=3,
            hide_counts=False,
        )
        round_ = voting.create_round(rules, None)
        foods = [voting.add_food_candidate(round_, name, code).id for name, code in FOODS]
        venue_types = [voting.add_venue_type_candidate(round_, key).id for key in VENUE_TYPES]
        test_groups = [voting.add_test_group_candidate(round_, key).id for key in TEST_GROUPS]
        voting.open_round(round_, now)
        people = [Resident(phone_hmac=phone_hmac(f"1990{index:07d}")) for index in range(residents)]
        db.session.add_all(people)
        db.session.flush()
        db.session.execute(sa.text(CREATE_BASELINE_TABLE))
        db.session.commit()
        return Fixture(round_.id, foods, venue_types, test_groups, [r.id for r in people])


def signed_sessions(flask_app: Flask, resident_ids: list[int]) -> list[tuple[str, str]]:
    """For each resident, the session cookie a verified phone leaves and its form's CSRF token."""
    serializer = flask_app.session_interface.get_signing_serializer(flask_app)
    cookie_name = flask_app.config["SESSION_COOKIE_NAME"]
    pairs = []
    for resident_id in resident_ids:
        # A fresh context each time: generate_csrf caches its token on the app context's `g`.
        with flask_app.test_request_context():
            session["resident_id"] = resident_id
            token = generate_csrf()
            pairs.append((f"{cookie_name}={serializer.dumps(dict(session))}", token))
    return pairs


def load_plan(port: int, fixture: Fixture, sessions: list[tuple[str, str]]) -> dict:
    """Warm-up, then BLOCKS blocks of baseline then ballot; both get the same requests."""
    requests = [
        (cookie, urlencode([("csrf_token", token)] + [("candidate", c) for c in fixture.picks(i)]))
        for i, (cookie, token) in enumerate(sessions)
    ]
    chunks = [(False, requests[:WARMUP_REQUESTS])] + [
        (True, requests[start : start + BLOCK_REQUESTS])
        for start in range(WARMUP_REQUESTS, len(requests), BLOCK_REQUESTS)
    ]
    return {
        "port": port,
        "connections": CONNECTIONS,
        "deadline_seconds": LOAD_DEADLINE_SECONDS,
        "endpoints": {
            "baseline": {"path": "/bench/baseline", "status": 200, "location": None},
            "ballot": {"path": f"/rounds/{fixture.round_id}", "status": 302, "location": "/my"},
        },
        "phases": [
            {"endpoint": endpoint, "measured": measured, "requests": chunk}
            for measured, chunk in chunks
            for endpoint in ("baseline", "ballot")
        ],
    }


def run_load(plan: dict, workdir: Path) -> list[dict]:
    plan_path = workdir / "plan.json"
    plan_path.write_text(json.dumps(plan))
    try:
        result = subprocess.run(
            [sys.executable, str(BENCH_DIR / "vote_load.py"), str(plan_path)],
            capture_output=True,
            text=True,
            timeout=LOAD_DEADLINE_SECONDS + 30,
        )
    except subprocess.TimeoutExpired as error:
        raise BenchError("the load process did not finish in time") from error
    if result.returncode != 0:
        raise BenchError(f"the load process failed:\n{result.stderr}")
    return json.loads(result.stdout)


def count_rows(flask_app: Flask, round_id: int) -> tuple[int, int]:
    """Ballots in the round and rows in bench_baseline."""
    with flask_app.app_context():
        ballots = db.session.scalar(
            sa.select(sa.func.count()).select_from(Ballot).where(Ballot.round_id == round_id)
        )
        baseline = db.session.scalar(sa.text("SELECT count(*) FROM bench_baseline"))
        db.session.remove()
        db.engine.dispose()
        return ballots, baseline


# --- Report -----------------------------------------------------------------------------------


def summarize(phases: list[dict], endpoint: str) -> Summary:
    mine = [phase for phase in phases if phase["endpoint"] == endpoint and phase["measured"]]
    return Summary(
        requests=sum(phase["requests"] for phase in mine),
        errors=sum(phase["errors"] for phase in mine),
        failures=sum((Counter(phase["failures"]) for phase in mine), Counter()),
        seconds=sum(phase["seconds"] for phase in mine),
        latencies_ms=[latency for phase in mine for latency in phase["latencies_ms"]],
    )


def successes(phases: list[dict], endpoint: str) -> int:
    mine = [phase for phase in phases if phase["endpoint"] == endpoint]
    return sum(phase["requests"] - phase["errors"] for phase in mine)


def server_log_problems(log_path: Path) -> list[str]:
    lines = log_path.read_text(errors="replace").splitlines()
    return [line for line in lines if "Traceback" in line or "ERROR" in line or "Error" in line]


def report(phases: list[dict], plan: dict, counts: tuple[int, int], problems: list[str]) -> None:
    baseline, ballot = summarize(phases, "baseline"), summarize(phases, "ballot")
    print(f"{'endpoint':<31}{'requests':>9}{'errors':>8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}")
    for name, summary in (("baseline", baseline), ("ballot", ballot)):
        label = f"{name} POST {plan['endpoints'][name]['path']}"
        print(
            f"{label:<31}{summary.requests:>9}{summary.errors:>8}{summary.per_second:>9.1f}"
            f"{summary.percentile_ms(0.50):>9.1f}{summary.percentile_ms(0.99):>9.1f}"
        )
    planned = sum(phase["planned"] for phase in phases if phase["measured"])
    made = baseline.requests + ballot.requests
    if made < planned:
        print(f"stopped at the {LOAD_DEADLINE_SECONDS}s deadline: {made} of {planned} requests")
    ballots, baseline_rows = counts
    ballot_ok, baseline_ok = successes(phases, "ballot"), successes(phases, "baseline")
    print(
        f"ballots in the database: {ballots}; successful ballot requests: {ballot_ok}"
        f" (warm-up included)"
    )
    print(f"bench_baseline rows: {baseline_rows}; successful baseline requests: {baseline_ok}")
    if problems:
        print(f"server log: {len(problems)} error lines, first ones:")
        print("\n".join(f"  {line}" for line in problems[:10]))

    for name, summary in (("baseline", baseline), ("ballot", ballot)):
        if summary.errors > MAX_ERROR_RATE * max(summary.requests, 1) or summary.requests == 0:
            raise BenchError(
                f"{name}: {summary.errors} errors in {summary.requests} requests"
                f" {dict(summary.failures)}"
            )
    if ballots != ballot_ok or baseline_rows != baseline_ok:
        raise BenchError("the database and the client disagree on how many writes succeeded")
    ratio = ballot.per_second / baseline.per_second
    print(f"RESULT vote_throughput ratio={ratio:.2f} target>={TARGET_RATIO}")


def main() -> int:
    database = f"ynwj_bench_{os.getpid()}"
    residents = WARMUP_REQUESTS + BLOCKS * BLOCK_REQUESTS
    try:
        with (
            tempfile.TemporaryDirectory(prefix="bench-vote-") as tmp,
            migrated_database(database, BENCH_KEY) as version,
        ):
            workdir = Path(tmp)
            flask_app = create_app("development")
            fixture = prepare_fixture(flask_app, residents)
            port = free_port()
            plan = load_plan(port, fixture, signed_sessions(flask_app, fixture.resident_ids))
            print(
                f"PostgreSQL {version}, database {database}; gunicorn {WORKERS} gthread workers"
                f" x {THREADS_PER_WORKER} threads on 127.0.0.1:{port}"
            )
            print(
                f"client: separate process, {CONNECTIONS} keep-alive connections; warm-up"
                f" {WARMUP_REQUESTS} per endpoint, then {BLOCKS} blocks of {BLOCK_REQUESTS}"
                f" baseline then {BLOCK_REQUESTS} ballots (each from a new resident)"
            )
            log_path = workdir / "gunicorn.log"
            with gunicorn_server(port, log_path):
                phases = run_load(plan, workdir)
            counts = count_rows(flask_app, fixture.round_id)
            report(phases, plan, counts, server_log_problems(log_path))
    except BenchError as error:
        print(f"bench-vote failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What every benchmark needs: a scratch PostgreSQL database and the project's flask commands."""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")


class BenchError(Exception):
    """The bench could not run or its figures cannot be trusted."""


@contextmanager
def scratch_database(name: str) -> Iterator[str]:
    """A new empty database, dropped on the way out; yields PostgreSQL's version."""
    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    with psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True) as admin:
        admin.execute(statement)
        version = admin.execute("SHOW server_version").fetchone()[0]
    try:
        yield version
    finally:
        statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        with psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True) as admin:
            admin.execute(statement)


def flask_command(*args: str) -> None:
    """Run `flask ARGS` in the project (the environment names the database)."""
    result = subprocess.run(
        [sys.executable, "-m", "flask", *args], cwd=ROOT, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise BenchError(f"flask {' '.join(args)} failed:\n{result.stdout}{result.stderr}")

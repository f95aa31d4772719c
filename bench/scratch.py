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


@contextmanager
def migrated_database(name: str, secret_key: str) -> Iterator[str]:
    """A scratch database with the schema (`flask db upgrade`) and the reference data, this
    process's environment pointing the app at it; yields PostgreSQL's version."""
    os.environ.update(
        {
            "APP_ENV": "development",
            "FLASK_APP": "wsgi.py",
            "DATABASE_URL": f"{POSTGRES_URL}/{name}",
            "SECRET_KEY": secret_key,
            "PHONE_HMAC_KEY": secret_key,
        }
    )
    with scratch_database(name) as version:
        flask_command("db", "upgrade")
        flask_command("seed", "reference")
        yield version


def vacuum_analyze(database: str, tables: tuple[str, ...] = ()) -> None:
    """Fresh planner statistics (every table when none are named), and a checkpoint so the
    load's dirty pages are written now rather than during the first measurements."""
    with psycopg.connect(f"{POSTGRES_URL}/{database}", autocommit=True) as connection:
        if tables:
            for table in tables:
                connection.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(table)))
        else:
            connection.execute("VACUUM (ANALYZE)")
        connection.execute("CHECKPOINT")

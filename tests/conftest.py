"""Fixtures: one migrated database per run (SQLite file, or DATABASE_URL's PostgreSQL),
emptied of everything but reference data after each test."""

import os
import re
from datetime import timedelta

import flask_migrate
import pytest
import sqlalchemy as sa

from app import create_app
from app.clock import utcnow
from app.extensions import db
from app.reference.services import load_reference_data
from config import _database_url

REFERENCE_TABLES = {
    "districts",
    "venue_types",
    "food_categories",
    "test_item_groups",
    "test_items",
    "category_venue_types",
}


def _test_database_url(tmp_path_factory) -> str:
    if os.environ.get("DATABASE_URL"):
        return _database_url("")
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": _test_database_url(tmp_path_factory),
            "PHOTO_DIR": str(tmp_path_factory.mktemp("photos")),
        },
    )
    with app.app_context():
        flask_migrate.upgrade()
        load_reference_data()
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _empty_tables(request):
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        db.session.rollback()
        for table in reversed(db.metadata.sorted_tables):
            if table.name not in REFERENCE_TABLES:
                db.session.execute(table.delete())
        db.session.commit()
    app.extensions["sms_sender"].outbox.clear()


@pytest.fixture
def ctx(app):
    """An app context for service tests (route tests must not share one with the client)."""
    with app.app_context():
        yield
        db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def is_postgres(app) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


@pytest.fixture
def sms_outbox(app) -> list[tuple[str, str]]:
    return app.extensions["sms_sender"].outbox


def last_code(outbox) -> str:
    return re.search(r"\d{6}", outbox[-1][1]).group(0)


class AuthActions:
    """Sign staff in and out through the real login form."""

    def __init__(self, app, client):
        self._app = app
        self._client = client

    def login(self, username: str, password: str = "correct-horse-battery"):
        return self._client.post("/staff/login", data={"username": username, "password": password})

    def logout(self):
        return self._client.post("/staff/logout")


@pytest.fixture
def auth(app, client):
    return AuthActions(app, client)


@pytest.fixture
def now():
    return utcnow()


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def count_rows(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))

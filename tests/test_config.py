"""Configuration read from the environment; production refuses unsafe settings."""

import pytest

from app import create_app
from config import ProductionConfig, _database_url


@pytest.mark.parametrize("key", ["", "dev", "change-me", "short-key"])
def test_production_refuses_a_missing_or_default_secret_key(monkeypatch, key):
    monkeypatch.setenv("SECRET_KEY", key)
    monkeypatch.setenv("SMS_BACKEND", "http")
    monkeypatch.setenv("SMS_HTTP_URL", "http://127.0.0.1:9/sms")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        ProductionConfig()


def test_production_refuses_the_console_sms_sender(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("SMS_BACKEND", "console")
    with pytest.raises(RuntimeError, match="SMS_BACKEND"):
        ProductionConfig()


def test_production_starts_with_proper_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret-0123456789")
    monkeypatch.setenv("SMS_BACKEND", "http")
    monkeypatch.setenv("SMS_HTTP_URL", "http://127.0.0.1:9/sms")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.db'}")
    app = create_app("production")
    assert app.config["SESSION_COOKIE_SECURE"] and not app.config.get("SMS_SHOW_CODE")


def test_database_urls_get_the_psycopg_driver(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    assert _database_url("x") == "postgresql+psycopg://u@h/db"
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    assert _database_url("x") == "postgresql+psycopg://u@h/db"


def test_trusted_proxy_address_is_used_for_throttles(app, monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXIES", "1")
    proxied = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})

    @proxied.get("/whoami")
    def whoami():
        from flask import request

        return request.remote_addr

    response = proxied.test_client().get("/whoami", headers={"X-Forwarded-For": "203.0.113.5"})
    assert response.text == "203.0.113.5"


def test_web_workers_never_start_a_scheduler():
    import threading

    before = {thread.ident for thread in threading.enumerate()}
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    app.test_client().get("/staff/login")
    started = [t.name for t in threading.enumerate() if t.ident not in before]
    assert started == []

"""Configuration classes; every deployment setting is read from the environment."""

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))

# Known-bad keys: a production start refuses them.
DEFAULT_SECRET_KEYS = {"", "dev", "change-me", "secret", "changeme"}


def _instance_secret_key() -> str:
    """A development key kept in instance/ so sessions survive a restart."""
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _database_url(default_file: str) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres://"):  # Heroku-style URLs name no driver
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url or f"sqlite:///{INSTANCE_DIR / default_file}"


class Config:
    """Settings shared by every environment."""

    def __init__(self) -> None:
        env = os.environ
        self.SECRET_KEY = env.get("SECRET_KEY") or _instance_secret_key()
        # The phone HMAC key must never change once residents exist: a new key orphans every ballot.
        self.PHONE_HMAC_KEY = env.get("PHONE_HMAC_KEY") or self.SECRET_KEY
        self.SQLALCHEMY_DATABASE_URI = _database_url("app.db")
        self.PUBLIC_BASE_URL = env.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
        self.SMS_BACKEND = env.get("SMS_BACKEND", "console")
        self.SMS_HTTP_URL = env.get("SMS_HTTP_URL", "")
        self.SMS_HTTP_TOKEN = env.get("SMS_HTTP_TOKEN", "")
        self.SMS_HTTP_TIMEOUT = float(env.get("SMS_HTTP_TIMEOUT", "5"))
        self.RATELIMIT_STORAGE_URI = env.get("RATELIMIT_STORAGE_URI", "memory://")
        # Sampling photos; the embedded CJK font for labels and notices (None: WenQuanYi).
        self.PHOTO_DIR = env.get("PHOTO_DIR") or str(INSTANCE_DIR / "photos")
        self.CJK_FONT_PATH = env.get("CJK_FONT_PATH") or None
        # How many reverse proxies in front of the app set X-Forwarded-For/-Proto (0: none).
        self.TRUSTED_PROXIES = int(env.get("TRUSTED_PROXIES", "0"))

    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = {"zh_Hans_CN": "中文", "en": "English"}
    # A ballot or a form is a few kilobytes; anything past 1 MiB is refused with 413.
    MAX_CONTENT_LENGTH = 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 512 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    RATELIMIT_HEADERS_ENABLED = True
    # One-time codes and throttles (see app/accounts/throttle.py).
    OTP_TTL_SECONDS = 300
    OTP_MAX_ATTEMPTS = 5
    OTP_RESEND_SECONDS = 60
    THROTTLE_RULES = {
        # scope: (events allowed in the window, window seconds, first lockout seconds)
        "otp_send_phone": (5, 3600, 3600),
        "otp_send_ip": (30, 3600, 3600),
        "otp_fail_phone": (5, 900, 300),
        "otp_fail_ip": (20, 900, 300),
        "login_fail_user": (5, 900, 300),
        "login_fail_ip": (20, 900, 300),
    }
    THROTTLE_MAX_LOCKOUT_SECONDS = 24 * 3600
    SUGGESTION_MAX_LENGTH = 300
    # Sampling plans (see app/scheduling/allocation.py).
    PLAN_CAP_PER_VENUE = 2
    PLAN_RESAMPLE_AFTER_DAYS = 90
    TASK_DUE_DAYS = 10
    # After a failed result (RULES.md; both configurable): notify the business within this
    # many working days, and close the follow-up within this many calendar days.
    FOLLOWUP_NOTIFY_DAYS = 5
    FOLLOWUP_CLOSE_DAYS = 90


class DevelopmentConfig(Config):
    DEBUG = False
    SMS_SHOW_CODE = True


class TestingConfig(Config):
    TESTING = True
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    SMS_SHOW_CODE = False

    def __init__(self) -> None:
        super().__init__()
        self.SECRET_KEY = "test-secret-key-not-for-production"
        self.PHONE_HMAC_KEY = "test-phone-key"
        self.SMS_BACKEND = "fake"
        self.SQLALCHEMY_DATABASE_URI = (
            os.environ.get("DATABASE_URL") and _database_url("") or ("sqlite://")
        )


class ProductionConfig(Config):
    SMS_SHOW_CODE = False
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True

    def __init__(self) -> None:
        env = os.environ
        key = env.get("SECRET_KEY", "")
        if key.strip().lower() in DEFAULT_SECRET_KEYS or len(key) < 32:
            raise RuntimeError(
                "SECRET_KEY must be set to a random value of at least 32 characters in production"
            )
        super().__init__()
        if self.SMS_BACKEND != "http":
            # console shows codes to whoever reads the log; fake sends nothing at all.
            raise RuntimeError("SMS_BACKEND must be 'http' in production (with SMS_HTTP_URL)")
        if not self.SMS_HTTP_URL:
            raise RuntimeError("SMS_HTTP_URL must be set in production")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}

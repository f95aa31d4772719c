"""Staff accounts and the attempt counters that throttle logins and one-time codes."""

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.clock import UTCDateTime, utcnow
from app.extensions import db
from app.reference.models import District, enum_column


class Role(enum.Enum):
    ADMIN = "admin"
    PLANNER = "planner"
    INSPECTOR = "inspector"
    LAB_ANALYST = "lab_analyst"
    LAB_REVIEWER = "lab_reviewer"
    PUBLISHER = "publisher"


class User(UserMixin, db.Model):
    """A member of staff: bureau, inspectors, lab."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(40), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(60))
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    district_code: Mapped[str | None] = mapped_column(sa.ForeignKey("districts.code"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Bumped on deactivation or a password change so that open sessions end.
    session_version: Mapped[int] = mapped_column(default=1)

    district: Mapped[District | None] = relationship()

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username} {self.role.value}>"


class Throttle(db.Model):
    """Recent events for one (scope, key), e.g. failed codes for one phone, and any lockout."""

    __tablename__ = "throttles"

    scope: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # How many lockouts so far: each one lasts twice as long as the one before.
    lockouts: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<Throttle {self.scope}:{self.key} {self.count}>"

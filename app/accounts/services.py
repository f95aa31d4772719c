"""Staff accounts: sign-in with throttling, creation, edits and deactivation."""

import re
import secrets

import sqlalchemy as sa
from flask_babel import gettext as _

from app.accounts import throttle
from app.accounts.models import Role, User
from app.clock import utcnow
from app.errors import DomainError, NotFound
from app.extensions import db
from app.reference.models import District

USERNAME_PATTERN = re.compile(r"^[a-z0-9_.-]{3,40}$")
MIN_PASSWORD_LENGTH = 10


def load_user_from_session(session_id: str) -> User | None:
    """The user for a Flask-Login id "<id>:<version>", if still active and current."""
    user_id, _sep, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def authenticate(username: str, password: str, ip: str) -> User:
    """The active user with these credentials; raises Throttled or DomainError."""
    now = utcnow()
    username = username.strip().lower()
    throttle.ensure_not_locked("login_fail_ip", ip, now)
    throttle.ensure_not_locked("login_fail_user", username, now)
    user = db.session.scalars(sa.select(User).where(User.username == username)).first()
    if user is None or not user.active or not user.check_password(password):
        throttle.record_attempt("login_fail_ip", ip, now)
        throttle.record_attempt("login_fail_user", username, now)
        raise DomainError(_("用户名或密码错误。"))
    throttle.clear_attempts("login_fail_user", username)
    user.last_login_at = now
    db.session.flush()
    return user


def _check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            _("密码至少需要 %(num)d 个字符。", num=MIN_PASSWORD_LENGTH), field="password"
        )


def _check_district(district_code: str | None) -> None:
    if district_code and db.session.get(District, district_code) is None:
        raise DomainError(_("未知的区县。"), field="district_code")


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def create_user(
    username: str,
    display_name: str,
    role: Role,
    password: str,
    district_code: str | None = None,
) -> User:
    """Create a staff account; raises DomainError for a taken username or a weak password."""
    username = username.strip().lower()
    if not USERNAME_PATTERN.match(username):
        raise DomainError(
            _("用户名只能包含小写字母、数字、点、下划线和连字符，长度 3 至 40。"), field="username"
        )
    if db.session.scalars(sa.select(User.id).where(User.username == username)).first():
        raise DomainError(_("用户名已被使用。"), field="username")
    _check_password_strength(password)
    _check_district(district_code)
    user = User(
        username=username,
        display_name=display_name.strip(),
        role=role,
        district_code=district_code or None,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("未找到该用户。"))
    return user


def update_user(
    user: User,
    *,
    display_name: str,
    role: Role,
    district_code: str | None,
    active: bool,
    new_password: str | None,
    acting_user: User,
) -> User:
    """Edit an account; a changed password or deactivation ends the account's open sessions."""
    if user.id == acting_user.id and (not active or role != Role.ADMIN):
        raise DomainError(_("不能停用自己的账号或取消自己的管理员角色。"))
    _check_district(district_code)
    end_sessions = (user.active and not active) or bool(new_password)
    if new_password:
        _check_password_strength(new_password)
        user.set_password(new_password)
    user.display_name = display_name.strip()
    user.role = role
    user.district_code = district_code or None
    user.active = active
    if end_sessions:
        user.session_version += 1
    db.session.flush()
    return user


def list_users() -> list[User]:
    return list(db.session.scalars(sa.select(User).order_by(User.role, User.username)))

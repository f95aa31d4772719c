"""Staff accounts: passwords, throttled sign-in, deactivation."""

from datetime import timedelta

import pytest

from app.accounts import services as accounts
from app.accounts.models import Role
from app.errors import DomainError, Throttled
from tests.factories import PASSWORD, make_user

IP = "192.0.2.10"


def test_passwords_are_hashed(ctx):
    user = make_user(Role.PLANNER)
    assert PASSWORD not in user.password_hash
    assert user.check_password(PASSWORD) and not user.check_password("wrong")


def test_authenticate_checks_password_and_activity(ctx):
    user = make_user(Role.INSPECTOR, username="li.ming")
    assert accounts.authenticate("Li.Ming", PASSWORD, IP).id == user.id
    with pytest.raises(DomainError, match="用户名或密码错误"):
        accounts.authenticate("li.ming", "nope", IP)
    user.active = False
    with pytest.raises(DomainError, match="用户名或密码错误"):
        accounts.authenticate("li.ming", PASSWORD, IP)


def test_failed_logins_lock_the_account_with_a_growing_lockout(ctx, app, now, monkeypatch):
    make_user(Role.ADMIN, username="boss")
    moment = now
    monkeypatch.setattr(accounts, "utcnow", lambda: moment)
    for _ in range(5):
        with pytest.raises(DomainError):
            accounts.authenticate("boss", "wrong", IP)
    with pytest.raises(Throttled) as first:
        accounts.authenticate("boss", PASSWORD, IP)
    assert first.value.retry_after == 300
    moment = now + timedelta(minutes=6)
    assert accounts.authenticate("boss", PASSWORD, IP)  # a success after the lockout works
    for _ in range(5):
        with pytest.raises(DomainError):
            accounts.authenticate("boss", "wrong", "192.0.2.99")
    with pytest.raises(Throttled) as second:
        accounts.authenticate("boss", PASSWORD, IP)
    assert second.value.retry_after == 600


def test_weak_password_and_bad_username_are_refused(ctx):
    with pytest.raises(DomainError, match="至少需要 10 个字符"):
        accounts.create_user("newuser", "新用户", Role.PLANNER, "short")
    with pytest.raises(DomainError, match="用户名只能包含"):
        accounts.create_user("Bad Name!", "新用户", Role.PLANNER, PASSWORD)
    make_user(Role.PLANNER, username="taken")
    with pytest.raises(DomainError, match="已被使用"):
        accounts.create_user("taken", "新用户", Role.PLANNER, PASSWORD)


def test_deactivation_and_password_change_end_sessions(ctx):
    admin = make_user(Role.ADMIN)
    user = make_user(Role.INSPECTOR)
    session_id = user.get_id()
    assert accounts.load_user_from_session(session_id) is user
    accounts.update_user(
        user,
        display_name="x",
        role=Role.INSPECTOR,
        district_code=None,
        active=True,
        new_password="another-long-password",
        acting_user=admin,
    )
    assert accounts.load_user_from_session(session_id) is None
    current = user.get_id()
    accounts.update_user(
        user,
        display_name="x",
        role=Role.INSPECTOR,
        district_code=None,
        active=False,
        new_password=None,
        acting_user=admin,
    )
    assert accounts.load_user_from_session(current) is None


def test_admin_cannot_lock_themselves_out(ctx):
    admin = make_user(Role.ADMIN)
    with pytest.raises(DomainError, match="不能停用自己的账号"):
        accounts.update_user(
            admin,
            display_name="a",
            role=Role.ADMIN,
            district_code=None,
            active=False,
            new_password=None,
            acting_user=admin,
        )


def test_forged_session_ids_load_nobody(ctx):
    assert accounts.load_user_from_session("abc") is None
    assert accounts.load_user_from_session("1") is None
    assert accounts.load_user_from_session("99999:1") is None

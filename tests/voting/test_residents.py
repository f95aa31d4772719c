"""Phone verification: codes, expiry, throttles and the growing lockout."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.errors import DomainError, Throttled
from app.extensions import db
from app.voting import residents
from app.voting.models import OneTimeCode, Resident
from tests.conftest import count_rows

PHONE = "13912345678"
IP = "203.0.113.7"


def test_phone_numbers_are_normalised_or_refused():
    assert residents.normalize_phone("+86 139-1234-5678") == PHONE
    assert residents.normalize_phone("0086 13912345678") == PHONE
    for bad in ("", "12345", "23912345678", "1391234567x", "139123456789"):
        with pytest.raises(DomainError, match="11 位手机号码"):
            residents.normalize_phone(bad)


def test_only_hmacs_are_stored(ctx, now, sms_outbox):
    code = residents.send_code(PHONE, IP, now)
    resident = residents.verify_code(PHONE, code, IP, now)
    db.session.commit()
    stored = db.session.execute(sa.text("SELECT phone_hmac FROM residents")).scalars().all()
    assert stored == [resident.phone_hmac]
    assert PHONE not in resident.phone_hmac and len(resident.phone_hmac) == 64
    code_row = db.session.scalars(sa.select(OneTimeCode)).one()
    assert code not in code_row.code_hmac
    assert sms_outbox[-1][0] == PHONE and code in sms_outbox[-1][1]


def test_same_phone_is_the_same_resident(ctx, now):
    first = residents.verify_code(PHONE, residents.send_code(PHONE, IP, now), IP, now)
    later = now + timedelta(minutes=2)
    again = residents.verify_code(PHONE, residents.send_code(PHONE, IP, later), IP, later)
    assert first.id == again.id
    assert count_rows(Resident) == 1


def test_code_expires(ctx, now, app):
    code = residents.send_code(PHONE, IP, now)
    later = now + timedelta(seconds=app.config["OTP_TTL_SECONDS"] + 1)
    with pytest.raises(residents.CodeRejected, match="已过期"):
        residents.verify_code(PHONE, code, IP, later)


def test_code_works_once(ctx, now):
    code = residents.send_code(PHONE, IP, now)
    residents.verify_code(PHONE, code, IP, now)
    with pytest.raises(DomainError, match="请先获取验证码"):
        residents.verify_code(PHONE, code, IP, now)


def test_a_new_code_replaces_the_old_one(ctx, now):
    old = residents.send_code(PHONE, IP, now)
    later = now + timedelta(seconds=61)
    new = residents.send_code(PHONE, IP, later)
    if old != new:
        with pytest.raises(residents.CodeRejected):
            residents.verify_code(PHONE, old, IP, later)
    assert residents.verify_code(PHONE, new, IP, later)


def test_resend_waits_a_minute(ctx, now):
    residents.send_code(PHONE, IP, now)
    with pytest.raises(Throttled, match="秒后再重新获取"):
        residents.send_code(PHONE, IP, now + timedelta(seconds=10))


def test_sends_per_phone_are_throttled(ctx, now):
    moment = now
    for _ in range(5):
        residents.send_code(PHONE, IP, moment)
        moment += timedelta(seconds=61)
    with pytest.raises(Throttled):
        residents.send_code(PHONE, IP, moment)
    # Another phone from the same address is still served.
    residents.send_code("13800000000", IP, moment)


def test_sends_per_ip_are_throttled(ctx, now):
    for n in range(30):
        residents.send_code(f"1370000{n:04d}", IP, now)
    with pytest.raises(Throttled):
        residents.send_code("13600000000", IP, now)
    residents.send_code("13600000000", "198.51.100.1", now)


def _fail(now, times: int) -> None:
    for _ in range(times):
        with pytest.raises(residents.CodeRejected):
            residents.verify_code(PHONE, "000000", IP, now)


def test_wrong_codes_lock_the_phone_and_the_lockout_grows(ctx, now, app):
    moment = now
    code = residents.send_code(PHONE, IP, moment)
    if code == "000000":  # one chance in a million: pick another wrong code
        code = residents.send_code(PHONE, IP, moment := moment + timedelta(seconds=61))
    _fail(moment, 4)
    # The fifth failure locks the phone for 5 minutes: even the right code is refused.
    with pytest.raises(residents.CodeRejected):
        residents.verify_code(PHONE, "000000", IP, moment)
    with pytest.raises(Throttled) as first_lock:
        residents.verify_code(PHONE, code, IP, moment)
    assert 240 < first_lock.value.retry_after <= 300

    moment += timedelta(minutes=6)
    residents.send_code(PHONE, "198.51.100.9", moment)
    _fail(moment, 5)
    with pytest.raises(Throttled) as second_lock:
        residents.verify_code(PHONE, "123456", IP, moment)
    assert second_lock.value.retry_after > 540  # doubled: 10 minutes


def test_code_is_void_after_too_many_attempts(ctx, now, app):
    code = residents.send_code(PHONE, IP, now)
    app.config["THROTTLE_RULES"]["otp_fail_phone"] = (100, 900, 300)
    try:
        for _ in range(app.config["OTP_MAX_ATTEMPTS"]):
            with pytest.raises(residents.CodeRejected):
                residents.verify_code(PHONE, "000000" if code != "000000" else "111111", IP, now)
        with pytest.raises(DomainError, match="请先获取验证码"):
            residents.verify_code(PHONE, code, IP, now)
    finally:
        app.config["THROTTLE_RULES"]["otp_fail_phone"] = (5, 900, 300)

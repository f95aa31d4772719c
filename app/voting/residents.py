"""Residents prove a phone number with a one-time code; only HMACs are ever stored."""

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.accounts import throttle
from app.accounts.sms import sms_sender
from app.errors import DomainError, Throttled
from app.extensions import db
from app.voting.models import OneTimeCode, Resident

# Mainland mobile numbers: 11 digits starting 13-19.
PHONE_PATTERN = re.compile(r"^1[3-9]\d{9}$")
CODE_PATTERN = re.compile(r"^\d{6}$")


class CodeRejected(DomainError):
    """A wrong or expired code; the attempt counters were updated and must be committed."""


def normalize_phone(raw: str) -> str:
    """The 11-digit mobile number in `raw` (spaces, dashes and +86 allowed); else DomainError."""
    digits = re.sub(r"[\s\-()]", "", raw or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not PHONE_PATTERN.match(digits):
        raise DomainError(_("请输入正确的 11 位手机号码。"), field="phone")
    return digits


def _hmac(value: str) -> str:
    key = current_app.config["PHONE_HMAC_KEY"].encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def phone_hmac(phone: str) -> str:
    return _hmac("phone:" + phone)


def _code_hmac(phone_digest: str, code: str) -> str:
    return _hmac(f"otp:{phone_digest}:{code}")


def send_code(raw_phone: str, ip: str, now: datetime) -> str:
    """Send a new 6-digit code to the phone and return it; raises Throttled when sent too often."""
    phone = normalize_phone(raw_phone)
    digest = phone_hmac(phone)
    throttle.ensure_not_locked("otp_send_ip", ip, now)
    throttle.ensure_not_locked("otp_send_phone", digest, now)
    resend = current_app.config["OTP_RESEND_SECONDS"]
    last = db.session.scalars(
        sa.select(OneTimeCode.created_at)
        .where(OneTimeCode.phone_hmac == digest)
        .order_by(OneTimeCode.created_at.desc())
        .limit(1)
    ).first()
    if last is not None and now - last < timedelta(seconds=resend):
        wait = resend - int((now - last).total_seconds())
        raise Throttled(_("验证码已发送，请 %(num)d 秒后再重新获取。", num=wait), retry_after=wait)
    code = f"{secrets.randbelow(10**6):06d}"
    # A new code replaces any earlier one still pending for this phone.
    db.session.execute(
        sa.update(OneTimeCode)
        .where(OneTimeCode.phone_hmac == digest, OneTimeCode.used_at.is_(None))
        .values(used_at=now)
    )
    ttl = current_app.config["OTP_TTL_SECONDS"]
    db.session.add(
        OneTimeCode(
            phone_hmac=digest,
            code_hmac=_code_hmac(digest, code),
            created_at=now,
            expires_at=now + timedelta(seconds=ttl),
        )
    )
    throttle.record_attempt("otp_send_ip", ip, now)
    throttle.record_attempt("otp_send_phone", digest, now)
    minutes = ttl // 60
    sms_sender().send(
        phone,
        _(
            "【你点我检】验证码 %(code)s，%(num)d 分钟内有效。请勿告诉他人。",
            code=code,
            num=minutes,
        ),
    )
    return code


def _record_failure(code_row: OneTimeCode | None, digest: str, ip: str, now: datetime) -> None:
    if code_row is not None:
        code_row.attempts += 1
        if code_row.attempts >= current_app.config["OTP_MAX_ATTEMPTS"]:
            code_row.used_at = now
    throttle.record_attempt("otp_fail_phone", digest, now)
    throttle.record_attempt("otp_fail_ip", ip, now)


def verify_code(raw_phone: str, code: str, ip: str, now: datetime) -> Resident:
    """The resident for a phone whose code is right; raises CodeRejected or Throttled."""
    phone = normalize_phone(raw_phone)
    digest = phone_hmac(phone)
    throttle.ensure_not_locked("otp_fail_ip", ip, now)
    throttle.ensure_not_locked("otp_fail_phone", digest, now)
    code = (code or "").strip()
    pending = db.session.scalars(
        sa.select(OneTimeCode)
        .where(OneTimeCode.phone_hmac == digest, OneTimeCode.used_at.is_(None))
        .order_by(OneTimeCode.created_at.desc())
        .limit(1)
        .with_for_update()
    ).first()
    if pending is None:
        raise DomainError(_("请先获取验证码。"), field="code")
    if pending.expires_at <= now:
        pending.used_at = now
        db.session.flush()
        raise CodeRejected(_("验证码已过期，请重新获取。"), field="code")
    if not CODE_PATTERN.match(code) or not hmac.compare_digest(
        pending.code_hmac, _code_hmac(digest, code)
    ):
        _record_failure(pending, digest, ip, now)
        db.session.flush()
        raise CodeRejected(_("验证码不正确。"), field="code")
    pending.used_at = now
    throttle.clear_attempts("otp_fail_phone", digest)
    resident = _resident_for(digest, now)
    db.session.flush()
    return resident


def _resident_for(digest: str, now: datetime) -> Resident:
    query = sa.select(Resident).where(Resident.phone_hmac == digest)
    resident = db.session.scalars(query).first()
    if resident is None:
        try:
            with db.session.begin_nested():
                resident = Resident(phone_hmac=digest, created_at=now, last_verified_at=now)
                db.session.add(resident)
        except IntegrityError:
            resident = db.session.scalars(query).one()
    resident.last_verified_at = now
    return resident


def get_resident(resident_id: int | None) -> Resident | None:
    if not resident_id:
        return None
    return db.session.get(Resident, resident_id)

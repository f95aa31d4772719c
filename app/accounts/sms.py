"""Pluggable SMS senders for one-time codes: console (development), fake (tests), http (gateway)."""

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from flask import Flask, current_app
from flask_babel import gettext as _

from app.errors import DomainError

log = logging.getLogger(__name__)


class SmsError(DomainError):
    status_code = 503


@dataclass
class ConsoleSender:
    """Writes the message to the log; development pages also show the code."""

    def send(self, phone: str, message: str) -> None:
        log.warning("SMS to %s: %s", phone, message)


@dataclass
class FakeSender:
    """Keeps every message in memory so tests can read the code."""

    outbox: list[tuple[str, str]] = field(default_factory=list)

    def send(self, phone: str, message: str) -> None:
        self.outbox.append((phone, message))


@dataclass
class HttpSender:
    """POSTs JSON {phone, message} to the configured gateway with a bearer token."""

    url: str
    token: str
    timeout: float

    def send(self, phone: str, message: str) -> None:
        body = json.dumps({"phone": phone, "message": message}).encode()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                if response.status >= 300:
                    raise SmsError(_("短信发送失败，请稍后再试。"))
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            log.error("SMS gateway failed: %s", error)
            raise SmsError(_("短信发送失败，请稍后再试。")) from error


def init_sms(app: Flask) -> None:
    backend = app.config["SMS_BACKEND"]
    if backend == "console":
        sender = ConsoleSender()
    elif backend == "fake":
        sender = FakeSender()
    elif backend == "http":
        sender = HttpSender(
            app.config["SMS_HTTP_URL"], app.config["SMS_HTTP_TOKEN"], app.config["SMS_HTTP_TIMEOUT"]
        )
    else:
        raise RuntimeError(f"unknown SMS_BACKEND {backend!r}: use console, fake or http")
    app.extensions["sms_sender"] = sender


def sms_sender():
    return current_app.extensions["sms_sender"]

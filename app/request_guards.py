"""Checks every request passes before a view sees it."""

from urllib.parse import parse_qsl

from flask import Flask, abort, request


def refuse_undecodable_forms() -> None:
    """A urlencoded body must decode as UTF-8: Werkzeug would keep broken bytes as literal
    "%FF" text, which must never be stored as if the resident had typed it."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    if request.mimetype != "application/x-www-form-urlencoded":
        return
    body = request.get_data(cache=True)  # the form is parsed from this cached copy afterwards
    try:
        parse_qsl(body.decode("ascii"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        abort(400, description="undecodable")


def register_request_guards(app: Flask) -> None:
    app.before_request(refuse_undecodable_forms)

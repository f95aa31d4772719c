"""Checks every request passes before a view sees it."""

from urllib.parse import parse_qsl

from flask import Flask, abort, request

# Forms that carry files may be larger than the 1 MiB every other request is held to.
UPLOAD_LIMITS = {
    "sampling.sample_form": 40 * 1024 * 1024,  # up to six phone photos
    "lab.import_results": 6 * 1024 * 1024,
    "publishing.verify": 30 * 1024 * 1024,
}


def allow_uploads() -> None:
    """Raise the body limit for the upload forms; runs before CSRF protection reads the form."""
    limit = UPLOAD_LIMITS.get(request.endpoint or "")
    if limit:
        request.max_content_length = limit


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
    """Registered before the extensions, so these run before CSRFProtect parses the form."""
    app.before_request(allow_uploads)
    app.before_request(refuse_undecodable_forms)

"""Language choice (Chinese first, English second) and the filters pages use to show times."""

from datetime import datetime

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import format_datetime

from app.clock import to_shanghai
from app.extensions import babel


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and scheduler jobs speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = request.args.get("lang") or session.get("lang")
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def init_i18n(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)

    @app.before_request
    def remember_language() -> None:
        chosen = request.args.get("lang")
        if chosen in app.config["LANGUAGES"]:
            session["lang"] = chosen


def local_time(moment: datetime | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    """An aware datetime as Xinxiang wall-clock time."""
    if moment is None:
        return "/"
    return format_datetime(to_shanghai(moment), fmt, rebase=False)


def register_template_helpers(app: Flask) -> None:
    app.add_template_filter(local_time, "local_time")

    @app.context_processor
    def language_context() -> dict:
        return {"languages": app.config["LANGUAGES"], "current_locale": select_locale()}

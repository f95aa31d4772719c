"""Domain exceptions and how each one answers over HTTP."""

from flask import Flask, Response, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    """A rule of the domain refused the request; the message is shown to the user."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(DomainError):
    """The state of the object, or the user's role, forbids the action."""

    status_code = 409


class NotFound(DomainError):
    status_code = 404


class Throttled(DomainError):
    """Too many attempts; retry_after is in seconds."""

    status_code = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _wants_json() -> bool:
    return request.path.startswith("/api/") or (request.accept_mimetypes.best == "application/json")


def _error_page(status: int, title: str, message: str) -> Response:
    if _wants_json():
        body = jsonify(error={"status": status, "title": title, "message": message})
    else:
        body = render_template("error.html", status=status, title=title, message=message)
    return make_response(body, status)


def _http_message(error: HTTPException) -> tuple[str, str]:
    messages = {
        400: (_("请求有误"), _("提交的内容无法处理，请返回后重试。")),
        403: (_("没有权限"), _("您的账号没有执行此操作的权限。")),
        404: (_("未找到"), _("您要找的页面或内容不存在。")),
        405: (_("不支持的请求"), _("此页面不支持这种请求方式。")),
        413: (_("提交内容过大"), _("提交的内容超过了允许的大小。")),
        429: (_("操作过于频繁"), _("请求过于频繁，请稍后再试。")),
    }
    return messages.get(error.code or 500, (_("出错了"), _("服务暂时无法完成请求，请稍后再试。")))


def register_errorhandlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        response = _error_page(error.status_code, _("无法完成操作"), error.message)
        if isinstance(error, Throttled):
            response.headers["Retry-After"] = str(error.retry_after)
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return _error_page(
            400, _("页面已过期"), _("表单安全校验失败（页面可能已过期），请刷新页面后重新提交。")
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        title, message = _http_message(error)
        if error.code == 400 and error.description == "undecodable":
            message = _("提交的内容包含无法识别的字符（不是有效的 UTF-8 编码），请检查后重新输入。")
        return _error_page(error.code or 500, title, message)

    @app.errorhandler(500)
    def server_error(error):
        from app.extensions import db

        db.session.rollback()  # the page itself must not trip over a failed transaction
        title, message = _("出错了"), _("服务暂时无法完成请求，请稍后再试。")
        return _error_page(500, title, message)

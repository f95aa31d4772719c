"""Staff sign-in, the staff dashboard, and the administrators' account pages."""

import secrets

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from wtforms.fields.choices import SelectChoice

from app.accounts import services as accounts
from app.accounts.access import roles_required
from app.accounts.forms import ROLE_LABELS, LoginForm, UserForm
from app.accounts.models import Role
from app.errors import DomainError
from app.extensions import db, limiter, login_manager
from app.reference import services as reference

bp = Blueprint("accounts", __name__, url_prefix="/staff", template_folder="templates")


@login_manager.user_loader
def load_user(session_id: str):
    return accounts.load_user_from_session(session_id)


@bp.app_context_processor
def accounts_context() -> dict:
    return {"Role": Role, "role_label": ROLE_LABELS.get}


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/staff") and "//" not in target:
        return target
    return url_for("dashboard.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("60/hour", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(
                form.username.data, form.password.data, request.remote_addr or "unknown"
            )
        except DomainError as error:
            db.session.commit()  # keep the failed-attempt counters
            flash(error.message, "error")
            status = error.status_code
        else:
            db.session.commit()
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 400
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
def logout():
    logout_user()
    flash(_("已退出登录。"), "success")
    return redirect(url_for("accounts.login"))


def _user_form(obj=None) -> UserForm:
    form = UserForm(obj=obj)
    form.district_code.choices = [SelectChoice("", _("（不限）"))] + [
        SelectChoice(d.code, d.name_zh) for d in reference.districts()
    ]
    return form


@bp.get("/users")
@roles_required(Role.ADMIN)
def users():
    return render_template("accounts/users.html", users=accounts.list_users())


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_user():
    form = _user_form()
    status = 200
    if form.validate_on_submit():
        password = form.password.data or secrets.token_urlsafe(12)
        try:
            user = accounts.create_user(
                form.username.data,
                form.display_name.data,
                Role(form.role.data),
                password,
                form.district_code.data or None,
            )
        except DomainError as error:
            db.session.rollback()
            form[error.field or "username"].errors.append(error.message)
            status = error.status_code
        else:
            db.session.commit()
            flash(
                _(
                    "已创建账号 %(name)s，初始密码：%(password)s（只显示这一次）",
                    name=user.username,
                    password=password,
                ),
                "success",
            )
            return redirect(url_for("accounts.users"))
    elif request.method == "POST":
        status = 400
    return render_template("accounts/user_form.html", form=form, user=None), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_user(user_id: int):
    user = accounts.get_user(user_id)
    form = _user_form(obj=user)
    if request.method == "GET":
        form.role.data = user.role.value
        form.district_code.data = user.district_code or ""
    status = 200
    if form.validate_on_submit():
        try:
            accounts.update_user(
                user,
                display_name=form.display_name.data,
                role=Role(form.role.data),
                district_code=form.district_code.data or None,
                active=form.active.data,
                new_password=form.password.data or None,
                acting_user=current_user,
            )
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
            status = error.status_code
        else:
            db.session.commit()
            flash(_("已保存。"), "success")
            return redirect(url_for("accounts.users"))
    elif request.method == "POST":
        status = 400
    return render_template("accounts/user_form.html", form=form, user=user), status

"""Staff sign-in and account forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.accounts.models import Role
from app.forms import clean_text

ROLE_LABELS = {
    Role.ADMIN: _l("系统管理员"),
    Role.PLANNER: _l("计划管理员"),
    Role.INSPECTOR: _l("抽样员"),
    Role.LAB_ANALYST: _l("检验员"),
    Role.LAB_REVIEWER: _l("审核员"),
    Role.PUBLISHER: _l("信息发布员"),
}


class LoginForm(FlaskForm):
    username = StringField(
        _l("用户名"),
        validators=[DataRequired(_l("请输入用户名。")), Length(max=40), clean_text],
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    password = PasswordField(
        _l("密码"),
        validators=[DataRequired(_l("请输入密码。")), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )


class UserForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(), Length(max=40), clean_text])
    display_name = StringField(_l("姓名"), validators=[DataRequired(), Length(max=60), clean_text])
    role = SelectField(
        _l("角色"), choices=[SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()]
    )
    district_code = SelectField(_l("所属区县"), validators=[Optional()])
    active = BooleanField(_l("启用"), default=True)
    password = PasswordField(
        _l("新密码（留空则自动生成或不修改）"),
        validators=[Optional(), Length(max=200)],
        render_kw={"autocomplete": "new-password"},
    )

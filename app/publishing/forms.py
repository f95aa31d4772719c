"""Composing a notice, and verifying one."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional

from app.forms import clean_text


class NoticeForm(FlaskForm):
    title = StringField(
        _l("标题"),
        validators=[DataRequired(), Length(max=200), clean_text],
        default="食品安全监督抽检信息",
    )
    task_source = StringField(
        _l("任务来源/项目名称"), validators=[DataRequired(), Length(max=200), clean_text]
    )
    published_on = DateField(_l("公告日期"), validators=[InputRequired()])
    introduction = TextAreaField(
        _l("引言（留空则自动生成）"), validators=[Optional(), Length(max=2000), clean_text]
    )
    items_explanation = TextAreaField(
        _l("检验项目说明（留空则按所检项目生成）"),
        validators=[Optional(), Length(max=4000), clean_text],
    )


class VerifyForm(FlaskForm):
    pdf = FileField(_l("公告 PDF 文件"))
    sha256 = StringField(_l("或粘贴 SHA-256"), validators=[Optional(), Length(max=80)])


class RatingForm(FlaskForm):
    page = HiddenField(validators=[AnyOf(["sample", "search", "notice", "stats"])])
    score = IntegerField(
        _l("您对本页信息满意吗？"), validators=[InputRequired(), NumberRange(1, 5)]
    )
    comment = TextAreaField(
        _l("意见（可选）"), validators=[Optional(), Length(max=300), clean_text]
    )

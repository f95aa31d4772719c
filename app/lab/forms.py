"""Result entry, review, import, follow-up and backup forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.forms import clean_text


class ReasonForm(FlaskForm):
    reason = TextAreaField(
        _l("原因"), validators=[DataRequired(_l("请写明原因。")), Length(max=500), clean_text]
    )


class ImportForm(FlaskForm):
    file = FileField(_l("结果文件（CSV，UTF-8 或 GBK 编码）"))


class DateStepForm(FlaskForm):
    on = DateField(_l("日期"), validators=[InputRequired()])
    text = TextAreaField(_l("说明"), validators=[Optional(), Length(max=1000), clean_text])


class BackupForm(FlaskForm):
    fate = SelectField(
        _l("处置方式"),
        choices=[SelectChoice("donated", _l("捐赠")), SelectChoice("destroyed", _l("销毁"))],
    )
    on = DateField(_l("日期"), validators=[InputRequired()])
    recipient = StringField(_l("接收单位"), validators=[Optional(), Length(max=120), clean_text])
    quantity = StringField(_l("数量"), validators=[Optional(), Length(max=40), clean_text])
    receipt_signed_by = StringField(
        _l("签收人"), validators=[Optional(), Length(max=60), clean_text]
    )

"""The venue and calendar forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from app.forms import clean_text


class VenueForm(FlaskForm):
    name = StringField(_l("场所名称"), validators=[DataRequired(), Length(max=120), clean_text])
    address = StringField(_l("地址"), validators=[DataRequired(), Length(max=200), clean_text])
    district_code = SelectField(_l("区县"), validators=[DataRequired()])
    venue_type_key = SelectField(_l("场所类型"), validators=[DataRequired()])
    credit_code = StringField(
        _l("统一社会信用代码（可选）"), validators=[Length(max=18), clean_text]
    )
    licence_no = StringField(_l("许可证号（可选）"), validators=[Length(max=40), clean_text])
    active = BooleanField(_l("启用"), default=True)


class CalendarOverrideForm(FlaskForm):
    day = DateField(_l("日期"), validators=[InputRequired()])
    working = SelectField(
        _l("这一天"),
        choices=[
            SelectChoice("off", _l("放假（不是工作日）")),
            SelectChoice("work", _l("上班（调休工作日）")),
        ],
    )
    note = StringField(_l("说明"), validators=[Length(max=120), clean_text])

"""Residents' forms (phone, code, ballot, suggestion) and planners' round forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Regexp

from app.forms import clean_text
from app.voting.models import RoundStatus, RoundTheme, SuggestionStatus

THEME_LABELS = {
    RoundTheme.CAMPUS: _l("你点我检进校园"),
    RoundTheme.FESTIVAL: _l("你点我检进节日市场、进年货市场"),
    RoundTheme.MARKET: _l("你点我检进农贸市场、进商超"),
    RoundTheme.GENERAL: _l("综合"),
}


class PhoneForm(FlaskForm):
    phone = StringField(
        _l("手机号码"),
        validators=[DataRequired(_l("请输入手机号码。")), Length(max=20), clean_text],
        render_kw={"type": "tel", "autocomplete": "tel", "inputmode": "tel"},
    )
    next = HiddenField()


class CodeForm(FlaskForm):
    phone = HiddenField(validators=[DataRequired(_l("请先输入手机号码。")), Length(max=20)])
    code = StringField(
        _l("6 位验证码"),
        validators=[
            DataRequired(_l("请输入验证码。")),
            Regexp(r"^\s*\d{6}\s*$", message=_l("验证码为 6 位数字。")),
        ],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6},
    )
    next = HiddenField()


class IdListField(SelectMultipleField):
    """Many ids from checkboxes; which ids are allowed is for the service to say."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, coerce=int, validate_choice=False, **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        if len(valuelist) > 200:
            raise ValueError(_l("选择的项目过多。"))
        try:
            self.data = [int(value) for value in valuelist]
        except ValueError as error:
            self.data = []
            raise ValueError(_l("选择的项目无效，请刷新页面后重新选择。")) from error


class BallotForm(FlaskForm):
    class Meta:
        # CSRFProtect already checked this POST before the view: the busiest form of a
        # campaign skips a second check of the same token...
        csrf = False

        def get_translations(self, form):
            # ...and WTForms' own catalogue, which Flask-WTF parses from disk on every
            # request: this form's only messages are ours, translated by Flask-Babel.
            return None

    candidate = IdListField()


class SuggestionForm(FlaskForm):
    text = TextAreaField(
        _l("我的建议"),
        validators=[DataRequired(_l("请填写建议内容。")), Length(max=300), clean_text],
        render_kw={"maxlength": 300, "placeholder": _l("例如：请检测某某市场的韭菜农药残留")},
    )


class RoundForm(FlaskForm):
    title = StringField(_l("标题"), validators=[DataRequired(), Length(max=120), clean_text])
    description = TextAreaField(_l("说明"), validators=[Length(max=2000), clean_text])
    theme = SelectField(
        _l("主题"),
        choices=[SelectChoice(theme.value, label) for theme, label in THEME_LABELS.items()],
    )
    opens_at = DateTimeLocalField(
        _l("开始时间（北京时间）"), format="%Y-%m-%dT%H:%M", validators=[InputRequired()]
    )
    closes_at = DateTimeLocalField(
        _l("截止时间（北京时间）"), format="%Y-%m-%dT%H:%M", validators=[InputRequired()]
    )
    max_foods = IntegerField(_l("每张选票最多选食品数"), default=5, validators=[NumberRange(1, 30)])
    max_venues = IntegerField(
        _l("每张选票最多选场所数"), default=3, validators=[NumberRange(0, 30)]
    )
    max_test_groups = IntegerField(
        _l("每张选票最多选检测项目类别数"), default=2, validators=[NumberRange(0, 10)]
    )
    batch_budget = IntegerField(_l("抽检批次预算"), default=100, validators=[NumberRange(1, 10000)])
    top_foods = IntegerField(
        _l("入选食品数（前 N 名）"), default=10, validators=[NumberRange(1, 100)]
    )
    hide_counts = BooleanField(_l("投票结束前隐藏票数"))
    auto_open = BooleanField(_l("到开始时间自动发布"))


class FoodCandidateForm(FlaskForm):
    name = StringField(_l("食品名称"), validators=[DataRequired(), Length(max=60), clean_text])
    category_code = SelectField(_l("食品分类"), validators=[DataRequired()])


class VenueCandidateForm(FlaskForm):
    venue_id = SelectField(_l("场所"), coerce=int, validate_choice=False)


class VenueTypeCandidateForm(FlaskForm):
    venue_type_key = SelectField(_l("场所类型"), validate_choice=False)


class GroupCandidateForm(FlaskForm):
    test_group_key = SelectField(_l("检测项目类别"), validate_choice=False)


class QuotaForm(FlaskForm):
    venue_type_key = SelectField(_l("场所类型"), validate_choice=False)
    batches = IntegerField(_l("批次（0 表示取消配额）"), validators=[NumberRange(0, 10000)])


class ModerationForm(FlaskForm):
    status = SelectField(
        choices=[
            SelectChoice(SuggestionStatus.ACCEPTED.value, _l("采纳")),
            SelectChoice(SuggestionStatus.REJECTED.value, _l("不采纳")),
        ]
    )


STATUS_LABELS = {
    RoundStatus.DRAFT: _l("草稿"),
    RoundStatus.OPEN: _l("已发布"),
    RoundStatus.CLOSED: _l("已结束"),
    RoundStatus.ALLOCATED: _l("已生成抽检计划"),
}
SUGGESTION_LABELS = {
    SuggestionStatus.PENDING: _l("待处理"),
    SuggestionStatus.ACCEPTED: _l("已采纳"),
    SuggestionStatus.REJECTED: _l("未采纳"),
}

"""Planners' plan review forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from app.forms import clean_text
from app.scheduling.models import TaskStatus, VenueRuleKind


class TeamForm(FlaskForm):
    inspector_a = SelectField(_l("抽样员一"), coerce=int, validate_choice=False)
    inspector_b = SelectField(_l("抽样员二"), coerce=int, validate_choice=False)


class CancelTaskForm(FlaskForm):
    reason = StringField(
        _l("取消原因"),
        validators=[DataRequired(_l("请填写取消原因。")), Length(max=500), clean_text],
    )


class AddTaskForm(FlaskForm):
    food_candidate_id = SelectField(_l("食品"), coerce=int, validate_choice=False)
    venue_id = SelectField(_l("场所"), coerce=int, validate_choice=False)


TASK_STATUS_LABELS = {
    TaskStatus.PLANNED: _l("待指派"),
    TaskStatus.ASSIGNED: _l("已指派"),
    TaskStatus.SAMPLED: _l("已抽样"),
    TaskStatus.NOT_SAMPLED: _l("未抽到"),
    TaskStatus.CANCELLED: _l("已取消"),
}
RULE_LABELS = {
    VenueRuleKind.FOLLOW_UP: _l("上次不合格，跟踪抽检"),
    VenueRuleKind.VOTED_VENUE: _l("居民投票的场所"),
    VenueRuleKind.DISTRICT_SPREAD: _l("覆盖更多区县"),
    VenueRuleKind.REARRANGED: _l("为满足配额调整"),
    VenueRuleKind.ADDED_BY_PLANNER: _l("计划管理员添加"),
}

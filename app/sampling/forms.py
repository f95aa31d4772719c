"""The sampling form (抽样单), not-sampled reasons and lab intake forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FloatField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.forms import clean_text
from app.sampling.models import Packaging, SamplingStage, Storage

STAGE_LABELS = {
    SamplingStage.CIRCULATION: _l("流通"),
    SamplingStage.CATERING: _l("餐饮"),
    SamplingStage.PRODUCTION: _l("生产"),
}
PACKAGING_LABELS = {Packaging.PREPACKAGED: _l("预包装"), Packaging.BULK: _l("散装")}
STORAGE_LABELS = {
    Storage.AMBIENT: _l("常温"),
    Storage.CHILLED: _l("冷藏"),
    Storage.FROZEN: _l("冷冻"),
}
NOT_SAMPLED_LABELS = {
    "closed": _l("场所关门"),
    "not_on_sale": _l("该食品没有在售"),
    "refused": _l("被抽样单位拒绝抽样"),
}


def _text(label, length: int, required: bool = False, **kwargs) -> StringField:
    checks = [DataRequired()] if required else [Optional()]
    return StringField(label, validators=[*checks, Length(max=length), clean_text], **kwargs)


class SamplingForm(FlaskForm):
    official_number = _text(
        _l("抽样单编号"), 40, required=True, render_kw={"autocapitalize": "characters"}
    )
    stage = SelectField(
        _l("抽样环节"), choices=[SelectChoice(k.value, v) for k, v in STAGE_LABELS.items()]
    )
    sampled_on = DateField(_l("抽样日期"), validators=[InputRequired()])
    stall_no = _text(_l("摊位号"), 40)
    product_name = _text(_l("样品名称"), 120, required=True)
    brand = _text(_l("商标"), 80)
    specification = _text(_l("规格型号"), 80)
    batch_number = _text(_l("批号"), 80)
    production_date = DateField(_l("生产日期"), validators=[Optional()])
    purchase_date = DateField(_l("购进日期"), validators=[Optional()])
    shelf_life = _text(_l("保质期"), 40)
    packaging = SelectField(
        _l("包装分类"), choices=[SelectChoice(k.value, v) for k, v in PACKAGING_LABELS.items()]
    )
    unit_price = DecimalField(
        _l("单价（元）"),
        places=2,
        validators=[Optional(), NumberRange(min=0, max=99_999_999)],
        render_kw={"inputmode": "decimal"},
    )
    sampling_base = _text(_l("抽样基数"), 40)
    quantity = IntegerField(
        _l("抽样数量"),
        validators=[InputRequired(), NumberRange(1, 10000)],
        render_kw={"inputmode": "numeric"},
    )
    backup_quantity = IntegerField(
        _l("备样数量"),
        validators=[InputRequired(), NumberRange(1, 10000)],
        render_kw={"inputmode": "numeric"},
    )
    quantity_unit = _text(_l("数量单位"), 20, required=True, default="份")
    storage = SelectField(
        _l("储存条件"), choices=[SelectChoice(k.value, v) for k, v in STORAGE_LABELS.items()]
    )
    standard = _text(_l("执行标准"), 120)
    producer_name = _text(_l("标称生产企业名称"), 120)
    producer_address = _text(_l("标称生产企业地址"), 200)
    producer_licence = _text(
        _l("生产许可证编号（SC）"), 40, render_kw={"autocapitalize": "characters"}
    )
    business_signer = _text(_l("被抽样单位签字人"), 60)
    business_refused_to_sign = BooleanField(_l("被抽样单位拒绝签字"))
    photos = MultipleFileField(_l("照片（JPEG/PNG，每张不超过 5 MB，最多 6 张）"))
    latitude = FloatField(validators=[Optional(), NumberRange(-90, 90)])
    longitude = FloatField(validators=[Optional(), NumberRange(-180, 180)])


class NotSampledForm(FlaskForm):
    reason = SelectField(
        _l("未抽到的原因"), choices=[SelectChoice(k, v) for k, v in NOT_SAMPLED_LABELS.items()]
    )
    note = _text(_l("说明"), 300)


class CodeForm(FlaskForm):
    code = _text(
        _l("样品编号"),
        300,
        required=True,
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "autofocus": True},
    )


class RejectForm(FlaskForm):
    reason = TextAreaField(
        _l("拒收原因"),
        validators=[DataRequired(_l("拒收必须写明原因。")), Length(max=500), clean_text],
    )


class HandOverForm(FlaskForm):
    to_whom = _text(_l("交给"), 120, required=True)
    latitude = FloatField(validators=[Optional(), NumberRange(-90, 90)])
    longitude = FloatField(validators=[Optional(), NumberRange(-180, 180)])

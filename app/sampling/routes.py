"""Inspectors record samples and print labels; the lab scans samples in; anyone follows a
label's code to /t/<code>."""

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.access import ALL_STAFF, roles_required
from app.accounts.models import Role
from app.clock import to_shanghai, utcnow
from app.errors import DomainError
from app.extensions import db
from app.sampling import codes
from app.sampling import services as sampling
from app.sampling.forms import (
    NOT_SAMPLED_LABELS,
    PACKAGING_LABELS,
    STAGE_LABELS,
    STORAGE_LABELS,
    CodeForm,
    HandOverForm,
    NotSampledForm,
    RejectForm,
    SamplingForm,
)
from app.sampling.labels import LabelData, render_labels
from app.sampling.models import Packaging, PortionKind, Sample, SampleStatus, SamplingStage, Storage

bp = Blueprint("sampling", __name__, url_prefix="/staff", template_folder="templates")
public_bp = Blueprint("tracking", __name__, template_folder="templates")

INSPECTORS = (Role.INSPECTOR, Role.ADMIN)
LAB = (Role.LAB_ANALYST, Role.LAB_REVIEWER, Role.ADMIN)


@bp.app_context_processor
def sampling_context() -> dict:
    return {
        "display_code": codes.display,
        "PortionKind": PortionKind,
        "SampleStatus": SampleStatus,
        "portion_label": lambda kind: _("检验样品") if kind == PortionKind.TEST else _("备份样品"),
        "event_label": _event_label,
        "sample_status_label": lambda status: {
            SampleStatus.SAMPLED: _("送检途中"),
            SampleStatus.RECEIVED: _("检验机构已接收"),
            SampleStatus.REJECTED: _("检验机构拒收"),
            SampleStatus.TESTING: _("检验中"),
            SampleStatus.REPORTED: _("检验完成，待审核"),
            SampleStatus.VERIFIED: _("检验结果已审核"),
            SampleStatus.PUBLISHED: _("结果已公告"),
        }[status],
        "stage_label": STAGE_LABELS.get,
        "packaging_label": PACKAGING_LABELS.get,
        "storage_label": STORAGE_LABELS.get,
    }


def _event_label(action: str) -> str:
    """Public-safe wording of a custody step."""
    return {
        "sampled": _("已抽样并封存"),
        "handed_over": _("样品转运交接"),
        "received": _("检验机构已接收（封条完好）"),
        "rejected": _("检验机构拒收"),
        "testing": _("开始检验"),
        "reported": _("检验完成，提交审核"),
        "returned": _("退回复核"),
        "verified": _("检验结果已审核"),
        "corrected": _("结果更正，重新检验"),
        "backup_released": _("备份样品用于复检"),
        "backup_donated": _("备份样品已捐赠"),
        "backup_destroyed": _("备份样品已销毁"),
        "published": _("结果已公告"),
    }.get(action, action)


# --- Inspectors ---------------------------------------------------------------------------------


def _record_from(form: SamplingForm) -> sampling.SamplingRecord:
    return sampling.SamplingRecord(
        official_number=form.official_number.data.strip().upper(),
        stage=SamplingStage(form.stage.data),
        product_name=form.product_name.data.strip(),
        packaging=Packaging(form.packaging.data),
        storage=Storage(form.storage.data),
        quantity=form.quantity.data,
        backup_quantity=form.backup_quantity.data,
        quantity_unit=form.quantity_unit.data.strip(),
        sampled_on=form.sampled_on.data,
        brand=(form.brand.data or "").strip(),
        specification=(form.specification.data or "").strip(),
        batch_number=(form.batch_number.data or "").strip(),
        production_date=form.production_date.data,
        purchase_date=form.purchase_date.data,
        shelf_life=(form.shelf_life.data or "").strip(),
        unit_price=form.unit_price.data,
        sampling_base=(form.sampling_base.data or "").strip(),
        standard=(form.standard.data or "").strip(),
        stall_no=(form.stall_no.data or "").strip(),
        producer_name=(form.producer_name.data or "").strip(),
        producer_address=(form.producer_address.data or "").strip(),
        producer_licence=(form.producer_licence.data or "").strip().upper(),
        business_signer=(form.business_signer.data or "").strip(),
        business_refused_to_sign=form.business_refused_to_sign.data,
        photos=[
            sampling.PhotoUpload(upload.read())
            for upload in form.photos.data or []
            if upload and upload.filename
        ],
    )


def _location(form) -> sampling.Location | None:
    if form.latitude.data is None or form.longitude.data is None:
        return None
    return sampling.Location(form.latitude.data, form.longitude.data)


def _show_error(form, error: DomainError) -> None:
    target = getattr(form, error.field or "", None)
    if target is not None:
        target.errors = list(target.errors) + [error.message]
    else:
        flash(error.message, "error")


@bp.route("/tasks/<int:task_id>/sample", methods=["GET", "POST"])
@roles_required(*INSPECTORS)
def sample_form(task_id: int):
    task = sampling.task_for_sampling(task_id, current_user)
    form = SamplingForm()
    if request.method == "GET":
        form.sampled_on.data = to_shanghai(utcnow()).date()
        form.product_name.data = task.food.label
        form.stage.data = SamplingStage.CIRCULATION.value
    status = 200
    if form.validate_on_submit():
        written = []
        try:
            sample = sampling.record_sample(
                task, _record_from(form), current_user, utcnow(), _location(form), written
            )
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            for path in written:
                path.unlink(missing_ok=True)
            _show_error(form, error)
            status = error.status_code
        except Exception:
            db.session.rollback()
            for path in written:  # no sample row points at them: do not leave them behind
                path.unlink(missing_ok=True)
            raise
        else:
            flash(_("抽样单已保存，请打印并粘贴标签。"), "success")
            return redirect(url_for("sampling.sample", sample_id=sample.id))
    elif request.method == "POST":
        status = 400
    return render_template(
        "sampling/sample_form.html", form=form, task=task, not_sampled=NotSampledForm(formdata=None)
    ), status


@bp.post("/tasks/<int:task_id>/not-sampled")
@roles_required(*INSPECTORS)
def not_sampled(task_id: int):
    task = sampling.get_task(task_id)
    form = NotSampledForm()
    try:
        if not form.validate():
            raise DomainError(_("请选择未抽到的原因。"))
        sampling.mark_not_sampled(task, form.reason.data, form.note.data or "", current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("sampling.sample_form", task_id=task_id))
    db.session.commit()
    flash(_("已记录：%(reason)s。", reason=NOT_SAMPLED_LABELS[form.reason.data]), "success")
    return redirect(url_for("scheduling.my_tasks"))


@bp.get("/samples")
@roles_required(*ALL_STAFF)
def samples():
    listed = (
        sampling.samples_of(current_user)
        if current_user.role == Role.INSPECTOR
        else sampling.recent_samples()
    )
    return render_template("sampling/samples.html", samples=listed)


@bp.get("/samples/<int:sample_id>")
@roles_required(*ALL_STAFF)
def sample(sample_id: int):
    return render_template(
        "sampling/sample.html", sample=sampling.sample_for(current_user, sample_id)
    )


def _label_data(sample: Sample) -> list[LabelData]:
    base = current_app.config["PUBLIC_BASE_URL"]
    return [
        LabelData(
            code=portion.code,
            url=f"{base}/t/{portion.code}",
            food=sample.product_name,
            venue=sample.task.venue.name,
            sampled_on=sample.sampled_on,
            portion=_("检验样品") if portion.kind == PortionKind.TEST else _("备份样品"),
            official_number=sample.official_number,
        )
        for portion in sample.portions
    ]


@bp.get("/samples/labels.pdf")
@roles_required(*ALL_STAFF)
def labels():
    layout = request.args.get("layout", "sticker")
    if layout not in ("sticker", "a4"):
        abort(400)
    ids = request.args.getlist("sample", type=int)
    if not ids or len(ids) > 200:
        abort(400)
    chosen = [sampling.sample_for(current_user, sample_id) for sample_id in ids]
    pdf = render_labels(
        [label for sample in chosen for label in _label_data(sample)],
        layout,
        current_app.config.get("CJK_FONT_PATH"),
    )
    name = f"labels-{chosen[0].official_number if len(chosen) == 1 else len(chosen)}.pdf"
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


@bp.get("/samples/photos/<int:photo_id>")
@roles_required(*ALL_STAFF)
def photo(photo_id: int):
    item = sampling.get_photo(photo_id)
    sampling.sample_for(current_user, item.sample_id, photos=True)
    return send_file(sampling.photo_dir() / item.stored_name, mimetype=item.content_type)


# --- The lab's scanner --------------------------------------------------------------------------


@bp.route("/scan", methods=["GET", "POST"])
@roles_required(*LAB)
def scan():
    """Receive samples one label after another: JSON for the camera page, a form without JS."""
    if request.method == "GET":
        return render_template("sampling/scan.html", form=CodeForm(formdata=None))
    wants_json = request.is_json
    body = request.get_json(silent=True) if wants_json else request.form
    text = body.get("code", "") if isinstance(body, dict) or not wants_json else ""
    try:
        portion = sampling.find_portion(sampling.code_from_url_or_text(str(text)[:300]))
        sample = sampling.receive(portion, current_user, utcnow())
    except DomainError as error:
        db.session.rollback()
        if wants_json:
            return jsonify(ok=False, message=error.message), error.status_code
        flash(error.message, "error")
        return redirect(url_for("sampling.scan"))
    db.session.commit()
    message = _(
        "已接收：%(food)s（%(number)s）", food=sample.product_name, number=sample.official_number
    )
    if wants_json:
        return jsonify(ok=True, message=message, code=portion.code, sample_id=sample.id)
    flash(message, "success")
    return redirect(url_for("sampling.scan"))


# --- Anyone with a label ------------------------------------------------------------------------


@public_bp.get("/t/<code>")
def track(code: str):
    try:
        portion = sampling.find_portion(code[:40])
    except DomainError as error:
        return render_template(
            "sampling/track_error.html", message=error.message, code=code[:40]
        ), (error.status_code)
    sample = portion.sample
    user = current_user if current_user.is_authenticated else None
    return render_template(
        "sampling/track.html",
        events=sample.events if user else sampling.public_events(sample),
        portion=portion,
        sample=sample,
        actions=sampling.allowed_actions(sample, user),
        reject_form=RejectForm(formdata=None),
        hand_over_form=HandOverForm(formdata=None),
    )


@public_bp.post("/t/<code>/<action>")
@roles_required(*ALL_STAFF)
def track_action(code: str, action: str):
    portion = sampling.find_portion(code[:40])
    try:
        if action == "received":
            sampling.receive(portion, current_user, utcnow())
        elif action == "rejected":
            form = RejectForm()
            sampling.reject(portion, current_user, form.reason.data or "", utcnow())
        elif action == "handed_over":
            form = HandOverForm()
            if not form.validate():
                raise DomainError(_("请写明交给了谁。"))
            sampling.hand_over(portion, current_user, form.to_whom.data, utcnow(), _location(form))
        else:
            abort(404)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("已记录。"), "success")
    return redirect(url_for("tracking.track", code=portion.code))

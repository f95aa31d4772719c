"""The lab's pages: the queue, result entry and review, CSV import, follow-ups and backups."""

from decimal import Decimal, InvalidOperation

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.accounts.access import roles_required
from app.accounts.models import Role
from app.clock import to_shanghai, utcnow
from app.errors import DomainError
from app.extensions import db
from app.lab import services as lab
from app.lab.forms import BackupForm, DateStepForm, ImportForm, ReasonForm
from app.lab.models import BackupFate, FollowUpStatus, ReportStatus
from app.lab.verdicts import format_decimal

bp = Blueprint("lab", __name__, url_prefix="/staff/lab", template_folder="templates")
LAB = (Role.LAB_ANALYST, Role.LAB_REVIEWER, Role.ADMIN)
BUREAU = (Role.PLANNER, Role.ADMIN)


REPORT_LABELS = {
    ReportStatus.DRAFT: _l("录入中"),
    ReportStatus.REPORTED: _l("待审核"),
    ReportStatus.RETURNED: _l("已退回"),
    ReportStatus.VERIFIED: _l("已审核"),
    ReportStatus.INVALIDATED: _l("已作废"),
}
FOLLOW_UP_LABELS = {
    FollowUpStatus.OPENED: _l("待通知被抽样单位"),
    FollowUpStatus.BUSINESS_NOTIFIED: _l("已通知，复检申请期内"),
    FollowUpStatus.RETEST_REQUESTED: _l("复检中"),
    FollowUpStatus.RETEST_DONE: _l("复检完成"),
    FollowUpStatus.DISPOSED: _l("已处置"),
    FollowUpStatus.CLOSED: _l("已办结"),
}


@bp.app_context_processor
def lab_context() -> dict:
    return {
        "ReportStatus": ReportStatus,
        "FollowUpStatus": FollowUpStatus,
        "report_label": REPORT_LABELS.get,
        "follow_up_label": FOLLOW_UP_LABELS.get,
        "number": lambda value: "" if value is None else format_decimal(value.normalize()),
    }


def _done(message: str):
    db.session.commit()
    flash(message, "success")


def _refused(error: DomainError):
    db.session.rollback()
    flash(error.message, "error")


@bp.get("/")
@roles_required(*LAB)
def queue():
    today = to_shanghai(utcnow()).date()
    return render_template(
        "lab/queue.html",
        queue=lab.lab_queue(),
        backups=lab.backups_due(today),
        follow_ups=lab.open_follow_ups(),
    )


@bp.get("/samples/<int:sample_id>")
@roles_required(*LAB, Role.PLANNER)
def sample(sample_id: int):
    sample = lab.get_sample(sample_id)
    report = lab.current_report(sample)
    results = {r.test_item_id: r for r in report.results} if report else {}
    return render_template(
        "lab/sample.html",
        sample=sample,
        report=report,
        items=lab.items_for(sample),
        results=results,
        reason_form=ReasonForm(formdata=None),
    )


def _decimal(text: str) -> Decimal | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation as error:
        raise DomainError(_("无法识别的数值：%(value)s", value=text[:40])) from error
    if not value.is_finite() or value < 0:
        raise DomainError(_("无法识别的数值：%(value)s", value=text[:40]))
    return value


@bp.post("/samples/<int:sample_id>/results")
@roles_required(Role.LAB_ANALYST, Role.ADMIN)
def enter_results(sample_id: int):
    """Save every filled-in row of the entry table; submit for review when asked."""
    sample = lab.get_sample(sample_id)
    try:
        report = lab.current_report(sample)
        if report is None or sample.status.value == "received":
            report = lab.start_testing(sample, current_user, utcnow())
        for item in lab.items_for(sample):
            prefix = f"item-{item.id}-"
            not_detected = request.form.get(prefix + "nd") == "y"
            value = _decimal(request.form.get(prefix + "value", ""))
            if value is None and not not_detected:
                continue
            lab.enter_result(
                report,
                lab.ResultEntry(
                    item_name=item.name,
                    value=value,
                    not_detected=not_detected,
                    unit=(request.form.get(prefix + "unit") or item.unit).strip()[:20],
                    lod=_decimal(request.form.get(prefix + "lod", "")),
                    lod_unit=(request.form.get(prefix + "lod_unit") or "").strip()[:20] or None,
                    method=(request.form.get(prefix + "method") or "").strip()[:120],
                    standard=(request.form.get(prefix + "standard") or "").strip()[:120],
                ),
                current_user,
            )
        if request.form.get("submit") == "report":
            lab.submit_report(report, current_user, utcnow())
    except DomainError as error:
        _refused(error)
    else:
        _done(_("已提交审核。") if request.form.get("submit") == "report" else _("已保存。"))
    return redirect(url_for("lab.sample", sample_id=sample_id))


@bp.post("/samples/<int:sample_id>/review")
@roles_required(Role.LAB_REVIEWER, Role.ADMIN)
def review(sample_id: int):
    sample = lab.get_sample(sample_id)
    report = lab.current_report(sample)
    try:
        if report is None:
            raise DomainError(_("还没有检验结果。"))
        if request.form.get("decision") == "verify":
            lab.verify_report(report, current_user, utcnow())
            message = _("已审核通过。")
        else:
            lab.return_report(report, current_user, request.form.get("reason", ""), utcnow())
            message = _("已退回。")
    except DomainError as error:
        _refused(error)
    else:
        _done(message)
    return redirect(url_for("lab.sample", sample_id=sample_id))


@bp.post("/samples/<int:sample_id>/correct")
@roles_required(*LAB)
def correct(sample_id: int):
    sample = lab.get_sample(sample_id)
    try:
        report = lab.current_report(sample)
        if report is None:
            raise DomainError(_("还没有检验结果。"))
        lab.correct_report(report, current_user, request.form.get("reason", ""), utcnow())
    except DomainError as error:
        _refused(error)
    else:
        _done(_("原结果已作废，请重新录入并审核。"))
    return redirect(url_for("lab.sample", sample_id=sample_id))


@bp.route("/import", methods=["GET", "POST"])
@roles_required(Role.LAB_ANALYST, Role.ADMIN)
def import_results():
    form = ImportForm()
    errors, status = [], 200
    if form.validate_on_submit() and form.file.data:
        try:
            count = lab.import_results(form.file.data.read(), current_user, utcnow())
        except lab.ImportRejected as rejected:
            db.session.rollback()
            errors, status = rejected.errors, 400
            flash(rejected.message, "error")
        else:
            _done(_("已导入 %(num)d 条检验结果。", num=count))
            return redirect(url_for("lab.queue"))
    elif request.method == "POST":
        status = 400
        flash(_("请选择要导入的文件。"), "error")
    return render_template("lab/import.html", form=form, errors=errors), status


@bp.get("/follow-ups/<int:follow_up_id>")
@roles_required(*LAB, *BUREAU)
def follow_up(follow_up_id: int):
    return render_template(
        "lab/follow_up.html",
        follow_up=lab.get_follow_up(follow_up_id),
        form=DateStepForm(formdata=None),
        today=to_shanghai(utcnow()).date(),
    )


@bp.post("/follow-ups/<int:follow_up_id>/<step>")
@roles_required(*BUREAU)
def follow_up_step(follow_up_id: int, step: str):
    follow_up = lab.get_follow_up(follow_up_id)
    form = DateStepForm()
    try:
        if not form.validate():
            raise DomainError(_("请填写日期。"))
        on, text = form.on.data, form.text.data or ""
        if step == "notified":
            lab.record_notification(follow_up, on)
        elif step == "retest":
            lab.request_retest(follow_up, on, current_user, utcnow())
        elif step == "retest-done":
            lab.record_retest_conclusion(follow_up, text)
        elif step == "disposed":
            lab.record_disposal(follow_up, text, on)
        elif step == "closed":
            lab.close_follow_up(follow_up, on)
        else:
            raise DomainError(_("未知的操作。"))
    except DomainError as error:
        _refused(error)
    else:
        _done(_("已记录。"))
    return redirect(url_for("lab.follow_up", follow_up_id=follow_up_id))


@bp.post("/samples/<int:sample_id>/backup")
@roles_required(*LAB)
def backup(sample_id: int):
    sample = lab.get_sample(sample_id)
    form = BackupForm()
    try:
        if not form.validate():
            raise DomainError(_("请填写处置方式和日期。"))
        lab.dispose_backup(
            sample,
            BackupFate(form.fate.data),
            form.on.data,
            current_user,
            utcnow(),
            recipient=form.recipient.data or "",
            quantity=form.quantity.data or "",
            receipt_signed_by=form.receipt_signed_by.data or "",
        )
    except DomainError as error:
        _refused(error)
    else:
        _done(_("已记录备份样品的处置。"))
    return redirect(url_for("lab.queue"))

"""Publishers compose and publish notices; anyone reads them and verifies a notice PDF."""

from datetime import date

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.access import roles_required
from app.accounts.models import Role
from app.clock import to_shanghai, utcnow
from app.errors import DomainError
from app.extensions import db
from app.publishing import services as publishing
from app.publishing.forms import NoticeForm, VerifyForm
from app.reference import services as reference
from app.sampling.models import Sample
from app.voting import services as voting

bp = Blueprint("publishing", __name__, template_folder="templates")
PUBLISHERS = (Role.PUBLISHER, Role.ADMIN)
PDF_UPLOAD_LIMIT = 30 * 1024 * 1024


@bp.app_context_processor
def publishing_context() -> dict:
    # The tracking page (sampling) shows published results without importing this domain.
    return {"published_report": publishing.published_report}


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _filters() -> publishing.NoticeFilters:
    return publishing.NoticeFilters(
        round_id=request.args.get("round", type=int),
        verified_from=_date_arg("from"),
        verified_to=_date_arg("to"),
        category_code=request.args.get("category") or None,
        venue_type_key=request.args.get("venue_type") or None,
    )


def _pdf_response(pdf: bytes, name: str) -> Response:
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


@bp.route("/staff/notices/new", methods=["GET", "POST"])
@roles_required(*PUBLISHERS)
def compose():
    filters = _filters()
    form = NoticeForm()
    if request.method == "GET":
        form.published_on.data = to_shanghai(utcnow()).date()
    candidates = publishing.publishable_samples(filters)
    status = 200
    if request.method == "POST":
        chosen_ids = set(request.form.getlist("sample", type=int))
        chosen = [sample for sample in candidates if sample.id in chosen_ids]
        if not form.validate():
            status = 400
        else:
            draft = publishing.NoticeDraft(
                title=form.title.data,
                task_source=form.task_source.data,
                published_on=form.published_on.data,
                introduction=form.introduction.data or "",
                items_explanation=form.items_explanation.data or "",
            )
            try:
                if request.form.get("action") == "preview":
                    return _pdf_response(publishing.preview_pdf(chosen, draft), "preview.pdf")
                notice = publishing.publish_notice(chosen, draft, current_user, utcnow())
            except DomainError as error:
                db.session.rollback()
                flash(error.message, "error")
                status = error.status_code
            else:
                db.session.commit()
                flash(_("已发布：%(number)s", number=notice.number), "success")
                return redirect(url_for("publishing.notice", notice_id=notice.id))
    return render_template(
        "publishing/compose.html",
        form=form,
        candidates=candidates,
        filters=filters,
        rounds=voting.list_rounds(),
        categories=reference.food_categories(),
        venue_types=reference.venue_types(),
    ), status


@bp.post("/staff/notices/<int:notice_id>/correct")
@roles_required(*PUBLISHERS)
def correct(notice_id: int):
    """A correction notice: the same samples with their current results; the original stays."""
    original = publishing.get_notice(notice_id)
    samples: list[Sample] = [entry.sample for entry in original.entries]
    draft = publishing.NoticeDraft(
        title=_("更正公告：%(title)s", title=original.title),
        task_source=original.task_source,
        published_on=to_shanghai(utcnow()).date(),
    )
    try:
        notice = publishing.publish_notice(
            samples, draft, current_user, utcnow(), supersedes=original
        )
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("publishing.notice", notice_id=notice_id))
    db.session.commit()
    flash(_("已发布更正公告：%(number)s", number=notice.number), "success")
    return redirect(url_for("publishing.notice", notice_id=notice.id))


@bp.get("/notices")
def archive():
    return render_template("publishing/archive.html", notices=publishing.notices())


@bp.get("/notices/<int:notice_id>")
def notice(notice_id: int):
    return render_template("publishing/notice.html", notice=publishing.get_notice(notice_id))


@bp.get("/notices/<int:notice_id>.pdf")
def notice_pdf(notice_id: int):
    notice = publishing.get_notice(notice_id)
    return _pdf_response(notice.pdf, f"notice-{notice.year}-{notice.issue}.pdf")


@bp.route("/notices/verify", methods=["GET", "POST"])
def verify():
    request.max_content_length = PDF_UPLOAD_LIMIT
    form = VerifyForm()
    found, checked, status = None, False, 200
    if request.method == "POST":
        upload = form.pdf.data
        try:
            if upload and upload.filename:
                found = publishing.find_notice(pdf=upload.read())
            else:
                found = publishing.find_notice(sha256=form.sha256.data or "")
            checked = True
        except DomainError as error:
            form.sha256.errors = [error.message]
            status = 400
    return render_template(
        "publishing/verify.html",
        form=form,
        found=found,
        checked=checked,
        number=request.args.get("number", "")[:120],
    ), status

"""Publishers compose and publish notices; anyone reads them and verifies a notice PDF."""

from datetime import date

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.access import roles_required
from app.accounts.models import Role
from app.clock import to_shanghai, utcnow
from app.errors import DomainError
from app.extensions import db, limiter
from app.publishing import services as publishing
from app.publishing.forms import NoticeForm, RatingForm, VerifyForm
from app.reference import services as reference
from app.sampling.models import Sample
from app.voting import services as voting

bp = Blueprint("publishing", __name__, template_folder="templates")
PUBLISHERS = (Role.PUBLISHER, Role.ADMIN)


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


# --- The public site ----------------------------------------------------------------------------

PER_PAGE = 20
STAT_GROUPS = ("category", "venue_type", "district", "month")


@bp.get("/")
def home():
    now = utcnow()
    return render_template(
        "publishing/home.html",
        phases=voting.public_rounds(now),
        notices=publishing.latest_notices(),
        rate=publishing.overall_pass_rate(),
        rating_form=RatingForm(formdata=None),
    )


def _search_filters() -> publishing.SearchFilters:
    args = request.args
    verdict = args.get("verdict", "")
    return publishing.SearchFilters(
        food=args.get("food", "").strip()[:60],
        category=args.get("category", "")[:8],
        venue_type=args.get("venue_type", "")[:40],
        district=args.get("district", "")[:6],
        verdict=verdict if verdict in ("pass", "fail") else "",
        date_from=_date_arg("from"),
        date_to=_date_arg("to"),
        text=args.get("q", "").strip()[:60],
    )


@bp.get("/results")
def results():
    filters = _search_filters()
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 10_000))
    found = publishing.search_published(filters, page, PER_PAGE)
    query = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "publishing/results.html",
        found=found,
        filters=filters,
        query=query,
        categories=reference.food_categories(),
        venue_types=reference.venue_types(),
        districts=reference.districts(),
        rating_form=RatingForm(formdata=None),
    )


@bp.get("/stats")
def stats():
    return render_template(
        "publishing/stats.html",
        overall=publishing.overall_pass_rate(),
        groups=[(by, publishing.pass_rates(by)) for by in STAT_GROUPS],
        rating_form=RatingForm(formdata=None),
    )


@bp.post("/ratings")
@limiter.limit("20/hour")
def rate():
    form = RatingForm()
    back = request.form.get("next", "/")
    if not back.startswith("/") or back.startswith("//"):
        back = "/"
    try:
        if not form.validate():
            raise DomainError(_("请选择 1 到 5 分。"))
        publishing.add_rating(form.page.data, form.score.data, form.comment.data or "", utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("谢谢您的评价！"), "success")
    return redirect(back)


@bp.get("/staff/ratings")
@roles_required(Role.ADMIN, Role.PUBLISHER, Role.PLANNER)
def ratings():
    return render_template(
        "publishing/ratings.html",
        summary=publishing.rating_summary(),
        comments=publishing.recent_comments(),
    )

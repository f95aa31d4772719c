"""Residents' pages (rounds, phone check, ballot, ranking) and planners' round pages."""

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.accounts.access import roles_required
from app.accounts.models import Role
from app.clock import from_shanghai, to_shanghai, utcnow
from app.errors import DomainError
from app.extensions import db, limiter
from app.reference import services as reference
from app.voting import residents
from app.voting import services as voting
from app.voting.forms import (
    STATUS_LABELS,
    SUGGESTION_LABELS,
    THEME_LABELS,
    BallotForm,
    CodeForm,
    FoodCandidateForm,
    GroupCandidateForm,
    ModerationForm,
    PhoneForm,
    QuotaForm,
    RoundForm,
    SuggestionForm,
    VenueCandidateForm,
    VenueTypeCandidateForm,
)
from app.voting.models import CandidateKind, RoundStatus, RoundTheme, SuggestionStatus

bp = Blueprint("voting", __name__, template_folder="templates")
staff_bp = Blueprint("voting_staff", __name__, url_prefix="/staff", template_folder="templates")


@bp.app_context_processor
def voting_context() -> dict:
    return {
        "CandidateKind": CandidateKind,
        "RoundStatus": RoundStatus,
        "theme_label": THEME_LABELS.get,
        "status_label": STATUS_LABELS.get,
        "suggestion_label": SUGGESTION_LABELS.get,
        "current_resident_id": session.get("resident_id"),
    }


def _current_resident():
    return residents.get_resident(session.get("resident_id"))


def _safe_next(target: str | None) -> str:
    """Only same-site paths may follow a verification."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("voting.index")


def _client_ip() -> str:
    return request.remote_addr or "unknown"


# --- Residents --------------------------------------------------------------------------------


@bp.get("/rounds")
def index():
    now = utcnow()
    return render_template("voting/index.html", phases=voting.public_rounds(now), now=now)


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit("30/hour", methods=["POST"])
def verify_phone():
    form = PhoneForm(next=request.args.get("next", ""))
    status = 200
    if form.validate_on_submit():
        try:
            code = residents.send_code(form.phone.data, _client_ip(), utcnow())
        except DomainError as error:
            db.session.rollback()
            form.phone.errors.append(error.message)
            status = error.status_code
        else:
            db.session.commit()
            phone = residents.normalize_phone(form.phone.data)
            session["pending_phone"] = phone
            if current_app.config.get("SMS_SHOW_CODE"):
                flash(_("开发模式：验证码是 %(code)s", code=code), "info")
            flash(_("验证码已发送到 %(phone)s。", phone=phone[:3] + "****" + phone[-4:]), "success")
            return redirect(url_for("voting.verify_code", next=_safe_next(form.next.data)))
    elif request.method == "POST":
        status = 400
    return render_template("voting/verify_phone.html", form=form), status


@bp.route("/verify/code", methods=["GET", "POST"])
def verify_code():
    phone = session.get("pending_phone")
    if not phone:
        flash(_("请先输入手机号码获取验证码。"), "error")
        return redirect(url_for("voting.verify_phone"))
    form = CodeForm(phone=phone, next=request.args.get("next", ""))
    status = 200
    if form.validate_on_submit():
        try:
            resident = residents.verify_code(phone, form.code.data, _client_ip(), utcnow())
        except DomainError as error:
            # The failed attempt is counted in the database: keep the counters, nothing else.
            db.session.commit()
            form.code.errors.append(error.message)
            status = error.status_code
        else:
            db.session.commit()
            session.pop("pending_phone", None)
            session["resident_id"] = resident.id
            session.permanent = True
            flash(_("手机号验证成功。"), "success")
            return redirect(_safe_next(form.next.data))
    elif request.method == "POST":
        status = 400
    masked = phone[:3] + "****" + phone[-4:]
    minutes = current_app.config["OTP_TTL_SECONDS"] // 60
    return render_template(
        "voting/verify_code.html", form=form, masked_phone=masked, code_minutes=minutes
    ), status


@bp.post("/signout")
def resident_signout():
    session.pop("resident_id", None)
    flash(_("已退出。"), "success")
    return redirect(url_for("voting.index"))


def _ballot_page(
    round_id: int,
    form: BallotForm | None = None,
    suggestion_form: SuggestionForm | None = None,
    status: int = 200,
):
    round_ = voting.get_public_round(round_id)
    now = utcnow()
    resident = _current_resident()
    ballot = voting.ballot_of(round_.id, resident)
    chosen = {pick.candidate_id for pick in ballot.picks} if ballot else set()
    if form is None:
        form = BallotForm(formdata=None)
    elif form.candidate.data:
        chosen = set(form.candidate.data)
    return render_template(
        "voting/round.html",
        round=round_,
        phase=voting.public_phase(round_, now),
        form=form,
        chosen=chosen,
        ballot=ballot,
        resident=resident,
        suggestion_form=suggestion_form or SuggestionForm(formdata=None),
    ), status


@bp.get("/rounds/<int:round_id>")
def round_page(round_id: int):
    return _ballot_page(round_id)


@bp.post("/rounds/<int:round_id>")
def submit_ballot(round_id: int):
    resident_id = session.get("resident_id")
    if not isinstance(resident_id, int):
        flash(_("投票前请先验证手机号码。"), "error")
        return redirect(
            url_for("voting.verify_phone", next=url_for("voting.round_page", round_id=round_id))
        )
    form = BallotForm()
    if not form.validate_on_submit():
        return _ballot_page(round_id, form, status=400)
    try:
        receipt = voting.submit_ballot(round_id, resident_id, form.candidate.data, utcnow())
    except DomainError as error:
        db.session.rollback()
        form.candidate.errors = [error.message]
        return _ballot_page(round_id, form, status=error.status_code)
    db.session.commit()
    if receipt.version > 1:
        flash(_("已修改您的投票，以最后一次提交为准。"), "success")
    else:
        flash(_("投票成功，感谢参与！"), "success")
    return redirect(url_for("voting.my_ballots"))


@bp.post("/rounds/<int:round_id>/suggestions")
def suggest(round_id: int):
    resident = _current_resident()
    if resident is None:
        flash(_("提交建议前请先验证手机号码。"), "error")
        return redirect(
            url_for("voting.verify_phone", next=url_for("voting.round_page", round_id=round_id))
        )
    form = SuggestionForm()
    status = 400
    if form.validate_on_submit():
        try:
            voting.add_suggestion(round_id, resident, form.text.data, utcnow())
        except DomainError as error:
            db.session.rollback()
            form.text.errors = [error.message]
            status = error.status_code
        else:
            db.session.commit()
            flash(_("建议已提交，工作人员审核后会参考。"), "success")
            return redirect(url_for("voting.round_page", round_id=round_id))
    return _ballot_page(round_id, suggestion_form=form, status=status)


@bp.get("/rounds/<int:round_id>/ranking")
def ranking(round_id: int):
    round_ = voting.get_public_round(round_id)
    now = utcnow()
    visible = voting.counts_visible(round_, now)
    return render_template(
        "voting/ranking.html",
        round=round_,
        phase=voting.public_phase(round_, now),
        visible=visible,
        ranking=voting.tally(round_) if visible else None,
        ballots=voting.ballot_count(round_) if visible else None,
    )


@bp.get("/my")
def my_ballots():
    resident = _current_resident()
    if resident is None:
        return render_template("voting/my_ballots.html", ballots=None)
    return render_template(
        "voting/my_ballots.html", ballots=voting.residents_ballots(resident), now=utcnow()
    )


# --- Planners ---------------------------------------------------------------------------------

PLANNERS = (Role.ADMIN, Role.PLANNER)


def _rules_from(form: RoundForm) -> voting.RoundRules:
    return voting.RoundRules(
        title=form.title.data,
        description=form.description.data or "",
        theme=RoundTheme(form.theme.data),
        opens_at=from_shanghai(form.opens_at.data),
        closes_at=from_shanghai(form.closes_at.data),
        max_foods=form.max_foods.data,
        max_venues=form.max_venues.data,
        max_test_groups=form.max_test_groups.data,
        batch_budget=form.batch_budget.data,
        top_foods=form.top_foods.data,
        hide_counts=form.hide_counts.data,
        auto_open=form.auto_open.data,
    )


def _show_error(form, error: DomainError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = list(field.errors) + [error.message]
    else:
        flash(error.message, "error")


@staff_bp.get("/rounds")
@roles_required(*PLANNERS)
def rounds():
    return render_template("voting/staff_rounds.html", rounds=voting.list_rounds(), now=utcnow())


@staff_bp.route("/rounds/new", methods=["GET", "POST"])
@roles_required(*PLANNERS)
def new_round():
    form = RoundForm()
    status = 200
    if form.validate_on_submit():
        try:
            round_ = voting.create_round(_rules_from(form), current_user)
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
            status = error.status_code
        else:
            db.session.commit()
            flash(_("已创建投票草稿，请继续添加候选项。"), "success")
            return redirect(url_for("voting_staff.edit_round", round_id=round_.id))
    elif request.method == "POST":
        status = 400
    return render_template("voting/staff_round_form.html", form=form, round=None), status


def _candidate_forms(round_) -> dict:
    foods = FoodCandidateForm(prefix="food", formdata=None)
    foods.category_code.choices = [
        SelectChoice(c.code, f"{c.code} {c.name_zh}") for c in reference.food_categories()
    ]
    venues = VenueCandidateForm(prefix="venue", formdata=None)
    venues.venue_id.choices = [
        SelectChoice(v.id, f"{v.district.name_zh} · {v.name}")
        for v in reference.list_venues(active_only=True)
    ]
    types = [SelectChoice(t.key, t.name_zh) for t in reference.venue_types()]
    venue_types = VenueTypeCandidateForm(prefix="vtype", formdata=None)
    venue_types.venue_type_key.choices = types
    groups = GroupCandidateForm(prefix="group", formdata=None)
    groups.test_group_key.choices = [
        SelectChoice(g.key, g.name_zh) for g in reference.test_item_groups()
    ]
    quota = QuotaForm(prefix="quota", formdata=None)
    quota.venue_type_key.choices = types
    return {
        "food_form": foods,
        "venue_form": venues,
        "vtype_form": venue_types,
        "group_form": groups,
        "quota_form": quota,
    }


@staff_bp.route("/rounds/<int:round_id>", methods=["GET", "POST"])
@roles_required(*PLANNERS)
def edit_round(round_id: int):
    round_ = voting.get_round(round_id)
    form = RoundForm(obj=round_) if request.method == "GET" else RoundForm()
    if request.method == "GET":
        form.theme.data = round_.theme.value
        form.opens_at.data = to_shanghai(round_.opens_at).replace(tzinfo=None)
        form.closes_at.data = to_shanghai(round_.closes_at).replace(tzinfo=None)
    status = 200
    if form.validate_on_submit():
        try:
            voting.update_round(round_, _rules_from(form))
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
            status = error.status_code
        else:
            db.session.commit()
            flash(_("已保存。"), "success")
            return redirect(url_for("voting_staff.edit_round", round_id=round_.id))
    elif request.method == "POST":
        status = 400
    return render_template(
        "voting/staff_round_form.html",
        form=form,
        round=round_,
        ranking=voting.tally(round_) if round_.status != RoundStatus.DRAFT else None,
        ballots=voting.ballot_count(round_),
        **_candidate_forms(round_),
    ), status


def _candidate_action(round_id: int, add) -> object:
    """Run one add-candidate service from a prefixed form; every outcome returns to the round."""
    round_ = voting.get_round(round_id)
    try:
        add(round_)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("已更新候选项。"), "success")
    return redirect(url_for("voting_staff.edit_round", round_id=round_id) + "#candidates")


def _form_value(name: str) -> str:
    value = request.form.get(name, "")
    if "\ufffd" in value or len(value) > 200:
        raise DomainError(_("提交的内容无效。"))
    return value.strip()


def _form_int(name: str) -> int:
    value = _form_value(name)
    if not value.isdigit():
        raise DomainError(_("请选择有效的选项。"))
    return int(value)


@staff_bp.post("/rounds/<int:round_id>/candidates/food")
@roles_required(*PLANNERS)
def add_food(round_id: int):
    def add(round_):
        form = FoodCandidateForm(prefix="food")
        form.category_code.choices = [SelectChoice(c.code) for c in reference.food_categories()]
        if not form.validate():
            raise DomainError(_("请填写食品名称并选择分类。"))
        voting.add_food_candidate(round_, form.name.data, form.category_code.data)

    return _candidate_action(round_id, add)


@staff_bp.post("/rounds/<int:round_id>/candidates/venue")
@roles_required(*PLANNERS)
def add_venue(round_id: int):
    return _candidate_action(
        round_id, lambda r: voting.add_venue_candidate(r, _form_int("venue-venue_id"))
    )


@staff_bp.post("/rounds/<int:round_id>/candidates/venue-type")
@roles_required(*PLANNERS)
def add_venue_type(round_id: int):
    return _candidate_action(
        round_id, lambda r: voting.add_venue_type_candidate(r, _form_value("vtype-venue_type_key"))
    )


@staff_bp.post("/rounds/<int:round_id>/candidates/test-group")
@roles_required(*PLANNERS)
def add_test_group(round_id: int):
    return _candidate_action(
        round_id, lambda r: voting.add_test_group_candidate(r, _form_value("group-test_group_key"))
    )


@staff_bp.post("/rounds/<int:round_id>/candidates/<int:candidate_id>/remove")
@roles_required(*PLANNERS)
def remove_candidate(round_id: int, candidate_id: int):
    return _candidate_action(round_id, lambda r: voting.remove_candidate(r, candidate_id))


@staff_bp.post("/rounds/<int:round_id>/quotas")
@roles_required(*PLANNERS)
def set_quota(round_id: int):
    return _candidate_action(
        round_id,
        lambda r: voting.set_quota(
            r, _form_value("quota-venue_type_key"), _form_int("quota-batches")
        ),
    )


@staff_bp.post("/rounds/<int:round_id>/open")
@roles_required(*PLANNERS)
def open_round(round_id: int):
    round_ = voting.get_round(round_id)
    try:
        voting.open_round(round_, utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("已发布，规则已冻结。"), "success")
    return redirect(url_for("voting_staff.edit_round", round_id=round_id))


@staff_bp.post("/rounds/<int:round_id>/close")
@roles_required(*PLANNERS)
def close_round(round_id: int):
    round_ = voting.get_round(round_id)
    try:
        voting.close_round(round_, utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("投票已结束。"), "success")
    return redirect(url_for("voting_staff.edit_round", round_id=round_id))


@staff_bp.get("/suggestions")
@roles_required(*PLANNERS)
def suggestions():
    chosen = request.args.get("status", SuggestionStatus.PENDING.value)
    status = next((s for s in SuggestionStatus if s.value == chosen), None)
    return render_template(
        "voting/staff_suggestions.html",
        suggestions=voting.list_suggestions(status),
        status=status,
        statuses=list(SuggestionStatus),
    )


@staff_bp.post("/suggestions/<int:suggestion_id>")
@roles_required(*PLANNERS)
def moderate(suggestion_id: int):
    form = ModerationForm()
    if not form.validate():
        flash(_("请选择有效的处理结果。"), "error")
    else:
        voting.moderate_suggestion(suggestion_id, SuggestionStatus(form.status.data), current_user)
        db.session.commit()
        flash(_("已处理。"), "success")
    return redirect(url_for("voting_staff.suggestions"))

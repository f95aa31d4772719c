"""Administrators' venue register and working-day calendar."""

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from app.accounts.access import roles_required
from app.accounts.models import Role
from app.clock import to_shanghai, utcnow
from app.errors import DomainError
from app.extensions import db
from app.reference import services as reference
from app.reference.forms import CalendarOverrideForm, VenueForm

bp = Blueprint("reference", __name__, url_prefix="/staff", template_folder="templates")


def _venue_form(obj=None) -> VenueForm:
    form = VenueForm(obj=obj)
    form.district_code.choices = [SelectChoice(d.code, d.name_zh) for d in reference.districts()]
    form.venue_type_key.choices = [SelectChoice(t.key, t.name_zh) for t in reference.venue_types()]
    return form


def _fields(form: VenueForm) -> dict:
    return {
        "name": form.name.data,
        "address": form.address.data,
        "district_code": form.district_code.data,
        "venue_type_key": form.venue_type_key.data,
        "credit_code": form.credit_code.data or "",
        "licence_no": form.licence_no.data or "",
    }


def _show_error(form: VenueForm, error: DomainError) -> None:
    target = getattr(form, error.field or "", None)
    if target is not None:
        target.errors = list(target.errors) + [error.message]
    else:
        flash(error.message, "error")


@bp.get("/venues")
@roles_required(Role.ADMIN)
def venues():
    district = request.args.get("district") or None
    return render_template(
        "reference/venues.html",
        venues=reference.list_venues(district),
        districts=reference.districts(),
        district=district,
    )


@bp.route("/venues/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_venue():
    form = _venue_form()
    status = 200
    if form.validate_on_submit():
        try:
            reference.create_venue(**_fields(form))
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
            status = error.status_code
        else:
            db.session.commit()
            flash(_("已添加场所。"), "success")
            return redirect(url_for("reference.venues"))
    elif request.method == "POST":
        status = 400
    return render_template("reference/venue_form.html", form=form, venue=None), status


@bp.route("/venues/<int:venue_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_venue(venue_id: int):
    venue = reference.get_venue(venue_id)
    form = _venue_form(obj=venue)
    status = 200
    if form.validate_on_submit():
        try:
            reference.update_venue(venue, **_fields(form), active=form.active.data)
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
            status = error.status_code
        else:
            db.session.commit()
            flash(_("已保存。"), "success")
            return redirect(url_for("reference.venues"))
    elif request.method == "POST":
        status = 400
    return render_template("reference/venue_form.html", form=form, venue=venue), status


@bp.route("/calendar", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def calendar():
    """Working-day overrides: the State Council's schedule for a year the library lacks."""
    form = CalendarOverrideForm()
    status = 200
    if form.validate_on_submit():
        reference.set_calendar_override(
            form.day.data, form.working.data == "work", form.note.data or ""
        )
        db.session.commit()
        flash(_("已保存。"), "success")
        return redirect(url_for("reference.calendar"))
    if request.method == "POST":
        status = 400
    today = to_shanghai(utcnow()).date()
    known = reference.working_calendar()
    return render_template(
        "reference/calendar.html",
        form=form,
        overrides=reference.calendar_overrides(),
        years=[(year, known.is_official_year(year)) for year in (today.year, today.year + 1)],
    ), status


@bp.post("/calendar/<day>/delete")
@roles_required(Role.ADMIN)
def remove_calendar_day(day: str):
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        abort(404)
    reference.remove_calendar_override(parsed)
    db.session.commit()
    flash(_("已删除。"), "success")
    return redirect(url_for("reference.calendar"))

"""The staff dashboard: what needs attention now, across every step of the loop."""

from flask import Blueprint, render_template
from flask_login import current_user

from app.accounts.access import ALL_STAFF, roles_required
from app.accounts.models import Role
from app.clock import to_shanghai, utcnow
from app.lab import services as lab
from app.sampling import services as sampling
from app.scheduling import services as scheduling
from app.voting import services as voting
from app.voting.models import RoundStatus, SuggestionStatus

bp = Blueprint("dashboard", __name__, url_prefix="/staff", template_folder="templates")


@bp.get("/")
@roles_required(*ALL_STAFF)
def index():
    now = utcnow()
    alive, beat = scheduling.scheduler_health(now)
    rounds = voting.list_rounds()
    return render_template(
        "dashboard/index.html",
        phases=voting.public_rounds(now),
        drafts=[r for r in rounds if r.status == RoundStatus.DRAFT],
        to_review=[
            (r, scheduling.get_plan_for_round(r.id))
            for r in rounds
            if r.status == RoundStatus.ALLOCATED
        ],
        pending_suggestions=len(voting.list_suggestions(SuggestionStatus.PENDING)),
        alerts=scheduling.open_alerts(),
        late_to_lab=sampling.late_to_lab(to_shanghai(now).date()),
        follow_ups=lab.open_follow_ups(),
        scheduler_alive=alive,
        heartbeat=beat,
        my_tasks=scheduling.inspector_tasks(current_user)
        if current_user.role == Role.INSPECTOR
        else [],
    )

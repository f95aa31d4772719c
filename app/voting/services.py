"""Rounds and their rules, ballots, the ranking and residents' suggestions."""

from collections import Counter, OrderedDict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.clock import UTCDateTime, utcnow
from app.errors import DomainError, NotAllowed, NotFound
from app.extensions import db
from app.reference.models import FoodCategory, TestItem, TestItemGroup, Venue, VenueType
from app.voting.models import (
    Ballot,
    BallotPick,
    Candidate,
    CandidateKind,
    Resident,
    Round,
    RoundStatus,
    RoundTheme,
    Suggestion,
    SuggestionStatus,
    VenueTypeQuota,
)

VENUE_KINDS = (CandidateKind.VENUE, CandidateKind.VENUE_TYPE)
MAX_SUGGESTIONS_PER_RESIDENT = 5


@dataclass(frozen=True)
class RoundRules:
    """What a planner sets for a round before it opens."""

    title: str
    theme: RoundTheme
    opens_at: datetime
    closes_at: datetime
    max_foods: int
    max_venues: int
    max_test_groups: int
    batch_budget: int
    top_foods: int
    hide_counts: bool
    description: str = ""
    auto_open: bool = False


# --- Rounds -----------------------------------------------------------------------------------


def get_round(round_id: int) -> Round:
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        raise NotFound(_("未找到该轮投票。"))
    return round_


def _check_rules(rules: RoundRules) -> None:
    if not rules.title.strip():
        raise DomainError(_("请填写标题。"), field="title")
    if rules.closes_at <= rules.opens_at:
        raise DomainError(_("截止时间必须晚于开始时间。"), field="closes_at")
    if rules.top_foods > rules.batch_budget:
        raise DomainError(_("入选食品数不能超过批次预算。"), field="top_foods")


def _require_draft(round_: Round) -> None:
    if round_.status != RoundStatus.DRAFT:
        raise NotAllowed(_("该轮投票已发布，规则已冻结，不能再修改。"))


def create_round(rules: RoundRules, created_by: User | None) -> Round:
    """A new draft round; raises DomainError for inconsistent rules."""
    _check_rules(rules)
    round_ = Round(created_by_id=created_by.id if created_by else None)
    _apply_rules(round_, rules)
    db.session.add(round_)
    db.session.flush()
    return round_


def _apply_rules(round_: Round, rules: RoundRules) -> None:
    round_.title = rules.title.strip()
    round_.description = rules.description.strip()
    round_.theme = rules.theme
    round_.opens_at = rules.opens_at
    round_.closes_at = rules.closes_at
    round_.max_foods = rules.max_foods
    round_.max_venues = rules.max_venues
    round_.max_test_groups = rules.max_test_groups
    round_.batch_budget = rules.batch_budget
    round_.top_foods = rules.top_foods
    round_.hide_counts = rules.hide_counts
    round_.auto_open = rules.auto_open


def update_round(round_: Round, rules: RoundRules) -> Round:
    """Change a draft round's rules; raises NotAllowed once the round is published."""
    _require_draft(round_)
    _check_rules(rules)
    if sum(quota.batches for quota in round_.quotas) > rules.batch_budget:
        raise DomainError(_("各场所类型配额之和不能超过批次预算。"), field="batch_budget")
    _apply_rules(round_, rules)
    db.session.flush()
    return round_


def _next_position(round_: Round) -> int:
    return max((candidate.position for candidate in round_.candidates), default=0) + 1


def _add_candidate(round_: Round, candidate: Candidate) -> Candidate:
    _require_draft(round_)
    same = [c for c in round_.candidates if c.kind == candidate.kind and c.label == candidate.label]
    if same:
        raise DomainError(_("“%(label)s”已在候选列表中。", label=candidate.label))
    candidate.position = _next_position(round_)
    round_.candidates.append(candidate)
    db.session.flush()
    return candidate


def default_test_items(food_name: str, category_code: str) -> list[TestItem]:
    """The reference items for this food by name, then those set for its whole category."""
    category = db.session.get(FoodCategory, category_code)
    codes = [category_code] + ([category.parent_code] if category and category.parent_code else [])
    items = list(
        db.session.scalars(
            sa.select(TestItem).where(TestItem.category_code.in_(codes)).order_by(TestItem.id)
        )
    )
    specific = [item for item in items if item.food == food_name]
    # A food's own limit for an item replaces the category-wide one of the same name.
    named = {item.name for item in specific}
    category_wide = [item for item in items if item.food == "*" and item.name not in named]
    return specific + category_wide


def add_food_candidate(round_: Round, name: str, category_code: str) -> Candidate:
    """Offer a food, tied to its category and that category's default test items."""
    name = name.strip()
    if not name:
        raise DomainError(_("请填写食品名称。"), field="name")
    if db.session.get(FoodCategory, category_code) is None:
        raise DomainError(_("未知的食品分类。"), field="category_code")
    candidate = Candidate(
        kind=CandidateKind.FOOD,
        label=name,
        food_category_code=category_code,
        test_items=default_test_items(name, category_code),
    )
    return _add_candidate(round_, candidate)


def add_venue_candidate(round_: Round, venue_id: int) -> Candidate:
    venue = db.session.get(Venue, venue_id)
    if venue is None or not venue.active:
        raise DomainError(_("未知或已停用的场所。"), field="venue_id")
    candidate = Candidate(kind=CandidateKind.VENUE, label=venue.name, venue_id=venue.id)
    return _add_candidate(round_, candidate)


def add_venue_type_candidate(round_: Round, venue_type_key: str) -> Candidate:
    venue_type = db.session.get(VenueType, venue_type_key)
    if venue_type is None:
        raise DomainError(_("未知的场所类型。"), field="venue_type_key")
    candidate = Candidate(
        kind=CandidateKind.VENUE_TYPE, label=venue_type.name_zh, venue_type_key=venue_type.key
    )
    return _add_candidate(round_, candidate)


def add_test_group_candidate(round_: Round, group_key: str) -> Candidate:
    group = db.session.get(TestItemGroup, group_key)
    if group is None:
        raise DomainError(_("未知的检测项目类别。"), field="test_group_key")
    candidate = Candidate(
        kind=CandidateKind.TEST_GROUP, label=group.name_zh, test_group_key=group.key
    )
    return _add_candidate(round_, candidate)


def remove_candidate(round_: Round, candidate_id: int) -> None:
    _require_draft(round_)
    candidate = next((c for c in round_.candidates if c.id == candidate_id), None)
    if candidate is None:
        raise NotFound(_("该候选项不属于本轮投票。"))
    round_.candidates.remove(candidate)
    db.session.delete(candidate)
    db.session.flush()


def set_quota(round_: Round, venue_type_key: str, batches: int) -> None:
    """Set (or, with 0 batches, remove) the round's quota for a venue type."""
    _require_draft(round_)
    if db.session.get(VenueType, venue_type_key) is None:
        raise DomainError(_("未知的场所类型。"), field="venue_type_key")
    if batches < 0:
        raise DomainError(_("配额不能为负数。"), field="batches")
    others = sum(q.batches for q in round_.quotas if q.venue_type_key != venue_type_key)
    if others + batches > round_.batch_budget:
        raise DomainError(_("各场所类型配额之和不能超过批次预算。"), field="batches")
    quota = next((q for q in round_.quotas if q.venue_type_key == venue_type_key), None)
    if batches == 0:
        if quota is not None:
            round_.quotas.remove(quota)
            db.session.delete(quota)
    elif quota is None:
        round_.quotas.append(VenueTypeQuota(venue_type_key=venue_type_key, batches=batches))
    else:
        quota.batches = batches
    db.session.flush()


def open_round(round_: Round, now: datetime) -> Round:
    """Publish a draft round, freezing its rules; voting runs from opens_at to closes_at.

    Raises DomainError when the round cannot work (no foods, limits beyond the candidates)
    and NotAllowed when it is not a draft (compare-and-set, so two callers open it once).
    """
    foods = round_.candidates_of(CandidateKind.FOOD)
    if not foods:
        raise DomainError(_("请至少添加一种候选食品后再发布。"))
    if round_.closes_at <= now:
        raise DomainError(_("截止时间已过，请先修改时间。"))
    if round_.max_venues and not any(round_.candidates_of(kind) for kind in VENUE_KINDS):
        raise DomainError(_("允许选择场所，但还没有候选场所或场所类型。"))
    if round_.max_test_groups and not round_.candidates_of(CandidateKind.TEST_GROUP):
        raise DomainError(_("允许选择检测项目，但还没有候选检测项目类别。"))
    changed = db.session.execute(
        sa.update(Round)
        .where(Round.id == round_.id, Round.status == RoundStatus.DRAFT)
        .values(status=RoundStatus.OPEN, opened_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise NotAllowed(_("该轮投票已发布。"))
    db.session.refresh(round_)
    return round_


def close_round(round_: Round, now: datetime) -> Round:
    """Close an open round now (compare-and-set); raises NotAllowed when it is not open."""
    changed = db.session.execute(
        sa.update(Round)
        .where(Round.id == round_.id, Round.status == RoundStatus.OPEN)
        .values(status=RoundStatus.CLOSED, closed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise NotAllowed(_("只有进行中的投票可以结束。"))
    db.session.refresh(round_)
    if round_.closes_at > now:
        round_.closes_at = now
        db.session.flush()
    return round_


def public_phase(round_: Round, now: datetime) -> str:
    """Where a published round stands for residents: upcoming, voting or closed."""
    if round_.status in (RoundStatus.CLOSED, RoundStatus.ALLOCATED) or now >= round_.closes_at:
        return "closed"
    if now < round_.opens_at:
        return "upcoming"
    return "voting"


def public_rounds(now: datetime) -> dict[str, list[Round]]:
    """Published rounds grouped by phase: voting, upcoming, closed (newest first)."""
    rounds = db.session.scalars(
        sa.select(Round).where(Round.status != RoundStatus.DRAFT).order_by(Round.opens_at.desc())
    )
    phases: dict[str, list[Round]] = {"voting": [], "upcoming": [], "closed": []}
    for round_ in rounds:
        phases[public_phase(round_, now)].append(round_)
    return phases


def get_public_round(round_id: int) -> Round:
    """A published round; drafts are not shown to the public."""
    round_ = db.session.get(Round, round_id)
    if round_ is None or round_.status == RoundStatus.DRAFT:
        raise NotFound(_("未找到该轮投票。"))
    return round_


def list_rounds() -> list[Round]:
    return list(db.session.scalars(sa.select(Round).order_by(Round.opens_at.desc())))


# --- Ballots ----------------------------------------------------------------------------------


def _ensure_accepting(round_: Round, now: datetime) -> None:
    if round_.status == RoundStatus.DRAFT:
        raise NotAllowed(_("该轮投票尚未发布，暂不能投票。"))
    phase = public_phase(round_, now)
    if phase == "upcoming":
        raise NotAllowed(_("投票尚未开始，请在开始后再来。"))
    if phase == "closed":
        raise NotAllowed(_("投票已结束，不能再投票或修改。"))


def check_picks(round_: "Round | FrozenRules", kinds: list[CandidateKind]) -> None:
    """The ballot rules on the kinds of picks already known to belong to the round."""
    per_kind = Counter(kinds)
    foods = per_kind[CandidateKind.FOOD]
    venues = per_kind[CandidateKind.VENUE] + per_kind[CandidateKind.VENUE_TYPE]
    groups = per_kind[CandidateKind.TEST_GROUP]
    if foods < 1:
        raise DomainError(_("请至少选择一种食品。"))
    if foods > round_.max_foods:
        raise DomainError(_("食品最多可选 %(num)d 种。", num=round_.max_foods))
    if venues > round_.max_venues:
        raise DomainError(_("场所最多可选 %(num)d 个。", num=round_.max_venues))
    if groups > round_.max_test_groups:
        raise DomainError(_("检测项目最多可选 %(num)d 类。", num=round_.max_test_groups))


@dataclass(frozen=True)
class BallotReceipt:
    ballot_id: int
    version: int
    candidate_ids: tuple[int, ...]


@dataclass(frozen=True)
class FrozenRules:
    """A published round's ballot rules, which can no longer change (see open_round)."""

    round_id: int
    opened_at: datetime
    max_foods: int
    max_venues: int
    max_test_groups: int
    kinds: dict[int, CandidateKind]


# Per-process copies of frozen rules, so a ballot reads nothing before it writes. A copy is
# trusted only together with the round's opened_at, which the write itself checks.
_FROZEN_RULES: OrderedDict[int, FrozenRules] = OrderedDict()
_FROZEN_RULES_KEPT = 64


def _frozen_rules(round_id: int, *, reload: bool = False) -> FrozenRules:
    cached = None if reload else _FROZEN_RULES.get(round_id)
    if cached is not None:
        return cached
    round_ = get_public_round(round_id)
    rules = FrozenRules(
        round_id=round_.id,
        opened_at=round_.opened_at,
        max_foods=round_.max_foods,
        max_venues=round_.max_venues,
        max_test_groups=round_.max_test_groups,
        kinds={candidate.id: candidate.kind for candidate in round_.candidates},
    )
    _FROZEN_RULES[round_id] = rules
    while len(_FROZEN_RULES) > _FROZEN_RULES_KEPT:
        _FROZEN_RULES.popitem(last=False)
    return rules


def _check_ballot(rules: FrozenRules, candidate_ids: list[int]) -> None:
    most = rules.max_foods + rules.max_venues + rules.max_test_groups
    if len(candidate_ids) > most:
        raise DomainError(_("选择的项目过多：最多 %(num)d 项。", num=most))
    if len(set(candidate_ids)) != len(candidate_ids):
        raise DomainError(_("同一项目不能重复选择。"))
    if any(candidate_id not in rules.kinds for candidate_id in candidate_ids):
        raise DomainError(_("所选项目不属于本轮投票，请刷新页面后重新选择。"))
    check_picks(rules, [rules.kinds[candidate_id] for candidate_id in candidate_ids])


def submit_ballot(
    round_id: int, resident_id: int, candidate_ids: list[int], now: datetime
) -> BallotReceipt:
    """Record the resident's picks, replacing any earlier ballot in the round.

    Raises NotFound (no such round), NotAllowed (round not accepting ballots, unknown resident)
    and DomainError (unknown, foreign or duplicated candidates, limits exceeded). Writes nothing
    when it raises. The busiest write of a campaign: a first ballot is two statements.
    """
    rules = _frozen_rules(round_id)
    try:
        _check_ballot(rules, candidate_ids)
    except DomainError:
        rules = _frozen_rules(round_id, reload=True)  # the copy may be older than the round
        _check_ballot(rules, candidate_ids)
    row = _upsert_ballot(rules, resident_id, now)
    if row is None:
        # The round is not accepting ballots, or the copy of its rules was stale.
        _ensure_accepting(get_public_round(round_id), now)
        rules = _frozen_rules(round_id, reload=True)
        _check_ballot(rules, candidate_ids)
        row = _upsert_ballot(rules, resident_id, now)
        if row is None:
            raise NotAllowed(_("投票已结束，不能再投票或修改。"))
    ballot_id, version = row
    picks = BallotPick.__table__  # Core statements: no ORM bookkeeping on the hot path
    if version > 1:
        db.session.execute(sa.delete(picks).where(picks.c.ballot_id == ballot_id))
    db.session.execute(
        sa.insert(picks),
        [
            {"ballot_id": ballot_id, "round_id": round_id, "candidate_id": candidate_id}
            for candidate_id in candidate_ids
        ],
    )
    return BallotReceipt(ballot_id, version, tuple(candidate_ids))


# One statement on both engines (PostgreSQL, and SQLite 3.35+): create the ballot or bump its
# version, only while the round accepts ballots and is the round the rules were read from.
# Of two racing first ballots the UNIQUE constraint makes the second wait for the first,
# then update it: one ballot, holding the last submission's picks.
UPSERT_BALLOT = sa.text(
    "INSERT INTO ballots (round_id, resident_id, version, created_at, updated_at)"
    " SELECT :round_id, :resident_id, 1, :now, :now"
    " WHERE EXISTS (SELECT 1 FROM rounds WHERE id = :round_id AND status = 'open'"
    " AND opened_at = :opened_at AND opens_at <= :now AND closes_at > :now)"
    " ON CONFLICT (round_id, resident_id)"
    " DO UPDATE SET version = ballots.version + 1, updated_at = excluded.updated_at"
    " RETURNING id, version"
).bindparams(
    sa.bindparam("now", type_=UTCDateTime()), sa.bindparam("opened_at", type_=UTCDateTime())
)


def _upsert_ballot(rules: FrozenRules, resident_id: int, now: datetime) -> tuple[int, int] | None:
    """(ballot id, version), or None when the round does not accept the ballot."""
    params = {
        "round_id": rules.round_id,
        "resident_id": resident_id,
        "now": now,
        "opened_at": rules.opened_at,
    }
    try:
        row = db.session.execute(UPSERT_BALLOT, params).first()
    except IntegrityError as error:
        # The only other constraint is the resident's foreign key: a session from an older
        # database. The caller rolls back, as after any DomainError.
        raise NotAllowed(_("请重新验证手机号码后再投票。")) from error
    return (row.id, row.version) if row else None


def ballot_of(round_id: int, resident: Resident | None) -> Ballot | None:
    if resident is None:
        return None
    return db.session.scalars(
        sa.select(Ballot).where(Ballot.round_id == round_id, Ballot.resident_id == resident.id)
    ).first()


def residents_ballots(resident: Resident) -> list[Ballot]:
    return list(
        db.session.scalars(
            sa.select(Ballot)
            .where(Ballot.resident_id == resident.id)
            .order_by(Ballot.updated_at.desc())
        )
    )


# --- Ranking ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RankedCandidate:
    rank: int
    candidate: Candidate
    votes: int


def vote_counts(round_id: int) -> dict[int, int]:
    """Votes per candidate id: one GROUP BY over the round's picks."""
    return dict(
        db.session.execute(
            sa.select(BallotPick.candidate_id, sa.func.count())
            .where(BallotPick.round_id == round_id)
            .group_by(BallotPick.candidate_id)
        ).all()
    )


def tally(round_: Round) -> dict[CandidateKind, list[RankedCandidate]]:
    """Votes per candidate, ranked within each kind (ties share a rank, listed in round order)."""
    counts = vote_counts(round_.id)
    ranking: dict[CandidateKind, list[RankedCandidate]] = {kind: [] for kind in CandidateKind}
    for kind in CandidateKind:
        ordered = sorted(
            round_.candidates_of(kind), key=lambda c: (-counts.get(c.id, 0), c.position, c.id)
        )
        previous_votes, rank = None, 0
        for index, candidate in enumerate(ordered, start=1):
            votes = counts.get(candidate.id, 0)
            if votes != previous_votes:
                rank, previous_votes = index, votes
            ranking[kind].append(RankedCandidate(rank, candidate, votes))
    return ranking


def ballot_count(round_: Round) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Ballot).where(Ballot.round_id == round_.id)
    )


def counts_visible(round_: Round, now: datetime) -> bool:
    return not round_.hide_counts or public_phase(round_, now) == "closed"


# --- Suggestions ------------------------------------------------------------------------------


def add_suggestion(round_id: int, resident: Resident, text: str, now: datetime) -> Suggestion:
    """Keep a resident's free-text suggestion for planners to moderate; raises DomainError."""
    round_ = get_public_round(round_id)
    _ensure_accepting(round_, now)
    text = " ".join((text or "").split())
    limit = current_app.config["SUGGESTION_MAX_LENGTH"]
    if len(text) < 2:
        raise DomainError(_("请填写建议内容。"), field="text")
    if len(text) > limit:
        raise DomainError(_("建议不能超过 %(num)d 个字。", num=limit), field="text")
    already = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Suggestion)
        .where(Suggestion.round_id == round_.id, Suggestion.resident_id == resident.id)
    )
    if already >= MAX_SUGGESTIONS_PER_RESIDENT:
        raise DomainError(
            _("每轮最多提交 %(num)d 条建议。", num=MAX_SUGGESTIONS_PER_RESIDENT), field="text"
        )
    suggestion = Suggestion(round_id=round_.id, resident_id=resident.id, text=text, created_at=now)
    db.session.add(suggestion)
    db.session.flush()
    return suggestion


def list_suggestions(status: SuggestionStatus | None = None) -> list[Suggestion]:
    query = sa.select(Suggestion).order_by(Suggestion.created_at.desc())
    if status is not None:
        query = query.where(Suggestion.status == status)
    return list(db.session.scalars(query))


def moderate_suggestion(
    suggestion_id: int, status: SuggestionStatus, moderator: User
) -> Suggestion:
    suggestion = db.session.get(Suggestion, suggestion_id)
    if suggestion is None:
        raise NotFound(_("未找到该建议。"))
    suggestion.status = status
    suggestion.moderated_by_id = moderator.id
    suggestion.moderated_at = utcnow()
    db.session.flush()
    return suggestion
